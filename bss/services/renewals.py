"""Changes at renewal and renewals themselves, as the core records them.

- The wanted next-term instruction (`NextTermInstruction`): saved when a change at renewal is asked for, marked
  confirmed when Partner Center holds it, forgotten when cleared or used up by the renewal.
- A renewal Partner Center made (`subscription_apply_renewal`): the BSS observes that the term end moved forward
  and records the new term (quantity, term, billing cycle, SKU as Partner Center renewed them) with a RENEW entry
  in the licence ledger at Partner Center's effective time, priced at the price list in force then (the caller
  passes how to price: the core does not know the catalog).
- A billing-plan change (`subscription_record_billing_plan_change`): the BSS changes a subscription's billing cycle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from bss.choices import LedgerEventKind, SubscriptionStatus
from bss.models import LicenseLedgerEntry, NextTermInstruction, Subscription, User
from bss.services.audit import audit_record, snapshot
from bss.services.ledger import ledger_record
from partnercenter.types import Subscription as PCSubscription

_TERM_FIELDS = [
    "quantity", "term_duration", "billing_cycle", "pc_offer_id", "pc_product_id", "pc_sku_id",
    "effective_start_date", "commitment_end_date", "cancellation_allowed_until",
]


@dataclass(frozen=True)
class RenewalPrice:
    """The price list's prices for the renewed term (sale price per licence per billing period, Microsoft's cost)."""

    unit_price: Decimal | None
    unit_cost: Decimal | None
    currency: str = ""


PriceOf = Callable[[Subscription], RenewalPrice | None]


def _locked(subscription: Subscription) -> Subscription:
    return Subscription.objects.select_for_update(of=("self",)).get(pk=subscription.pk)


# --- the wanted instruction -----------------------------------------------------------------------------------------


@transaction.atomic
def next_term_instruction_save(
    *,
    subscription: Subscription,
    actor: User | None,
    quantity: int | None,
    term_duration: str,
    billing_cycle: str,
    pc_product_id: str,
    pc_sku_id: str,
    pc_availability_id: str,
) -> NextTermInstruction:
    """Keep what the subscription should become at its next renewal (validated by the caller's service)."""
    existing = NextTermInstruction.objects.filter(subscription=subscription).first()
    before = existing.as_payload() if existing is not None else {}
    instruction, _ = NextTermInstruction.objects.update_or_create(
        subscription=subscription,
        defaults={
            "quantity": quantity,
            "term_duration": term_duration,
            "billing_cycle": billing_cycle,
            "pc_product_id": pc_product_id,
            "pc_sku_id": pc_sku_id,
            "pc_availability_id": pc_availability_id,
            "term_end": subscription.commitment_end_date,
            "confirmed_at": None,
            "created_by": actor if actor is not None and actor.pk else None,
        },
    )
    audit_record(
        actor=actor, action="subscription.next_term_set", obj=subscription, before=before,
        after=instruction.as_payload(),
    )
    return instruction


@transaction.atomic
def next_term_instruction_forget(*, subscription: Subscription, actor: User | None, reason: str) -> bool:
    """Drop the wanted instruction (cleared, or used up); True when there was one."""
    existing = NextTermInstruction.objects.filter(subscription=subscription).first()
    if existing is None:
        return False
    before = existing.as_payload()
    existing.delete()
    audit_record(
        actor=actor, actor_label="" if actor else "renewals", action="subscription.next_term_cleared",
        obj=subscription, before=before, after={"reason": reason},
    )
    return True


@transaction.atomic
def next_term_instruction_confirmed(*, subscription: Subscription, pc: PCSubscription) -> None:
    """Partner Center answered a next-term change: it holds the instruction (confirmed now) and auto-renew is on."""
    sub = _locked(subscription)
    if pc.auto_renew_enabled is not None and pc.auto_renew_enabled != sub.auto_renew:
        sub.auto_renew = pc.auto_renew_enabled
        sub.save(update_fields=["auto_renew", "updated_at"])
    if pc.scheduled_next_term_instructions is not None:
        NextTermInstruction.objects.filter(subscription=sub).update(confirmed_at=timezone.now())


# --- renewals and billing-plan changes --------------------------------------------------------------------------------


def renewal_observed(sub: Subscription, pc: PCSubscription) -> bool:
    """Partner Center renewed the subscription: its commitment end moved past ours, and it is still live."""
    pc_end = pc.commitment_end_date.date() if pc.commitment_end_date else None
    return (
        sub.commitment_end_date is not None
        and pc_end is not None
        and pc_end > sub.commitment_end_date
        and sub.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)
        and (pc.status or "").lower() == SubscriptionStatus.ACTIVE
    )


