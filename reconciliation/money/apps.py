from django.apps import AppConfig


class MoneyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reconciliation.money"
    label = "money"
    verbose_name = "Microsoft's bill: import and three-way match"
