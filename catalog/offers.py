"""What a marketplace sells, shaped for ordering (storefront and API alike).

`StoreOffer` is one published, active SKU of a marketplace with its orderable plans (term + billing cycle) and the
sale price of each in the marketplace currency. What is sellable, at what price and with which billing cycles
(annual only where enabled) is decided by `catalog.selectors.offer_list_for_marketplace`; this module only
reshapes it for the pages.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from bss.choices import BillingCycle, TermDuration
from bss.exceptions import NotFound
from bss.models import Marketplace
from bss.rules.quantities import QuantityBounds, is_azure_plan
from catalog import pricing
from catalog import selectors as catalog_selectors
from catalog.models import Offer

_TERM_ORDER = {"P1M": 0, "P1Y": 1, "P3Y": 2}
_CYCLE_ORDER = {"monthly": 0, "annual": 1, "triennial": 2}


@dataclass(frozen=True)
class Plan:
    """One way to buy an offer: a term, a billing cycle, the price per licence per billing period."""

    term_duration: str
    billing_cycle: str
    unit_price: Decimal
    availability_id: str
    usage_based: bool = False  # "billed by usage" where a price would be (Azure plan)

    @property
    def key(self) -> str:
        return f"{self.term_duration}:{self.billing_cycle}"

    @property
    def term_label(self) -> str:
        return TermDuration(self.term_duration).label if self.term_duration in TermDuration.values else "No term"

    @property
    def billing_label(self) -> str:
        return BillingCycle(self.billing_cycle).label if self.billing_cycle in BillingCycle.values else "—"

    @property
    def monthly_price(self) -> Decimal:
        return pricing.monthly_equivalent(amount=self.unit_price, billing_cycle=self.billing_cycle)


@dataclass(frozen=True)
class StoreOffer:
    id: int
    name: str
    description: str
    family: str
    pc_product_id: str
    pc_sku_id: str
    currency: str
    min_quantity: int
    max_quantity: int | None
    new_subscription_per_order: bool
    plans: tuple[Plan, ...]
    usage_based: bool = False  # an Azure plan: billed by usage, no fixed price, one per customer, no term

    @property
    def bounds(self) -> QuantityBounds:
        """The SKU's quantity bounds (an Azure plan: exactly one)."""
        if self.usage_based:
            return QuantityBounds(minimum=1, maximum=1)
        return QuantityBounds.of_sku(self.min_quantity, self.max_quantity)

    @property
    def search_text(self) -> str:
        return f"{self.name} {self.family} {self.pc_product_id} {self.pc_sku_id}".lower()

    @property
    def from_monthly(self) -> Decimal:
        return min(p.monthly_price for p in self.plans)

    def plan(self, term_duration: str, billing_cycle: str) -> Plan | None:
        return next((p for p in self.plans if p.term_duration == term_duration and p.billing_cycle == billing_cycle),
                    None)

    def with_plans(self, plans: Iterable[Plan]) -> StoreOffer:
        return dataclasses.replace(self, plans=tuple(plans))


def _to_store_offer(view: catalog_selectors.OfferView, currency: str) -> StoreOffer | None:
    parts = view.catalog_item_id.split(":")
    availability_id = parts[2] if len(parts) == 3 else ""
    plans = tuple(
        Plan(
            term_duration=price.term_duration,
            billing_cycle=price.billing_cycle,
            unit_price=price.sale_price,
            availability_id=availability_id,
            usage_based=view.usage_based,
        )
        for price in sorted(
            view.prices, key=lambda p: (_TERM_ORDER.get(p.term_duration, 9), _CYCLE_ORDER.get(p.billing_cycle, 9))
        )
        if price.term_duration in TermDuration.values and price.billing_cycle in BillingCycle.values
    )
    if not plans or not availability_id:
        return None
    sku, product = view.sku, view.product
    usage_based = view.usage_based or is_azure_plan(product.product_id)
    return StoreOffer(
        id=view.offer_id,
        name=sku.title or product.title,
        description=sku.description or product.description,
        family=product.family,
        pc_product_id=product.product_id,
        pc_sku_id=sku.sku_id,
        currency=currency,
        min_quantity=1 if usage_based else max(sku.min_quantity, 1),
        max_quantity=1 if usage_based else (sku.max_quantity or None),
        new_subscription_per_order=sku.new_subscription_per_order,
        plans=plans,
        usage_based=usage_based,
    )


def offers_for_marketplace(*, marketplace: Marketplace) -> list[StoreOffer]:
    """Published, sellable offers of the marketplace (the catalog decides what is sellable and at what price)."""
    views = catalog_selectors.offer_list_for_marketplace(marketplace)
    offers = (_to_store_offer(view, marketplace.currency) for view in views)
    return sorted((o for o in offers if o is not None), key=lambda o: (o.family.lower(), o.name.lower(), o.pc_sku_id))


def offers_by_id(*, marketplace: Marketplace, offer_ids: list[int]) -> dict[int, StoreOffer]:
    if not offer_ids:
        return {}
    wanted = set(offer_ids)
    return {o.id: o for o in offers_for_marketplace(marketplace=marketplace) if o.id in wanted}


def offer_for_marketplace(*, marketplace: Marketplace, offer_id: int) -> StoreOffer | None:
    return offers_by_id(marketplace=marketplace, offer_ids=[offer_id]).get(offer_id)


def offer_name(*, offer_id: int) -> str:
    """Name of an offer that is no longer orderable (for the message saying so)."""
    offer = Offer.objects.select_related("sku", "sku__product").filter(pk=offer_id).first()
    return (offer.sku.title or offer.sku.product.title) if offer else "A product"


def store_offer_get(*, marketplace: Marketplace, offer_id: int) -> StoreOffer:
    """One orderable offer of the marketplace; NotFound when unpublished, discontinued or from elsewhere."""
    offer = offer_for_marketplace(marketplace=marketplace, offer_id=offer_id)
    if offer is None:
        raise NotFound("This product is not (or no longer) sold in this marketplace.")
    return offer
