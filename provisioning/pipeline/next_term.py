"""Write a subscription's next-term instruction (changes at renewal) to Partner Center, or clear it; on success the
BSS records that Partner Center holds it (and that auto-renew is on, as Partner Center requires)."""

from __future__ import annotations

from typing import Any

from bss.services import renewals as renewal_services
from partnercenter.resources.subscriptions import SubscriptionsResource
from partnercenter.types import ScheduledNextTermInstructions
from partnercenter.types import Subscription as PCSubscription
from provisioning.models import ProvisioningOperation
from provisioning.pipeline.base import Outcome, subscription_of
from provisioning.pipeline.subscription_change import change_step


def instructions_of(op: ProvisioningOperation) -> ScheduledNextTermInstructions | None:
    """The instruction to send: the subscription's own product, SKU, term and billing cycle where it keeps them."""
    wanted = op.payload.get("instruction")
    if not wanted:
        return None
    sub = subscription_of(op)
    offer = (sub.pc_offer_id or "").split(":")
    changes_sku = bool(wanted.get("pc_product_id") and wanted.get("pc_sku_id"))
    return ScheduledNextTermInstructions(
        product_id=wanted["pc_product_id"] if changes_sku else sub.pc_product_id or offer[0] or None,
        sku_id=wanted["pc_sku_id"] if changes_sku else sub.pc_sku_id or (offer[1] if len(offer) > 1 else None),
        availability_id=(wanted.get("pc_availability_id") or None) if changes_sku else (
            offer[2] if len(offer) > 2 else None
        ),
        billing_cycle=wanted.get("billing_cycle") or sub.billing_cycle or None,
        term_duration=wanted.get("term_duration") or sub.term_duration or None,
        quantity=wanted.get("quantity") if wanted.get("quantity") is not None else sub.quantity,
    )


def _schedule(subs: SubscriptionsResource, op: ProvisioningOperation, ids: dict[str, Any]) -> PCSubscription:
    return subs.schedule_next_term(instructions=instructions_of(op), **ids)


def holds(sent: ScheduledNextTermInstructions | None, held: ScheduledNextTermInstructions | None) -> bool:
    """Partner Center's subscription holds the instruction `sent` (None: holds none)."""
    if sent is None or held is None:
        return sent is None and held is None

    def same(a: str | None, b: str | None) -> bool:
        return a is None or b is None or a.strip().lower() == b.strip().lower()

    return (
        (sent.quantity is None or sent.quantity == held.quantity)
        and same(sent.product_id, held.product_id)
        and same(sent.sku_id, held.sku_id)
        and same(sent.term_duration, held.term_duration)
        and same(sent.billing_cycle, held.billing_cycle)
    )


def _reflects(op: ProvisioningOperation, sub: PCSubscription) -> bool:
    return holds(instructions_of(op), sub.scheduled_next_term_instructions)


def next_term_set(op: ProvisioningOperation, outcome: Outcome) -> None:
    renewal_services.next_term_instruction_confirmed(subscription=subscription_of(op), pc=outcome.data)


STEP = change_step(_schedule, _reflects, next_term_set)
