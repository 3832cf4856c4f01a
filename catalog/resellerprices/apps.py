from django.apps import AppConfig


class ResellerPricesConfig(AppConfig):
    """Tier-2 price lists: the provider's price to each tenant reseller (its cost), under the reseller's markup."""

    name = "catalog.resellerprices"
    label = "resellerprices"
    verbose_name = "Reseller price lists"
    default_auto_field = "django.db.models.BigAutoField"
