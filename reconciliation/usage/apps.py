from django.apps import AppConfig


class UsageConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reconciliation.usage"
    label = "usage"
    verbose_name = "Azure plan usage: import, budgets and alerts, usage billing"
