"""Corrective actions on findings: adopt Partner Center's value, push the BSS value, link, import, accept; in bulk.

Each action locks its finding, refuses what does not fit the finding's kind or status (the one place those rules
live: pages and the API show the refusal), writes the BSS through the audited writes of this module (adopt
Partner Center's values, mark a tenant's relationship removed), pushes to Partner Center through a provisioning
operation, or imports through the import tool's service; each writes an audit event in its own transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from bss.choices import LedgerEventKind, RelationshipStatus, SubscriptionStatus
from bss.exceptions import ApplicationError, InvalidTransition
from bss.inputs import ChangeBaseline
from bss.models import MicrosoftTenant, Subscription
from bss.models import User as BssUser
from bss.partner_center import get_client, pc_error_message
from bss.rules.permissions import RECONCILIATION_PUSH_PERMISSION
from bss.services.audit import audit_record, snapshot
from bss.services.ledger import ledger_record
from bss.services.renewals import subscription_record_billing_plan_change
from partnercenter import errors as pc_errors
from provisioning.services.changes import subscription_change_request
from provisioning.services.renewals import next_term_reapply_request
from reconciliation import comparators, locks
from reconciliation.choices import (
    ACTIONS_BY_KIND,
    FINDING_LIVE_STATUSES,
    CorrectiveAction,
    FindingKind,
    FindingStatus,
    Resolution,
)
from reconciliation.imports.mapping import subscription_values
from reconciliation.imports.services.customers import subscription_import
from reconciliation.models import Finding
from reconciliation.services.findings import bss_snapshot, finding_check_transition
from reconciliation.services.renewals import renewal_price

BULK_LIMIT = 5000

# The BSS fields "adopt Partner Center's value" writes, per finding kind.
ADOPT_FIELDS: dict[str, tuple[str, ...]] = {
    FindingKind.QUANTITY: ("quantity",),
    FindingKind.STATUS: ("status",),
    FindingKind.AUTO_RENEW: ("auto_renew",),
    FindingKind.TERM: ("term_duration",),
    FindingKind.BILLING_CYCLE: ("billing_cycle",),
    FindingKind.SKU: ("pc_offer_id", "pc_product_id", "pc_sku_id"),
    FindingKind.COMMITMENT_END_DATE: ("commitment_end_date",),
}
ADOPTABLE_SUBSCRIPTION_FIELDS = frozenset(
    {
        "quantity",
        "status",
        "auto_renew",
        "term_duration",
        "billing_cycle",
        "pc_offer_id",
        "pc_product_id",
        "pc_sku_id",
        "commitment_end_date",
        "pc_subscription_id",
    }
)


@transaction.atomic
def subscription_adopt_partner_center_values(
    *, actor: BssUser | None, subscription: Subscription, values: dict[str, Any], reason: str
) -> Subscription:
    """Write Partner Center's values into a BSS subscription (reconciliation's corrective write).

    Partner Center is the source of truth for what it reports, so status values are taken as they are, without
    the BSS's transition table (which governs changes *we* make). Quantity changes append a ledger entry."""
    unknown = set(values) - ADOPTABLE_SUBSCRIPTION_FIELDS
    if unknown:
        raise ApplicationError(f"Cannot adopt {', '.join(sorted(unknown))}.", code="not_adoptable")
    subscription = locks.subscription_lock(subscription.pk)
    before = snapshot(subscription, list(values))
    quantity_before, billing_cycle_before = subscription.quantity, subscription.billing_cycle
    for name, value in values.items():
        setattr(subscription, name, value)
    subscription.full_clean(exclude=["customer", "tenant", "order_line"], validate_unique=False)
    subscription.save(update_fields=[*values, "updated_at"])
    if "quantity" in values and subscription.quantity != quantity_before:
        ledger_record(
            subscription=subscription,
            kind=LedgerEventKind.SEAT_CHANGE,
            quantity_before=quantity_before,
            quantity_after=subscription.quantity,
            reason="reconciliation_adopt",
            actor=actor if actor is not None and actor.pk else None,
        )
    if "billing_cycle" in values:
        subscription_record_billing_plan_change(
            subscription=subscription, billing_cycle_before=billing_cycle_before, price_of=renewal_price,
            actor=actor if actor is not None and actor.pk else None, reason="reconciliation_adopt",
        )
    audit_record(
        actor=actor,
        action="subscription.reconciliation_adopt",
        obj=subscription,
        before={**before, "reason": reason},
        after=snapshot(subscription, list(values)),
        actor_label="" if actor is not None else "reconciliation auto-apply",
    )
    return subscription


