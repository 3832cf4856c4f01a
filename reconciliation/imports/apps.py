from django.apps import AppConfig


class ImportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reconciliation.imports"
    label = "imports"
    verbose_name = "Import of Office 365 customers"
