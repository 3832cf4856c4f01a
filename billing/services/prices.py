"""The known price of a subscription: from the catalog's price history, for a subscription whose ledger lacks it.

The ledger locks the prices of a term when the event that opened it carries them (an order line's sale price, an
imported subscription's catalog price). When it does not, billing takes the price sheet row that was in force when
the term started — the same answer every time, since price rows keep their effective dates — and the marketplace's
markup over it. Without such a row the price is unknown, and the invoice run reports the subscription.

A reseller's (wholesale) price is the provider's rule over Microsoft's cost (`catalog.resellerprices.wholesale`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from bss.models import Reseller, Subscription
from catalog.models import MarkupRule, Price, Sku
from catalog.pricing import sale_price
from catalog.resellerprices.wholesale import reseller_cost, wholesale_for_marketplace, wholesale_for_reseller
from catalog.selectors import markup_for


@dataclass(frozen=True, slots=True)
class KnownPrice:
    """Per licence per billing period: the sale price in the customer's marketplace and Microsoft's cost."""

    unit_price: Decimal
    unit_cost: Decimal
    currency: str


def subscription_sku(subscription: Subscription) -> Sku | None:
    marketplace = subscription.customer.marketplace
    return (
        Sku.objects.filter(
            product__instance_id=marketplace.instance_id,
            product__market=marketplace.market,
            product__product_id=subscription.pc_product_id,
            sku_id=subscription.pc_sku_id,
        )
        .select_related("product")
        .first()
    )


def _price_row(sku: Sku, subscription: Subscription, currency: str, at: dt.datetime | None) -> Price | None:
    rows = Price.objects.filter(
        Q(tier_min__isnull=True) | Q(tier_min=0),
        sku=sku,
        term_duration=subscription.term_duration,
        billing_cycle=subscription.billing_cycle,
        currency=currency,
    )
    if at is not None:
        in_force = (
            rows.filter(Q(effective_end__isnull=True) | Q(effective_end__gt=at), effective_start__lte=at)
            .order_by("-effective_start")
            .first()
        )
        if in_force is not None:
            return in_force
    return rows.filter(is_current=True).first()


def known_price(*, subscription: Subscription, at: dt.datetime | None) -> KnownPrice | None:
    """The catalog's price for the subscription's SKU, term and billing cycle in force at `at` (the term's start),
    in its marketplace's currency; None when the catalog has none."""
    marketplace = subscription.customer.marketplace
    sku = subscription_sku(subscription)
    price = _price_row(sku, subscription, marketplace.currency, at) if sku is not None else None
    if sku is None or price is None:
        return None
    rules = {r.sku_id: r for r in MarkupRule.objects.filter(marketplace=marketplace)}
    wholesale = wholesale_for_marketplace(marketplace)
    cost_to_owner = wholesale.cost(sku.pk, price.unit_price) if wholesale is not None else price.unit_price
    sale = sale_price(
        cost=cost_to_owner, erp=price.erp_price, billing_cycle=price.billing_cycle, markup=markup_for(rules, sku.pk)
    )
    return KnownPrice(unit_price=sale, unit_cost=price.unit_price, currency=price.currency)


def wholesale_unit_price(*, reseller: Reseller, subscription: Subscription, unit_cost: Decimal) -> Decimal:
    """What the provider charges `reseller` per licence per billing period: Microsoft's cost plus its rule."""
    sku = subscription_sku(subscription)
    rules = wholesale_for_reseller(reseller)
    percent = rules.percent_for(sku.pk) if sku is not None else rules.default_percent
    return reseller_cost(cost=unit_cost, percent=percent)
