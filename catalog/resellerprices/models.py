"""The provider's price to a tenant reseller.

A `ResellerPriceRule` says how much over Partner Center cost the provider charges one tenant reseller: a default
(no SKU) and optional per-SKU rules. The result is the reseller's cost, over which the reseller's own markup rules
(`catalog.MarkupRule` of its marketplace) give the sale price. Nothing is stored per price: costs and sale prices are
computed on read, so they follow Microsoft's monthly price changes as soon as the catalog is updated.
"""

from django.db import models
from django.db.models import Q

from bss.models.base import TimestampedModel


class ResellerPriceRule(TimestampedModel):
    """Wholesale rule of the provider for one tenant reseller: percent over Partner Center cost (default or per SKU)."""

    reseller = models.ForeignKey("bss.Reseller", on_delete=models.CASCADE, related_name="price_rules")
    sku = models.ForeignKey("catalog.Sku", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    percent = models.DecimalField(max_digits=7, decimal_places=3, help_text="Percent over Partner Center cost")

    class Meta:
        ordering = ["reseller", "sku"]
        constraints = [
            models.UniqueConstraint(name="resellerprices_rule_unique_sku", fields=["reseller", "sku"]),
            models.UniqueConstraint(
                name="resellerprices_rule_unique_default", fields=["reseller"], condition=Q(sku__isnull=True)
            ),
            models.CheckConstraint(name="resellerprices_rule_percent_min", condition=Q(percent__gte=-100)),
        ]

    def __str__(self) -> str:
        return f"{self.percent}% over cost for {self.sku_id or 'all'} ({self.reseller_id})"
