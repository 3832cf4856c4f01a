"""What the rules tell Microsoft's billing: each purchase, seat change, cancellation and renewal goes into the
ledger (``ledger.py``) as it happens, with the price locked at purchase or renewal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ..catalog_data import PROMOTIONS
from ..ledger import BilledSubscription
from ..state import Order, OrderLine, PartnerAccount, Subscription
from .core import BackendCore


def billed_subscription(partner: PartnerAccount, sub: Subscription, unit_price: Decimal, currency: str
                        ) -> BilledSubscription:
    customer = partner.customers.get(sub.customer_id)
    term_start = sub.effective_start.date()
    return BilledSubscription(
        partner_tenant_id=partner.tenant_id, partner_mpn_id=partner.mpn_id, subscription_id=sub.id,
        customer_id=sub.customer_id, customer_name=customer.company_name if customer else "",
        customer_domain=customer.domain if customer else "", customer_country=sub.country,
        order_id=sub.order_id, product_id=sub.product_id, sku_id=sub.sku_id, availability_id=sub.availability_id,
        product_name=sub.offer_name, sku_name=sub.friendly_name, publisher_name=sub.publisher_name,
        term=(sub.term_duration or "").upper(), billing_plan=sub.billing_cycle, unit_price=unit_price,
        currency=currency, term_start=term_start, term_end=sub.commitment_end or term_start,
        quantity=sub.quantity, reseller_mpn_id=sub.partner_id, promotion_id=sub.promotion_id or "",
        trial=sub.is_trial,
    )


def promotion_discount(sub: Subscription) -> Decimal | None:
    """The percent discount of the promotion the subscription was bought with, for its product, term and billing
    cycle (None: no promotion, or not one of the simulator's)."""
    wanted = (sub.promotion_id or "").lower()
    for promo in PROMOTIONS if wanted else ():
        if (promo["id"].lower() == wanted and (promo["productId"], promo["skuId"]) == (sub.product_id, sub.sku_id)
                and (sub.term_duration or "").upper() == promo["duration"] and sub.billing_cycle in promo["cycles"]):
            return Decimal(promo["percent"])
    return None


class Charges:
    def __init__(self, core: BackendCore) -> None:
        self.core = core

    def purchased(self, partner: PartnerAccount, order: Order, line: OrderLine, sub: Subscription) -> None:
        if sub.product_type == "Azure" or sub.commitment_end is None:
            return  # Azure plan: usage, not licence lines
        price = Decimal(str(line.pricing.get("price", 0)))
        billed = billed_subscription(partner, sub, price, order.currency_code)
        self.core.state.ledger.purchase(billed, sub.created)
        discount = promotion_discount(sub)
        if discount:
            self.core.state.ledger.promote(sub.id, sub.promotion_id or "", discount)

    def renewed(self, sub: Subscription) -> None:
        if sub.commitment_end is None:
            return
        offer = self.core.catalog.find(sub.offer_id, sub.country)
        price = None
        if offer is not None:
            value = offer.unit_prices(sub.term_duration, sub.billing_cycle)[0]
            price = Decimal(str(value)) if value else None
        self.core.state.ledger.renew(
            sub.id, sub.effective_start.date(), sub.commitment_end, quantity=sub.quantity,
            term=(sub.term_duration or "").upper(), billing_plan=sub.billing_cycle, unit_price=price)

    def quantity_changed(self, sub: Subscription, quantity: int, when: dt.datetime) -> None:
        self.core.state.ledger.change_quantity(sub.id, when, quantity)

    def converted(self, partner: PartnerAccount, source: Subscription, target: Subscription, when: dt.datetime,
                  quantity: int, *, into_existing: bool) -> None:
        """An upgrade: ``convert`` into a new target (priced at the target's list price), ``moveQuantity`` into an
        existing one (its own locked price); the source is refunded the moved seats, one ``referenceId``."""
        if source.commitment_end is None:
            return
        billed = self.core.state.ledger.subscriptions.get(target.id)
        if billed is None:
            offer = self.core.catalog.find(target.offer_id, target.country)
            value = offer.unit_prices(target.term_duration, target.billing_cycle)[0] if offer is not None else None
            source_billed = self.core.state.ledger.subscriptions.get(source.id)
            currency = source_billed.currency if source_billed is not None else "USD"
            billed = billed_subscription(partner, target, Decimal(str(value or 0)), currency)  # the moved seats
            self.core.state.ledger.convert(source.id, billed, when, quantity, into_existing=into_existing)
            return
        self.core.state.ledger.convert(source.id, billed, when, quantity, into_existing=into_existing)
        billed.quantity += quantity

    def cancelled(self, sub: Subscription, when: dt.datetime) -> None:
        self.core.state.ledger.cancel(sub.id, when)