@transaction.atomic
def tenant_mark_relationship_removed(*, actor: BssUser | None, tenant: MicrosoftTenant, reason: str) -> MicrosoftTenant:
    """Record that Partner Center no longer relates the tenant to the partner (an orphan was confirmed)."""
    tenant = MicrosoftTenant.objects.select_for_update(of=("self",)).get(pk=tenant.pk)
    before = {"relationship_status": tenant.relationship_status, "reason": reason}
    tenant.relationship_status = RelationshipStatus.REMOVED
    tenant.save(update_fields=["relationship_status", "updated_at"])
    audit_record(
        actor=actor,
        action="tenant.reconciliation_relationship_removed",
        obj=tenant,
        before=before,
        after={"relationship_status": tenant.relationship_status},
    )
    return tenant


def _finding_for_action(finding: Finding, action: str, *, allow_pending: bool = False) -> Finding:
    locked = locks.finding_lock(finding.pk)
    allowed = (FindingStatus.OPEN, FindingStatus.PENDING) if allow_pending else (FindingStatus.OPEN,)
    if locked.status not in allowed:
        raise InvalidTransition(
            f"Finding #{locked.pk} is {locked.get_status_display().lower()}; "
            f"{CorrectiveAction(action).label.lower()} applies to open findings only.",
            code="finding_not_open",
            extra={"status": locked.status},
        )
    if action not in ACTIONS_BY_KIND.get(locked.kind, ()):
        raise ApplicationError(
            f"{CorrectiveAction(action).label} is not possible for a {locked.get_kind_display().lower()} finding.",
            code="action_not_applicable",
            extra={"kind": locked.kind, "action": action},
        )
    return locked


def _subscription_of(finding: Finding) -> Subscription:
    if finding.subscription_id is None:
        raise ApplicationError("The BSS subscription of this finding no longer exists.", code="subscription_gone")
    subscription = locks.subscription_lock(finding.subscription_id)
    current = comparators.bss_side(bss_snapshot(subscription), finding.kind)
    if current != finding.bss_values:
        raise ApplicationError(
            "The BSS subscription changed since this finding was recorded; run the reconciliation again.",
            code="finding_stale",
            extra={"recorded": finding.bss_values, "current": current},
        )
    return subscription


def _finding_resolve(
    finding: Finding,
    *,
    actor: BssUser | None,
    action: str,
    status: str = FindingStatus.RESOLVED,
    resolution: str,
    reason: str = "",
    extra: dict[str, Any] | None = None,
) -> Finding:
    finding_check_transition(finding, status)
    before = {"status": finding.status, "resolution": finding.resolution}
    finding.status, finding.resolution, finding.reason = status, resolution, reason
    finding.resolved_by = actor if actor is not None and actor.pk else None
    finding.resolved_at = timezone.now()
    fields = ["status", "resolution", "reason", "resolved_by", "resolved_at"]
    if extra:
        for name, value in extra.items():
            setattr(finding, name, value)
        fields.extend(extra)
    finding.save(update_fields=fields)
    audit_record(
        actor=actor,
        action=f"reconciliation_finding.{action}",
        obj=finding,
        before=before,
        after={"status": status, "resolution": resolution, "reason": reason, **(extra or {})},
        actor_label="" if actor is not None else "reconciliation auto-apply",
    )
    return finding


def _adopt_values(finding: Finding) -> dict[str, Any]:
    if finding.kind == FindingKind.MISSING_IN_PARTNER_CENTER:
        # Partner Center does not have it: the BSS record is cancelled.
        return {"status": SubscriptionStatus.DELETED}
    values = {name: finding.pc_values.get(name) for name in ADOPT_FIELDS[finding.kind]}
    if values.get("commitment_end_date"):
        values["commitment_end_date"] = dt.date.fromisoformat(values["commitment_end_date"])
    if "status" in values and values["status"] not in SubscriptionStatus.values:
        raise ApplicationError(
            f"Partner Center's status {values['status']!r} has no BSS equivalent.", code="unmappable_value"
        )
    return values


