"""The reseller's cost: Partner Center cost plus the provider's wholesale percent (pure arithmetic + one loader).

`catalog.selectors.offer_list_for_marketplace` calls `wholesale_for_marketplace`; for a marketplace owned by a
tenant reseller it replaces each Partner Center price by the reseller's cost before the marketplace's markup rules
apply. Keep this module free of imports of `catalog.selectors` (that module imports this one).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from bss.choices import ResellerKind
from bss.models import Marketplace, Reseller
from catalog.models import Price
from catalog.pricing import HUNDRED, round_money
from catalog.resellerprices.models import ResellerPriceRule

#: Used when the provider has set no default rule for a tenant reseller (override with TIER2_WHOLESALE_PERCENT).
DEFAULT_WHOLESALE_PERCENT = Decimal("10")


def default_wholesale_percent() -> Decimal:
    return Decimal(str(getattr(settings, "TIER2_WHOLESALE_PERCENT", DEFAULT_WHOLESALE_PERCENT)))


def reseller_cost(*, cost: Decimal, percent: Decimal) -> Decimal:
    """What the provider charges the reseller per unit per billing period: cost x (1 + percent/100), to the cent."""
    return round_money(cost * (1 + percent / HUNDRED))


@dataclass(frozen=True)
class Wholesale:
    """The provider's rules for one tenant reseller: a default percent and per-SKU percents."""

    default_percent: Decimal
    by_sku: dict[int, Decimal] = field(default_factory=dict)
    default_is_set: bool = False

    def percent_for(self, sku_id: int) -> Decimal:
        return self.by_sku.get(sku_id, self.default_percent)

    def cost(self, sku_id: int, unit_price: Decimal) -> Decimal:
        return reseller_cost(cost=unit_price, percent=self.percent_for(sku_id))

    def apply(self, sku_id: int, prices: Iterable[Price]) -> list[Price]:
        """Unsaved copies of the price rows with `unit_price` replaced by the reseller's cost (ERP unchanged)."""
        result = []
        for price in prices:
            twin = copy.copy(price)
            twin.unit_price = self.cost(sku_id, price.unit_price)
            result.append(twin)
        return result


def wholesale_for_reseller(reseller: Reseller) -> Wholesale:
    default, by_sku = None, {}
    for rule in ResellerPriceRule.objects.filter(reseller=reseller):
        if rule.sku_id is None:
            default = rule.percent
        else:
            by_sku[rule.sku_id] = rule.percent
    return Wholesale(
        default_percent=default if default is not None else default_wholesale_percent(),
        by_sku=by_sku,
        default_is_set=default is not None,
    )


def wholesale_for_marketplace(marketplace: Marketplace) -> Wholesale | None:
    """The wholesale rules when a tenant reseller owns the marketplace; None for the provider's own marketplaces."""
    owner = marketplace.owner
    if owner.kind != ResellerKind.TENANT:
        return None
    return wholesale_for_reseller(owner)
