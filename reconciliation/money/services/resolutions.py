"""Settling a finding: accept a variance (or any finding) with a reason, or bill a leakage to the customer. Both are
audited and survive re-runs of the match (the finding's key stays resolved)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from billing.services.manual_charges import manual_charge_add
from bss.exceptions import ApplicationError
from bss.models import User
from bss.services.audit import audit_record
from reconciliation.money.choices import FINDING_OUTCOMES, Outcome, Resolution
from reconciliation.money.models import ChargeMatch

_AUDITED = ["outcome", "cause", "difference", "resolution", "reason"]


def _snapshot(match: ChargeMatch) -> dict[str, object]:
    return {name: getattr(match, name) for name in _AUDITED}


def _locked_open(match_id: int) -> ChargeMatch:
    match = ChargeMatch.objects.select_for_update().get(pk=match_id)
    if match.outcome not in FINDING_OUTCOMES:
        raise ApplicationError("This line matched: there is nothing to settle.", code="not_a_finding")
    if match.resolution != Resolution.OPEN:
        raise ApplicationError(f"This finding is already {match.get_resolution_display().lower()}.",
                               code="already_resolved")
    return match


@transaction.atomic
def finding_accept(*, match_id: int, actor: User | None, reason: str) -> ChargeMatch:
    """Accept a finding as it stands (e.g. a variance Microsoft will not correct); a reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why the difference is accepted.", code="reason_required")
    match = _locked_open(match_id)
    before = _snapshot(match)
    match.resolution, match.reason = Resolution.ACCEPTED, reason[:500]
    match.resolved_by = actor if actor is not None and actor.pk else None
    match.resolved_at = timezone.now()
    match.save(update_fields=["resolution", "reason", "resolved_by", "resolved_at"])
    audit_record(actor=actor, action="money.finding_accept", obj=match, before=before, after=_snapshot(match))
    return match


@transaction.atomic
def finding_bill(*, match_id: int, actor: User | None, reason: str = "") -> ChargeMatch:
    """"Bill it": what Microsoft charged and we did not invoice becomes a charge on the customer's next invoice, at
    Microsoft's amount (our cost, no margin; the customer's price can be corrected on the draft)."""
    match = _locked_open(match_id)
    if match.outcome != Outcome.LEAKAGE:
        raise ApplicationError("Only a charge we did not invoice can be billed.", code="not_leakage")
    subscription = match.subscription
    if subscription is None or match.microsoft_amount is None:
        raise ApplicationError("The charge has no BSS subscription to bill.", code="no_subscription")
    line = manual_charge_add(
        customer=subscription.customer, subscription=subscription,
        description=f"{subscription.name}: {match.charge_type} {match.charge_start}..{match.charge_end} "
                    "(charged by Microsoft, not invoiced)",
        amount=match.microsoft_amount, cost_amount=match.microsoft_amount, currency=match.currency,
        charge_type=match.charge_type or "new", quantity=int(match.quantity or 1), charge_start=match.charge_start,
        charge_end=match.charge_end, source=match.key,
    )
    before = _snapshot(match)
    match.resolution, match.billed_line = Resolution.BILLED, line
    match.reason = (reason or "Billed to the customer")[:500]
    match.resolved_by = actor if actor is not None and actor.pk else None
    match.resolved_at = timezone.now()
    match.save(update_fields=["resolution", "reason", "billed_line", "resolved_by", "resolved_at"])
    audit_record(actor=actor, action="money.finding_bill", obj=match, before=before,
                 after={**_snapshot(match), "invoice": str(line.invoice), "amount": line.amount})
    return match
