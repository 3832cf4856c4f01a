"""Orders: reading them, and fulfilment — a pending order completes after its provisioning delay (or enough
polls) and only then do its subscriptions exist."""

from __future__ import annotations

import datetime as dt

from ..catalog import AZURE_PLAN_PRODUCT, Offer
from ..errors import PCError
from ..state import AzureEntitlement, Order, OrderLine, PartnerAccount, RefundBatch, Subscription
from .charges import Charges
from .core import BackendCore, Caller, cycle, term_end


class Orders:
    def __init__(self, core: BackendCore) -> None:
        self.core = core
        self.charges = Charges(core)

    def get(self, caller: Caller, customer_id: str, order_id: str, *, count_poll: bool = True) -> Order:
        customer = self.core.customer(caller, customer_id)
        order = caller.partner.orders.get(order_id.lower())
        if order is None or order.customer_id != customer.id:
            raise PCError(404, 20000)
        if count_poll and order.status == "pending":
            order.polls += 1
        self.settle(caller.partner)
        return order

    def of_customer(self, caller: Caller, customer_id: str, billing_type: str | None) -> list[Order]:
        customer = self.core.customer(caller, customer_id)
        self.settle(caller.partner)
        lag = dt.timedelta(seconds=self.core.state.config.order_list_lag_seconds)
        now = self.core.now
        orders = [caller.partner.orders[o] for o in caller.partner.customer_orders.get(customer.id, [])]
        orders = [o for o in orders if o.created + lag <= now]
        if billing_type:
            orders = [o for o in orders if o.billing_cycle == cycle(billing_type)]
        return orders

    def provisioning_status(self, caller: Caller, customer_id: str, order_id: str) -> Order:
        caller.require_user()
        return self.get(caller, customer_id, order_id, count_poll=False)

    # -- fulfilment ----------------------------------------------------------------------------------------
    def settle(self, partner: PartnerAccount) -> None:
        """Complete every pending order whose provisioning delay has passed (subscriptions appear then)."""
        if not partner.pending_orders:
            return
        now = self.core.now
        polls = self.core.state.config.order_provisioning_polls
        for order_id in list(partner.pending_orders):
            order = partner.orders.get(order_id)
            if order is None:
                partner.pending_orders.discard(order_id)
                continue
            if now >= order.completes_at or (polls is not None and order.polls >= polls):
                self._complete(partner, order)

    def _complete(self, partner: PartnerAccount, order: Order) -> None:
        order.status = "completed"
        order.version += 1
        partner.pending_orders.discard(order.id)
        for line in order.lines:
            offer = self.core.catalog.find(line.offer_id, line.country)
            sub = self.new_subscription(order, line, offer, order.created)
            self._align_addon(partner, sub)
            partner.subscriptions[sub.id] = sub
            partner.customer_subscriptions.setdefault(order.customer_id, []).append(sub.id)
            self.charges.purchased(partner, order, line, sub)

    def _align_addon(self, partner: PartnerAccount, sub: Subscription) -> None:
        """A new-commerce add-on is co-terminous with its base: same end date, and it names its base."""
        market = self.core.catalog.market(sub.country)
        sku = market.skus.get((sub.product_id, sub.sku_id)) if market else None
        if sku is None or not sku.is_addon or not sku.prerequisite_skus:
            return
        bases = [s for s in self.core.subs_of(partner, sub.customer_id)
                 if s.status == "active" and f"{s.product_id}:{s.sku_id}" in sku.prerequisite_skus
                 and s.commitment_end is not None]
        if not bases:
            return
        base = max(bases, key=lambda s: (s.quantity, s.created))
        sub.parent_subscription_id = base.id
        sub.commitment_end = base.commitment_end

    def new_subscription(self, order: Order, line: OrderLine, offer: Offer | None,
                         created: dt.datetime) -> Subscription:
        """The subscription one order line turns into when the order completes."""
        azure = line.product_id == AZURE_PLAN_PRODUCT
        window = dt.timedelta(hours=self.core.state.config.cancellation_window_hours)
        start = created
        sub = Subscription(
            id=line.subscription_id, customer_id=order.customer_id, offer_id=line.offer_id,
            product_id=line.product_id, sku_id=line.sku_id, availability_id=line.availability_id,
            offer_name=offer.product_title if offer else line.friendly_name, friendly_name=line.friendly_name,
            product_type="Azure" if azure else (offer.product_type if offer else "OnlineServicesNCE"),
            quantity=line.quantity, unit_type="Usage-based" if azure else "Licenses",
            billing_type="usage" if azure else "license", billing_cycle=line.billing_cycle,
            term_duration=None if azure else line.term_duration, created=created, effective_start=start,
            commitment_end=dt.date(9999, 12, 10) if azure else term_end(start.date(), line.term_duration),
            cancellation_allowed_until=start + window, order_id=order.id, country=line.country,
            min_quantity=offer.min_quantity if offer else 1, max_quantity=offer.max_quantity if offer else 1000000,
            auto_renew=not azure, partner_id=line.partner_id_on_record or "", promotion_id=line.promotion_id,
            refund_batches=[] if azure else [RefundBatch(line.quantity, start + window)],
        )
        if azure:
            sub.entitlements.append(AzureEntitlement(id=self.core.state.ids.guid(),
                                                     friendly_name="Azure subscription 1"))
        return sub
