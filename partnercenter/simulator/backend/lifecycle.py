"""New-commerce lifecycle beyond buying: transitions (upgrades; eligibilities, full or partial, to a new or an
existing target), add-ons of a base subscription, product promotions and promotion eligibilities.

Answers are Partner Center JSON built here (these resources have no state of their own beyond transitions)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from ..body import CIDict
from ..catalog import Offer
from ..catalog_data import PROMOTIONS
from ..errors import PCError
from ..state import Subscription
from .core import BackendCore, Caller, cycle, iso, to_int
from .orders import Orders
from .subscriptions import Subscriptions

TRANSITION_TYPES = ("transition_only", "transition_with_license_transfer")

@dataclasses.dataclass
class Transition:
    id: str
    customer_id: str
    from_subscription_id: str
    to_subscription_id: str
    from_catalog_item_id: str
    to_catalog_item_id: str
    quantity: int
    transition_type: str
    started: dt.datetime
    status: str = "Completed"

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id, "fromCatalogItemId": self.from_catalog_item_id,
            "toCatalogItemId": self.to_catalog_item_id, "fromSubscriptionId": self.from_subscription_id,
            "toSubscriptionId": self.to_subscription_id, "quantity": self.quantity,
            "transitionType": self.transition_type, "status": self.status,
            "events": [{"name": "Conversion", "status": "Started", "timestamp": iso(self.started)},
                       {"name": "Conversion", "status": "Completed", "timestamp": iso(self.started)}],
            "attributes": {"objectType": "Transition"},
        }


class Lifecycle:
    def __init__(self, core: BackendCore, orders: Orders, subscriptions: Subscriptions) -> None:
        self.core = core
        self.orders = orders
        self.subscriptions = subscriptions
        self.transitions: dict[str, list[Transition]] = {}
        """Source subscription id -> its transitions."""

    # -- catalog helpers -----------------------------------------------------------------------------------
    def _sku(self, country: str, product_id: str, sku_id: str) -> Any:
        market = self.core.catalog.market(country)
        return None if market is None else market.skus.get((product_id.upper(), sku_id))

    def _offer_of(self, country: str, product_sku: str) -> Offer | None:
        product_id, _, sku_id = product_sku.partition(":")
        for offer in self.core.catalog.offers(country).values():
            if offer.product_id == product_id.upper() and offer.sku_id == sku_id:
                return offer
        return None

    def upgrade_targets(self, sub: Subscription) -> list[str]:
        sku = self._sku(sub.country, sub.product_id, sub.sku_id)
        return list(sku.upgrade_targets) if sku is not None else []

    # -- transitions ---------------------------------------------------------------------------------------
    def transition_eligibilities(self, caller: Caller, customer_id: str, subscription_id: str,
                                 eligibility_type: str | None) -> list[dict[str, Any]]:
        source = self.subscriptions.get(caller, customer_id, subscription_id)
        kind = (eligibility_type or "immediate").lower()
        if kind not in ("immediate", "scheduled"):
            raise PCError(400, 800002, description="Invalid request input: eligibilityType is immediate or "
                          "scheduled")
        source_errors = [] if source.status == "active" else [
            {"code": 1, "description": "The subscription is not active"}]
        items = []
        for target in self.upgrade_targets(source):
            offer = self._offer_of(source.country, target)
            if offer is None:
                continue
            existing = [s for s in self.core.subs_of(caller.partner, source.customer_id)
                        if s.product_id == offer.product_id and s.sku_id == offer.sku_id and s.id != source.id]
            items.append({
                "catalogItemId": offer.catalog_item_id, "title": offer.sku_title,
                "description": f"Upgrade to {offer.sku_title}", "quantity": source.quantity,
                "eligibilities": [{"isEligible": not source_errors, "transitionType": t, "errors": source_errors}
                                  for t in TRANSITION_TYPES] if kind == "immediate" else
                [{"isEligible": not source_errors and source.auto_renew, "transitionType": "scheduled",
                  "errors": source_errors}],
                "subscriptionEligibilities": [self._target_eligibility(source, s) for s in existing],
                "attributes": {"objectType": "TransitionEligibility"},
            })
        return items

    def _target_problems(self, source: Subscription, target: Subscription) -> list[dict[str, Any]]:
        problems = []
        if target.status != "active":
            problems.append({"code": 1, "description": "The destination subscription is not active"})
        window_open = target.cancellation_allowed_until is not None and self.core.now < \
            target.cancellation_allowed_until
        if window_open:
            problems.append({"code": 2, "description": "The destination subscription is in its cancellation "
                             "window"})
        months = {"P1M": 1, "P1Y": 12, "P3Y": 36}
        if months.get(target.term_duration or "", 0) < months.get(source.term_duration or "", 0):
            problems.append({"code": 3, "description": "The destination subscription has a shorter term"})
        if target.commitment_end and source.commitment_end and target.commitment_end < source.commitment_end:
            problems.append({"code": 4, "description": "The destination subscription ends earlier"})
        return problems

    def _target_eligibility(self, source: Subscription, target: Subscription) -> dict[str, Any]:
        problems = self._target_problems(source, target)
        return {"isEligible": not problems, "subscriptionId": target.id,
                "subscriptionFriendlyName": target.friendly_name,
                "subscriptionTermDuration": target.term_duration or "",
                "subscriptionBillingCycle": target.billing_cycle, "errors": problems}

    def create_transition(self, caller: Caller, customer_id: str, subscription_id: str,
                          body: CIDict) -> Transition:
        source = self.subscriptions.get(caller, customer_id, subscription_id)
        to_item = (body.text("toCatalogItemId") or "").upper()
        if not to_item or body.get("quantity") is None:
            raise PCError(400, 800002, description="Invalid request input: toCatalogItemId and quantity are "
                          "required")
        quantity = to_int(body.get("quantity"), "quantity")
        transition_type = (body.text("transitionType") or "transition_only").lower()
        if transition_type not in TRANSITION_TYPES:
            raise PCError(400, 800002, description=f"Invalid request input: transitionType {transition_type}")
        if source.status != "active":
            raise PCError(400, 800002, description="The source subscription is not active")
        offer = self.core.catalog.find(to_item, source.country)
        if offer is None or f"{offer.product_id}:{offer.sku_id}" not in self.upgrade_targets(source):
            raise PCError(400, 800002, description=f"{to_item} is not an eligible transition target")
        if not 1 <= quantity <= source.quantity:
            raise PCError(400, 800002, description=f"Invalid request input: quantity must be between 1 and "
                          f"{source.quantity}")
        partner = caller.partner
        to_id = body.text("toSubscriptionId")
        now = self.core.now
        if to_id:
            target = self.subscriptions.get(caller, customer_id, to_id)
            if (target.product_id, target.sku_id) != (offer.product_id, offer.sku_id):
                raise PCError(400, 800002, description="The destination subscription is not of the target SKU")
            problems = self._target_problems(source, target)
            if problems:
                raise PCError(400, 800002, description=problems[0]["description"])
            into_existing = True
            target.quantity += quantity
            target.scheduled_next_term_instructions = None
            target.version += 1
        else:
            into_existing = False
            # A new target subscription, co-terminous with the source.
            target = dataclasses.replace(
                source, id=self.core.state.ids.guid(), offer_id=offer.catalog_item_id, product_id=offer.product_id,
                sku_id=offer.sku_id, availability_id=offer.availability_id, offer_name=offer.product_title,
                friendly_name=offer.sku_title, quantity=quantity, created=now, effective_start=now,
                min_quantity=offer.min_quantity, max_quantity=offer.max_quantity, refund_batches=[],
                scheduled_next_term_instructions=None, suspension_reasons=[], entitlements=[], version=1,
                updates=0, cancellation_allowed_until=None, promotion_id=None,
            )
            partner.subscriptions[target.id] = target
            partner.customer_subscriptions.setdefault(source.customer_id, []).append(target.id)
        full = quantity == source.quantity
        # Microsoft's billing: `convert` (new target) or `moveQuantity` (existing target), source refunded.
        self.orders.charges.converted(partner, source, target, now, quantity, into_existing=into_existing)
        # Any mid-term change deletes the scheduled next-term instruction.
        source.scheduled_next_term_instructions = None
        if full:
            source.status, source.status_changed, source.auto_renew = "expired", now, False
            source.refund_batches = []
        else:
            source.quantity -= quantity
        source.version += 1
        transition = Transition(
            id=self.core.state.ids.guid(), customer_id=source.customer_id, from_subscription_id=source.id,
            to_subscription_id=target.id, from_catalog_item_id=source.offer_id,
            to_catalog_item_id=offer.catalog_item_id, quantity=quantity, transition_type=transition_type,
            started=now,
        )
        self.transitions.setdefault(source.id, []).append(transition)
        customer = partner.customers[source.customer_id]
        self.core.audit(caller, "upgrade_subscription", "subscription", customer, {"Id": source.id},
                        {"SubscriptionId": source.id, "ToSubscriptionId": target.id, "Quantity": quantity})
        return transition

    def list_transitions(self, caller: Caller, customer_id: str, subscription_id: str) -> list[Transition]:
        source = self.subscriptions.get(caller, customer_id, subscription_id)
        return list(self.transitions.get(source.id, []))

    # -- add-ons -------------------------------------------------------------------------------------------
    def addon_offers(self, caller: Caller, customer_id: str, subscription_id: str) -> list[Offer]:
        """The add-on offers a base subscription can take (their SKU lists its product:sku as prerequisite)."""
        base = self.subscriptions.get(caller, customer_id, subscription_id)
        market = self.core.catalog.market(base.country)
        key = f"{base.product_id}:{base.sku_id}"
        result = []
        for offer in self.core.catalog.offers(base.country).values():
            sku = market.skus.get((offer.product_id, offer.sku_id)) if market else None
            if sku is not None and sku.is_addon and key in sku.prerequisite_skus:
                result.append(offer)
        return result

    def has_addons(self, sub: Subscription) -> bool:
        market = self.core.catalog.market(sub.country)
        if market is None:
            return False
        key = f"{sub.product_id}:{sub.sku_id}"
        return any(s.is_addon and key in s.prerequisite_skus for s in market.skus.values())

    def addon_subscriptions(self, caller: Caller, customer_id: str, subscription_id: str) -> list[Subscription]:
        base = self.subscriptions.get(caller, customer_id, subscription_id)
        return [s for s in self.subscriptions.of_customer(caller, customer_id) if s.parent_subscription_id == base.id]

    # -- promotions ----------------------------------------------------------------------------------------
    def promotions(self, country: str, segment: str | None) -> list[dict[str, Any]]:
        if (segment or "commercial").lower() != "commercial":
            return []
        return [self._render_promotion(p, country) for p in PROMOTIONS
                if self._offer_of(country, f"{p['productId']}:{p['skuId']}") is not None]

    def promotion(self, promotion_id: str, country: str) -> dict[str, Any]:
        for promo in PROMOTIONS:
            if promo["id"].lower() == promotion_id.lower():
                return self._render_promotion(promo, country)
        raise PCError(404, 27007, description=f"Promotion {promotion_id} not found")

    def _render_promotion(self, promo: dict[str, Any], country: str) -> dict[str, Any]:
        start = self.core.now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return {
            "id": promo["id"], "name": promo["name"], "description": promo["description"],
            "startDate": iso(start), "endDate": iso(start + dt.timedelta(days=365)),
            "properties": {"isAutoApplicable": promo["autoApplicable"]},
            "requiredProducts": [{
                "productId": promo["productId"], "skuId": promo["skuId"],
                "term": {"duration": promo["duration"], "billingCycle": c},
                "pricingPolicies": [{"policyType": "PercentDiscount", "value": promo["percent"]}],
            } for c in promo["cycles"]],
            "country": country, "attributes": {"objectType": "ProductPromotion"},
        }

    def promotion_eligibilities(self, caller: Caller, customer_id: str, body: CIDict) -> list[dict[str, Any]]:
        customer = self.core.customer(caller, customer_id)
        items = body.get("items")
        if not isinstance(items, list) or not items:
            raise PCError(400, 800002, description="Invalid request input: items must be a non-empty array")
        owned = {(s.product_id, s.sku_id) for s in self.core.subs_of(caller.partner, customer.id)
                 if s.status == "active"}
        answers = []
        for raw in items:
            item = raw if isinstance(raw, CIDict) else CIDict()
            catalog_item_id = (item.text("catalogItemId") or "").upper()
            offer = self.core.catalog.find(catalog_item_id, customer.country)
            wanted = (item.text("promotionId") or "").lower()
            candidates = [p for p in PROMOTIONS if not wanted or p["id"].lower() == wanted]
            eligibilities = []
            for promo in candidates:
                errors = self._promotion_errors(promo, offer, item, owned)
                eligibilities.append({"promotionId": promo["id"], "isEligible": not errors, "errors": errors})
            if not candidates:
                eligibilities.append({"promotionId": item.text("promotionId"), "isEligible": False,
                                      "errors": [{"type": "InvalidPromotion",
                                                  "description": "The promotion does not exist"}]})
            answers.append({"id": item.get("id"), "catalogItemId": catalog_item_id, "eligibilities": eligibilities})
        return answers

    @staticmethod
    def _promotion_errors(promo: dict[str, Any], offer: Offer | None, item: CIDict,
                          owned: set[tuple[str, str]]) -> list[dict[str, str]]:
        if offer is None:
            return [{"type": "InvalidCatalogItemId", "description": "The catalog item is not valid"}]
        if (offer.product_id, offer.sku_id) != (promo["productId"], promo["skuId"]):
            return [{"type": "NoPromotionsAvailable", "description": "The promotion does not apply to this item"}]
        errors = []
        if (item.text("termDuration") or "").upper() != promo["duration"] or \
                cycle(item.get("billingCycle")) not in promo["cycles"]:
            errors.append({"type": "Term", "description": "The term or billing cycle is not part of the promotion"})
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or not promo["minSeats"] <= quantity <= promo["maxSeats"]:
            errors.append({"type": "SeatCount", "description": f"Seats must be between {promo['minSeats']} and "
                           f"{promo['maxSeats']}"})
        if promo["requiresOwnership"] and not owned:
            errors.append({"type": "PrerequisiteProductOwnership",
                           "description": "The customer must own a qualifying product"})
        return errors