@transaction.atomic
def finding_adopt_partner_center(*, actor: BssUser | None, finding: Finding, auto: bool = False) -> Finding:
    """Correct the BSS with Partner Center's value (for an orphan: record the relationship as removed)."""
    finding = _finding_for_action(finding, CorrectiveAction.ADOPT_PARTNER_CENTER)
    if finding.kind == FindingKind.ORPHAN:
        reason = f"reconciliation finding #{finding.pk}"
        tenant_mark_relationship_removed(actor=actor, tenant=finding.tenant, reason=reason)
    else:
        subscription = _subscription_of(finding)
        try:
            subscription_adopt_partner_center_values(
                actor=actor, subscription=subscription, values=_adopt_values(finding),
                reason=f"reconciliation finding #{finding.pk}",
            )
        except ValidationError as exc:  # from full_clean: a value the BSS cannot hold
            raise ApplicationError(
                f"Partner Center's value cannot be stored in the BSS: {exc}", code="unmappable_value"
            ) from exc
    resolution = Resolution.AUTO_ADOPTED if auto else Resolution.ADOPTED_PARTNER_CENTER
    return _finding_resolve(finding, actor=actor, action="adopt_pc", resolution=resolution)


def _push_arguments(finding: Finding, subscription: Subscription) -> dict[str, Any]:
    if finding.kind == FindingKind.QUANTITY:
        return {"quantity": subscription.quantity}
    if finding.kind == FindingKind.AUTO_RENEW:
        return {"auto_renew": subscription.auto_renew}
    ours, theirs = subscription.status, finding.pc_values.get("status")
    if ours == SubscriptionStatus.ACTIVE and theirs == SubscriptionStatus.SUSPENDED:
        return {"suspend": False}
    if ours == SubscriptionStatus.SUSPENDED and theirs == SubscriptionStatus.ACTIVE:
        return {"suspend": True}
    if ours == SubscriptionStatus.DELETED and theirs in (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED):
        return {"cancel": True}
    raise ApplicationError(
        f"Partner Center cannot be moved from {theirs} to {ours} by a subscription change; adopt its value or "
        "ignore the finding.",
        code="push_not_possible",
    )


def _pc_baseline(finding: Finding) -> ChangeBaseline:
    """Partner Center's subscription as the run read it (`pc_details` holds the whole resource)."""
    theirs = finding.pc_details or {}
    refundable = theirs.get("refundableQuantity")
    return ChangeBaseline(
        quantity=int(theirs.get("quantity") or 0),
        status=str(theirs.get("status") or "").lower(),
        cancellation_allowed_until=parse_datetime(theirs.get("cancellationAllowedUntilDate") or ""),
        refundable_quantity=int(refundable) if refundable is not None else 0,
    )


@transaction.atomic
def finding_push_bss(*, actor: BssUser, finding: Finding) -> Finding:
    """Send the BSS value to Partner Center as a provisioning operation (quantity, suspend/reactivate,
    cancel, auto-renew). The finding is resolved with the operation's id; the BSS record changes only when the
    operation succeeds, and the next run shows whether it did."""
    finding = _finding_for_action(finding, CorrectiveAction.PUSH_BSS)
    subscription = _subscription_of(finding)
    arguments = _push_arguments(finding, subscription)
    try:
        # Judged against Partner Center's values (the BSS already holds the target value).
        operation = subscription_change_request(
            actor=actor, subscription=subscription, against=_pc_baseline(finding), **arguments
        )
    except ApplicationError as exc:
        raise ApplicationError(
            f"Provisioning refused to push the BSS value to Partner Center: {exc.message}",
            code="push_refused",
            extra={"provisioning_code": exc.code, **exc.extra},
        ) from exc
    return _finding_resolve(
        finding,
        actor=actor,
        action="push_bss",
        resolution=Resolution.PUSHED_BSS,
        extra={"provisioning_operation_id": operation.pk},
    )


