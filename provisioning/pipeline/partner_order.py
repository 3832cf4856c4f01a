"""Follow the Partner Center order until it has completed, then read the subscriptions it created and record them
(with their Azure entitlements) in the BSS, each on the order line it came from."""

from __future__ import annotations

from typing import Any

from bss.services import subscriptions as subscription_services
from partnercenter.client import PartnerCenterClient
from partnercenter.types import Subscription as PCSubscription
from provisioning.choices import OperationKind
from provisioning.models import ProvisioningOperation
from provisioning.pipeline.base import (
    Outcome,
    PermanentFailure,
    Step,
    customer_id_of,
    order_of,
    order_wait_seconds,
    previous_step,
    sanitize,
    tenant_of,
)


def await_order(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    customer_id = customer_id_of(op)
    orders = previous_step(op, OperationKind.CHECKOUT).result["orders"]
    statuses: dict[str, str] = {}
    for entry in orders:
        order = client.orders.get(customer_id=customer_id, order_id=entry["id"])
        statuses[order.id] = (order.status or "unknown").lower()
    bad = {oid: s for oid, s in statuses.items() if s in ("cancelled", "error", "po review rejected")}
    if bad:
        raise PermanentFailure(
            "Partner Center order " + ", ".join(f"{oid} is {s}" for oid, s in bad.items()), code="order_failed"
        )
    if all(s == "completed" for s in statuses.values()):
        return Outcome(result={"orders": statuses})
    return Outcome(
        result={"orders": statuses}, wait=order_wait_seconds(op), message="Partner Center is still provisioning."
    )


def record_subscriptions(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    """Read the subscriptions the order created; wait while Partner Center has not provisioned or listed them all.

    Microsoft names a line's subscription only once it is provisioned (the checkout answer usually names none), so
    the expected set comes from the order as it stands now: every line item must carry its subscription id, and
    the customer's subscriptions of that order must list each of them."""
    customer_id = customer_id_of(op)
    orders = previous_step(op, OperationKind.CHECKOUT).result["orders"]
    expected: set[str] = set()
    subscriptions: list[PCSubscription] = []
    for entry in orders:
        order = client.orders.get(customer_id=customer_id, order_id=entry["id"])
        named = [li.subscription_id for li in order.line_items]
        if not all(named) or len(named) < len(entry.get("line_items") or ()):
            return Outcome(wait=order_wait_seconds(op),
                           message="Waiting for Partner Center to provision every line of the order.")
        expected.update(sid for sid in named if sid)
        subscriptions.extend(client.subscriptions.list(customer_id=customer_id, order_id=entry["id"]))
    found = {s.id for s in subscriptions}
    if expected - found:
        return Outcome(wait=order_wait_seconds(op), message="Waiting for Partner Center to list the subscriptions.")
    entitlements = {}
    for sub in subscriptions:
        if (sub.product_type_id or "").lower() == "azure" or (sub.unit_type or "").lower() == "usage-based":
            entitlements[sub.id] = client.subscriptions.list_azure_entitlements(
                customer_id=customer_id, subscription_id=sub.id
            )
    return Outcome(
        result={"subscriptions": sorted(found)},
        response={"subscriptions": [sanitize(s) for s in subscriptions]},
        data={"subscriptions": subscriptions, "entitlements": entitlements},
    )


def subscriptions_recorded(op: ProvisioningOperation, outcome: Outcome) -> None:
    order = order_of(op)
    cart_op = ProvisioningOperation.objects.get(order=order, kind=OperationKind.CREATE_CART)
    lines = {line.pk: line for line in order.lines.all()}
    unmatched = [dict(entry) for entry in cart_op.payload["lines"]]
    tenant = tenant_of(op)
    for pc in sorted(outcome.data["subscriptions"], key=lambda s: s.id):
        entry = _match_line(unmatched, pc)
        line = lines.get(entry["order_line_id"]) if entry else None
        sub = subscription_services.subscription_record_from_partner_center(
            tenant=tenant, order_line=line, pc=pc, actor=order.placed_by
        )
        if pc.id in outcome.data["entitlements"]:
            subscription_services.subscription_record_entitlements(
                subscription=sub, entitlements=outcome.data["entitlements"][pc.id]
            )


def _match_line(unmatched: list[dict[str, Any]], pc: Any) -> dict[str, Any] | None:
    """The cart line a Partner Center subscription came from: same catalog item (else same product and SKU)."""
    offer = (pc.offer_id or "").upper()
    for rule in (
        lambda e: e["catalog_item_id"].upper() == offer and e["quantity"] == pc.quantity,
        lambda e: e["catalog_item_id"].upper() == offer,
        lambda e: e["catalog_item_id"].upper().split(":")[:2] == offer.split(":")[:2],
    ):
        for entry in unmatched:
            if rule(entry):
                unmatched.remove(entry)
                return entry
    return None


AWAIT_ORDER = Step(execute=await_order)
RECORD_SUBSCRIPTIONS = Step(execute=record_subscriptions, apply=subscriptions_recorded)