@transaction.atomic
def subscription_apply_renewal(
    *, subscription: Subscription, pc: PCSubscription, price_of: PriceOf
) -> LicenseLedgerEntry | None:
    """Record the renewal Partner Center made (idempotent: nothing when the term end has not moved forward).

    The new term is Partner Center's (quantity, term, billing cycle and SKU: a next-term instruction applied), the
    ledger's RENEW entry takes effect when Partner Center's new term starts (the day after the old term end) and
    carries the price list's price for the renewed SKU, term and billing cycle (`price_of`): the old term's price
    lock ends there. The wanted instruction is used up."""
    sub = _locked(subscription)
    if not renewal_observed(sub, pc) or pc.commitment_end_date is None:
        return None
    old_end = sub.commitment_end_date
    assert old_end is not None  # renewal_observed
    start = old_end + dt.timedelta(days=1)
    effective_at = pc.effective_start_date or dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    before = snapshot(sub, _TERM_FIELDS)
    quantity_before = sub.quantity
    offer = (pc.offer_id or "").split(":")
    sub.quantity = pc.quantity if pc.quantity is not None else sub.quantity
    sub.term_duration = (pc.term_duration or sub.term_duration).upper()
    sub.billing_cycle = (pc.billing_cycle or sub.billing_cycle).lower()
    sub.pc_product_id = (pc.product_id or offer[0] or sub.pc_product_id).upper()
    sub.pc_sku_id = pc.sku_id or (offer[1] if len(offer) > 1 else "") or sub.pc_sku_id
    sub.pc_offer_id = pc.offer_id or sub.pc_offer_id
    sub.effective_start_date = effective_at
    sub.commitment_end_date = pc.commitment_end_date.date()
    sub.cancellation_allowed_until = pc.cancellation_allowed_until_date or sub.cancellation_allowed_until
    sub.save(update_fields=[*_TERM_FIELDS, "updated_at"])
    instruction = NextTermInstruction.objects.filter(subscription=sub).first()
    price = price_of(sub)
    entry = ledger_record(
        subscription=sub,
        kind=LedgerEventKind.RENEW,
        quantity_before=quantity_before,
        quantity_after=sub.quantity,
        reason="renewal_with_instruction" if instruction is not None else "renewal",
        effective_at=effective_at,
        reference_id=f"renewal-{sub.pk}-{start.isoformat()}",
        unit_price=price.unit_price if price else None,
        unit_cost=price.unit_cost if price else None,
        currency=price.currency if price else "",
        term_start=effective_at.date(),
        term_end=sub.commitment_end_date,
    )
    if instruction is not None:
        instruction.delete()
    audit_record(
        actor=None, actor_label="renewals", action="subscription.renewed", obj=sub, before=before,
        after={**snapshot(sub, _TERM_FIELDS), "instruction": instruction.describe() if instruction else ""},
    )
    return entry


def subscription_record_billing_plan_change(
    *, subscription: Subscription, billing_cycle_before: str, actor: User | None, price_of: PriceOf | None = None,
    reason: str = "billing_plan_change",
) -> LicenseLedgerEntry | None:
    """The BSS changed the subscription's billing cycle (already saved): a BILLING_PLAN_CHANGE ledger entry, priced
    at the new plan's price when `price_of` knows it (billing otherwise takes the catalog's price)."""
    if (subscription.billing_cycle or "") == (billing_cycle_before or ""):
        return None
    price = price_of(subscription) if price_of is not None else None
    return ledger_record(
        subscription=subscription,
        kind=LedgerEventKind.BILLING_PLAN_CHANGE,
        quantity_before=subscription.quantity,
        quantity_after=subscription.quantity,
        reason=reason,
        actor=actor,
        unit_price=price.unit_price if price else None,
        unit_cost=price.unit_cost if price else None,
        currency=price.currency if price else "",
    )