@transaction.atomic
def finding_reapply(*, actor: BssUser, finding: Finding) -> Finding:
    """Send the change at renewal the BSS keeps to Partner Center again (Microsoft deleted it on a mid-term
    change), as a provisioning operation; the finding is resolved with the operation's id and the next run shows
    whether Partner Center holds it."""
    finding = _finding_for_action(finding, CorrectiveAction.REAPPLY)
    if finding.subscription_id is None:
        raise ApplicationError("The BSS subscription of this finding no longer exists.", code="subscription_gone")
    subscription = locks.subscription_lock(finding.subscription_id)
    try:
        operation = next_term_reapply_request(
            actor=actor, subscription=subscription, staff_permission=RECONCILIATION_PUSH_PERMISSION
        )
    except ApplicationError as exc:
        raise ApplicationError(
            f"Provisioning refused to re-apply the change at renewal: {exc.message}",
            code="reapply_refused",
            extra={"provisioning_code": exc.code, **exc.extra},
        ) from exc
    return _finding_resolve(
        finding, actor=actor, action="reapply", resolution=Resolution.REAPPLIED,
        extra={"provisioning_operation_id": operation.pk},
    )


@transaction.atomic
def finding_link(*, actor: BssUser, finding: Finding, subscription: Subscription) -> Finding:
    """Attach an unknown Partner Center subscription to an existing BSS subscription of the same tenant (one
    without a Partner Center id, or whose id Partner Center does not know). The next run compares the pair."""
    finding = _finding_for_action(finding, CorrectiveAction.LINK)
    target = locks.subscription_lock(subscription.pk)
    if target.tenant_id != finding.tenant_id:
        raise ApplicationError("Link to a subscription of the same Microsoft tenant.", code="link_other_tenant")
    missing = Finding.objects.filter(
        subscription=target, kind=FindingKind.MISSING_IN_PARTNER_CENTER, status__in=FINDING_LIVE_STATUSES
    )
    if target.pc_subscription_id and not missing.exists():
        raise ApplicationError(
            f"{target.name} is already linked to Partner Center subscription {target.pc_subscription_id}.",
            code="link_target_linked",
        )
    others = Subscription.objects.filter(pc_subscription_id__iexact=finding.pc_subscription_id).exclude(pk=target.pk)
    if others.exists():
        raise ApplicationError("Another BSS subscription already has this Partner Center id.", code="link_duplicate")
    before = {"pc_subscription_id": target.pc_subscription_id}
    target.pc_subscription_id = finding.pc_subscription_id
    target.save(update_fields=["pc_subscription_id", "updated_at"])
    audit_record(
        actor=actor,
        action="subscription.reconciliation_link",
        obj=target,
        before=before,
        after={"pc_subscription_id": target.pc_subscription_id, "finding": finding.pk},
    )
    for other in missing.select_for_update(of=("self",)):
        _finding_resolve(other, actor=actor, action="link", resolution=Resolution.LINKED, extra={})
    return _finding_resolve(
        finding, actor=actor, action="link", resolution=Resolution.LINKED, extra={"subscription_id": target.pk}
    )


@transaction.atomic
def finding_import(*, actor: BssUser, finding: Finding) -> Finding:
    """Create the BSS subscription of an unknown Partner Center subscription for the tenant's customer.

    Partner Center is read again (the subscription as it is now) and the record is written by the import tool's
    service, so an imported subscription looks the same whichever tool brought it in."""
    finding = _finding_for_action(finding, CorrectiveAction.IMPORT)
    if Subscription.objects.filter(pc_subscription_id__iexact=finding.pc_subscription_id).exists():
        raise ApplicationError("A BSS subscription already has this Partner Center id.", code="import_duplicate")
    tenant = finding.tenant
    try:
        current = get_client(tenant.instance).subscriptions.get(
            customer_id=finding.pc_customer_id, subscription_id=finding.pc_subscription_id
        )
    except pc_errors.PartnerCenterError as exc:
        raise ApplicationError(
            f"Partner Center could not return the subscription: {pc_error_message(exc)}", code="partner_center_error"
        ) from exc
    mapped = subscription_values(current)
    if mapped.values is None:
        raise ApplicationError(f"Not imported: {mapped.skip_reason}.", code="not_importable")
    subscription = subscription_import(actor=actor, customer=tenant.customer, tenant=tenant, values=mapped.values)
    return _finding_resolve(
        finding,
        actor=actor,
        action="import",
        resolution=Resolution.IMPORTED,
        extra={"subscription_id": subscription.pk},
    )


