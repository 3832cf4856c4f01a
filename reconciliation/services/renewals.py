"""What a check learns about renewals from Partner Center's subscriptions.

- A renewal Partner Center made (the term end moved forward) is recorded at once, before the comparison: the new
  term as Partner Center renewed it and a RENEW ledger entry priced at the price list in force when the new term
  starts (`bss.services.renewals.subscription_apply_renewal`). It is an event to record, not a difference to fix.
- A change at renewal the BSS wants but Partner Center no longer holds (Microsoft deletes the instruction on any
  mid-term change) is a difference: `next_term_differences`, kind `next_term_missing`, corrected by re-applying it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from billing.services.prices import known_price
from bss.choices import SubscriptionStatus
from bss.models import MicrosoftTenant, NextTermInstruction, Subscription
from bss.services.renewals import RenewalPrice, renewal_observed, subscription_apply_renewal
from partnercenter.types import Subscription as PcSubscription
from provisioning.choices import OPEN_STATUSES, OperationKind
from provisioning.models import ProvisioningOperation
from reconciliation import comparators
from reconciliation.choices import FindingKind


def renewal_price(subscription: Subscription) -> RenewalPrice | None:
    """The price list's price for the subscription's (renewed) SKU, term and billing cycle when its term starts."""
    at = subscription.effective_start_date
    known = known_price(subscription=subscription, at=at)
    if known is None:
        return None
    return RenewalPrice(unit_price=known.unit_price, unit_cost=known.unit_cost, currency=known.currency)


def renewals_record(*, tenant: MicrosoftTenant, pc: Sequence[PcSubscription]) -> int:
    """Record every renewal Partner Center made since the BSS last looked; returns how many."""
    by_id = {s.id.lower(): s for s in pc}
    recorded = 0
    candidates = Subscription.objects.filter(
        tenant=tenant,
        pc_subscription_id__isnull=False,
        commitment_end_date__isnull=False,
        status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED],
    ).select_related("customer__marketplace", "tenant")
    for sub in candidates:
        theirs = by_id.get((sub.pc_subscription_id or "").lower())
        if theirs is None or not renewal_observed(sub, theirs):
            continue
        if subscription_apply_renewal(subscription=sub, pc=theirs, price_of=renewal_price) is not None:
            recorded += 1
    return recorded


def _held(theirs: PcSubscription) -> dict[str, object] | None:
    held = theirs.scheduled_next_term_instructions
    if held is None:
        return None
    return {
        "quantity": held.quantity, "term_duration": held.term_duration, "billing_cycle": held.billing_cycle,
        "pc_product_id": held.product_id, "pc_sku_id": held.sku_id,
    }


def next_term_differences(
    *, tenant: MicrosoftTenant, pc: Sequence[PcSubscription], now: dt.datetime
) -> list[comparators.Difference]:
    """BSS instructions Partner Center does not hold (for the same, not yet renewed, term of an auto-renewing
    subscription), unless a next-term operation is still on its way there."""
    by_id = {s.id.lower(): s for s in pc}
    in_flight = set(
        ProvisioningOperation.objects.filter(
            tenant=tenant, kind=OperationKind.SET_NEXT_TERM, status__in=OPEN_STATUSES
        ).values_list("subscription_id", flat=True)
    )
    found = []
    instructions = NextTermInstruction.objects.filter(subscription__tenant=tenant).select_related("subscription")
    for instruction in instructions:
        sub = instruction.subscription
        theirs = by_id.get((sub.pc_subscription_id or "").lower())
        if theirs is None or sub.pk in in_flight or theirs.scheduled_next_term_instructions is not None:
            continue
        pc_end = theirs.commitment_end_date.date() if theirs.commitment_end_date else None
        if (theirs.status or "").lower() != "active" or not theirs.auto_renew_enabled or pc_end != instruction.term_end:
            continue
        found.append(
            comparators.Difference(
                kind=FindingKind.NEXT_TERM_MISSING.value,
                summary=f"{sub.name}: the change at renewal ({instruction.describe()}) is no longer scheduled in "
                        "Partner Center",
                bss_subscription_id=sub.pk,
                pc_subscription_id=theirs.id,
                bss_values={"next_term": instruction.as_payload()},
                pc_values={"next_term": _held(theirs)},
                pending=instruction.updated_at > now - comparators.PENDING_WINDOW,
            )
        )
    return found
