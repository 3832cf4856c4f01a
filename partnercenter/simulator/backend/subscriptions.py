"""Subscriptions: reads (which first apply what simulated time implies: renewal, expiry, disabling,
deletion), changes (quantity with refundable seat batches, suspend and reactivate, cancel within the window,
auto-renew and next-term instructions) and Azure plan entitlements."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..body import CIDict, plain
from ..catalog import AZURE_PLAN_PRODUCT
from ..errors import PCError
from ..state import AzureEntitlement, RefundBatch, Subscription
from .core import BackendCore, Caller, cycle, end_of_day, subscription_etag, term_end, to_int
from .orders import Orders

MAX_SUBSCRIPTION_UPDATES = 1200


class Subscriptions:
    def __init__(self, core: BackendCore, orders: Orders) -> None:
        self.core = core
        self.orders = orders

    def of_customer(self, caller: Caller, customer_id: str, *, order_id: str | None = None,
                    mpn_id: str | None = None) -> list[Subscription]:
        customer = self.core.customer(caller, customer_id)
        self.orders.settle(caller.partner)
        subs = self.core.subs_of(caller.partner, customer.id)
        for sub in subs:
            self.refresh(sub)
        if order_id:
            subs = [s for s in subs if s.order_id == order_id.lower()]
        if mpn_id:
            subs = [s for s in subs if s.partner_id == mpn_id]
        return subs

    def get(self, caller: Caller, customer_id: str, subscription_id: str) -> Subscription:
        customer = self.core.customer(caller, customer_id)
        self.orders.settle(caller.partner)
        sub = caller.partner.subscriptions.get(subscription_id.lower())
        if sub is None or sub.customer_id != customer.id:
            raise PCError(404, 20003, subscription_id)
        self.refresh(sub)
        return sub

    def refresh(self, sub: Subscription) -> None:
        """Apply what simulated time implies: renewals at term end, expiry, disabling and deletion."""
        if sub.product_type == "Azure" or sub.commitment_end is None:
            return
        now = self.core.now
        window = dt.timedelta(hours=self.core.state.config.cancellation_window_hours)
        while (sub.status in ("active", "suspended") and sub.commitment_end is not None
               and now > end_of_day(sub.commitment_end)):
            ended = sub.commitment_end
            if sub.status == "suspended":
                sub.status, sub.status_changed = "disabled", end_of_day(ended)
                break
            if not sub.auto_renew:
                sub.status, sub.status_changed = "expired", end_of_day(ended)
                break
            instructions = CIDict(sub.scheduled_next_term_instructions or {})
            product = instructions.obj("product")
            if instructions.get("quantity") is not None:
                sub.quantity = to_int(instructions.get("quantity"), "quantity")
            if product.text("termDuration"):
                sub.term_duration = (product.text("termDuration") or "").upper()
            if product.text("billingCycle"):
                sub.billing_cycle = cycle(product.text("billingCycle"))
            if product.text("productId") and product.text("skuId"):
                self._renew_into(sub, product)
            sub.scheduled_next_term_instructions = None
            start = dt.datetime.combine(ended + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
            sub.effective_start = start
            sub.commitment_end = term_end(start.date(), sub.term_duration)
            sub.cancellation_allowed_until = start + window
            sub.refund_batches = [RefundBatch(sub.quantity, start + window)]
            sub.version += 1
            self.orders.charges.renewed(sub)
        if sub.status == "expired" and sub.status_changed and now > sub.status_changed + dt.timedelta(days=30):
            sub.status, sub.status_changed = "disabled", sub.status_changed + dt.timedelta(days=30)
            sub.version += 1
        if sub.status == "disabled" and sub.status_changed and now > sub.status_changed + dt.timedelta(days=90):
            sub.status, sub.status_changed = "deleted", sub.status_changed + dt.timedelta(days=90)
            sub.version += 1

    def _renew_into(self, sub: Subscription, product: CIDict) -> None:
        """A SKU change scheduled for the next term takes effect at renewal."""
        product_id, sku_id = (product.text("productId") or "").upper(), product.text("skuId") or ""
        availability_id = (product.text("availabilityId") or "").upper()
        for offer in self.core.catalog.offers(sub.country).values():
            if offer.product_id == product_id and offer.sku_id == sku_id and (
                    not availability_id or offer.availability_id == availability_id):
                sub.product_id, sub.sku_id, sub.availability_id = offer.product_id, offer.sku_id, offer.availability_id
                sub.offer_id, sub.offer_name = offer.catalog_item_id, offer.product_title
                sub.min_quantity, sub.max_quantity = offer.min_quantity, offer.max_quantity
                return

    def patch(self, caller: Caller, customer_id: str, subscription_id: str, body: CIDict,
              if_match: str | None) -> Subscription:
        sub = self.get(caller, customer_id, subscription_id)
        if if_match and if_match.strip().strip('"') not in ("*", subscription_etag(sub)):
            raise PCError(400, 2055)
        if sub.status == "deleted":
            raise PCError(400, 2011, sub.id)
        if sub.status in ("expired", "disabled"):
            raise PCError(400, 900277)
        sub.updates += 1
        if sub.updates > MAX_SUBSCRIPTION_UPDATES:
            raise PCError(400, 900311)
        now = self.core.now
        azure = sub.product_type == "Azure"
        status = (body.text("status") or sub.status).lower()
        quantity = to_int(body.get("quantity", sub.quantity), "quantity")
        partner_id = body.get("partnerId")
        if partner_id not in (None, "") and str(partner_id) != sub.partner_id:
            raise PCError(400, 800098)
        billing_cycle = body.text("billingCycle")
        if billing_cycle and cycle(billing_cycle) != sub.billing_cycle:
            raise PCError(400, 2054)
        if status not in ("active", "suspended", "deleted"):
            raise PCError(400, 800096)
        changes: dict[str, Any] = {}

        if status == "deleted":
            if azure:
                if any(e.status == "active" for e in sub.entitlements):
                    raise PCError(403, 900115, description="Azure plan can't be cancelled while it has active "
                                  "Azure subscriptions")
            elif sub.cancellation_allowed_until is None or now > sub.cancellation_allowed_until:
                raise PCError(400, 900213, self.core.state.config.cancellation_window_hours)
            sub.status, sub.status_changed, sub.auto_renew = "deleted", now, False
            if not azure:
                self.orders.charges.cancelled(sub, now)
            sub.refund_batches = []
            sub.scheduled_next_term_instructions = None
            changes["Status"] = "deleted"
        elif sub.status == "suspended" and status == "suspended":
            if quantity != sub.quantity:
                raise PCError(400, 800091)
        elif status == "suspended":
            if azure and any(e.status == "active" for e in sub.entitlements):
                raise PCError(403, 900115)
            if quantity != sub.quantity:
                raise PCError(400, 2001)
            sub.status, sub.status_changed = "suspended", now
            sub.suspension_reasons = ["PartnerInitiated"]
            sub.scheduled_next_term_instructions = None
            changes["Status"] = "suspended"
        else:
            if sub.status == "suspended":
                if quantity != sub.quantity:
                    raise PCError(400, 2001)
                sub.status, sub.status_changed, sub.suspension_reasons = "active", now, []
                changes["Status"] = "active"
            if quantity != sub.quantity:
                self._change_quantity(sub, quantity)
                changes["Quantity"] = quantity
            auto_renew = bool(body.get("autoRenewEnabled", False))
            if auto_renew and azure:
                raise PCError(400, 800093)
            if auto_renew != sub.auto_renew:
                changes["AutoRenewEnabled"] = auto_renew
            sub.auto_renew = auto_renew
            instructions = body.get("scheduledNextTermInstructions")
            if "Quantity" in changes or "Status" in changes:
                # Microsoft deletes the scheduled next-term instruction on any mid-term change.
                sub.scheduled_next_term_instructions = None
            elif isinstance(instructions, dict) and instructions:
                if not auto_renew:
                    raise PCError(400, 800002, description="Invalid request input: scheduledNextTermInstructions "
                                  "require autoRenewEnabled to be true")
                self._check_next_term(sub, CIDict(instructions))
                sub.scheduled_next_term_instructions = plain(instructions)
            else:
                sub.scheduled_next_term_instructions = None
        friendly = body.text("friendlyName")
        if friendly and friendly != sub.friendly_name:
            sub.friendly_name = friendly
            changes["FriendlyName"] = friendly
        sub.version += 1
        customer = caller.partner.customers[sub.customer_id]
        self.core.audit(caller, "update_subscription", "subscription", customer, {"Id": sub.id, **changes},
                        {"SubscriptionId": sub.id, **changes})
        return sub

    def _check_next_term(self, sub: Subscription, instructions: CIDict) -> None:
        """A scheduled next term names an offer that exists in the subscription's market: the same SKU (another
        term, billing cycle or quantity) or one its SKU upgrades to, with a term that offer sells."""
        product = instructions.obj("product")
        product_id = (product.text("productId") or sub.product_id).upper()
        sku_id = product.text("skuId") or sub.sku_id
        availability_id = (product.text("availabilityId") or "").upper()
        market = self.core.catalog.market(sub.country)
        sku = market.skus.get((sub.product_id, sub.sku_id)) if market else None
        target = None
        for offer in self.core.catalog.offers(sub.country).values():
            if offer.product_id == product_id and offer.sku_id == sku_id and (
                    not availability_id or offer.availability_id == availability_id):
                target = offer
                break
        if target is None:
            raise PCError(400, 800002, description=f"Invalid request input: the next-term offer {product_id}:"
                          f"{sku_id}:{availability_id} does not exist")
        same_sku = (product_id, sku_id) == (sub.product_id, sub.sku_id)
        if not same_sku and (sku is None or f"{product_id}:{sku_id}" not in sku.upgrade_targets):
            raise PCError(400, 800002, description=f"Invalid request input: {product_id}:{sku_id} is not an "
                          "eligible next-term target of this subscription")
        duration = (product.text("termDuration") or sub.term_duration or "").upper()
        billing = cycle(product.text("billingCycle") or sub.billing_cycle)
        if target.term(duration, billing) is None:
            raise PCError(400, 800002, description=f"Invalid request input: {duration}/{billing} is not sold for "
                          "the next-term offer")
        if instructions.get("quantity") is not None:
            quantity = to_int(instructions.get("quantity"), "quantity")
            if not target.min_quantity <= quantity <= target.max_quantity:
                raise PCError(400, 2002)

    def _change_quantity(self, sub: Subscription, quantity: int) -> None:
        if sub.product_type == "Azure":
            raise PCError(400, 800095)
        if quantity < sub.min_quantity or quantity > sub.max_quantity:
            raise PCError(400, 2002)
        now = self.core.now
        window = dt.timedelta(hours=self.core.state.config.cancellation_window_hours)
        if quantity > sub.quantity:
            sub.refund_batches.append(RefundBatch(quantity - sub.quantity, now + window))
            self.orders.charges.quantity_changed(sub, quantity, now)
            sub.quantity = quantity
            return
        to_remove = sub.quantity - quantity
        refundable = self.core.refundable(sub)
        if to_remove > sum(b.quantity for b in refundable):
            # Microsoft's documented answer to a decrease outside the window (error-code page: 800090).
            raise PCError(400, 800090)
        for batch in sorted(refundable, key=lambda b: b.allowed_until, reverse=True):
            taken = min(batch.quantity, to_remove)
            batch.quantity -= taken
            to_remove -= taken
            if not to_remove:
                break
        sub.refund_batches = [b for b in sub.refund_batches if b.quantity > 0]
        self.orders.charges.quantity_changed(sub, quantity, now)
        sub.quantity = quantity

    def provisioning_status(self, caller: Caller, customer_id: str, subscription_id: str) -> Subscription:
        caller.require_user()
        return self.get(caller, customer_id, subscription_id)

    def azure_entitlements(self, caller: Caller, customer_id: str, subscription_id: str) -> list[AzureEntitlement]:
        sub = self.get(caller, customer_id, subscription_id)
        if sub.product_id != AZURE_PLAN_PRODUCT:
            raise PCError(400, 800002, description="Invalid request input: the subscription is not an Azure plan")
        return sub.entitlements