@transaction.atomic
def finding_ignore(*, actor: BssUser, finding: Finding, reason: str) -> Finding:
    """Accept a difference as it is. A reason is required; the finding stays ignored on later runs while the
    values on both sides stay the same."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why this difference is accepted.", code="reason_required")
    finding = _finding_for_action(finding, CorrectiveAction.IGNORE, allow_pending=True)
    return _finding_resolve(
        finding, actor=actor, action="ignore", status=FindingStatus.IGNORED, resolution=Resolution.IGNORED,
        reason=reason[:2000],
    )


@dataclass
class BulkResult:
    applied: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def findings_bulk_apply(
    *, actor: BssUser, finding_ids: Iterable[int], action: str, reason: str = ""
) -> BulkResult:
    """Apply one action to many findings, each in its own transaction: a finding the action does not fit (or
    that fails) is skipped with the reason, the others are applied. "Link" uses each finding's suggested
    subscription. At most BULK_LIMIT findings per call."""
    if action not in CorrectiveAction.values:
        raise ApplicationError(f"Unknown action {action!r}.", code="invalid_action")
    if action == CorrectiveAction.IGNORE and not (reason or "").strip():
        raise ApplicationError("Say why these differences are accepted.", code="reason_required")
    ids = list(dict.fromkeys(finding_ids))[: BULK_LIMIT + 1]
    if len(ids) > BULK_LIMIT:
        raise ApplicationError(f"Select at most {BULK_LIMIT} findings at once.", code="too_many")
    result = BulkResult()
    findings = Finding.objects.in_bulk(ids)
    for finding_id in ids:
        finding = findings.get(finding_id)
        if finding is None:
            result.skipped.append((finding_id, "not found"))
            continue
        try:
            _apply_one(actor=actor, finding=finding, action=action, reason=reason)
        except ApplicationError as exc:
            result.skipped.append((finding_id, exc.message))
            continue
        result.applied.append(finding_id)
    return result


def finding_apply(
    *, actor: BssUser, finding: Finding, action: str, reason: str = "", subscription: Subscription | None = None
) -> Finding:
    """One corrective action on one finding (the single-finding form posts here)."""
    if action not in CorrectiveAction.values:
        raise ApplicationError(f"Unknown action {action!r}.", code="invalid_action")
    return _apply_one(actor=actor, finding=finding, action=action, reason=reason, subscription=subscription)


def _apply_one(
    *, actor: BssUser, finding: Finding, action: str, reason: str = "", subscription: Subscription | None = None
) -> Finding:
    if action == CorrectiveAction.ADOPT_PARTNER_CENTER:
        return finding_adopt_partner_center(actor=actor, finding=finding)
    if action == CorrectiveAction.PUSH_BSS:
        return finding_push_bss(actor=actor, finding=finding)
    if action == CorrectiveAction.IMPORT:
        return finding_import(actor=actor, finding=finding)
    if action == CorrectiveAction.IGNORE:
        return finding_ignore(actor=actor, finding=finding, reason=reason)
    if action == CorrectiveAction.REAPPLY:
        return finding_reapply(actor=actor, finding=finding)
    if action in (CorrectiveAction.REQUEST_GDAP, CorrectiveAction.EXTEND_GDAP):
        from reconciliation.services.gdap import finding_gdap_action  # it uses this module's finding guards

        return finding_gdap_action(actor=actor, finding=finding, action=action)
    target = subscription
    if target is None and finding.suggested_subscription_id:
        target = Subscription.objects.filter(pk=finding.suggested_subscription_id).first()
    if target is None:
        raise ApplicationError("Choose the BSS subscription to link to.", code="link_target_missing")
    return finding_link(actor=actor, finding=finding, subscription=target)
