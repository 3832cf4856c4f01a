"""Subscriptions Validation/Reconciliation: runs, per-customer checks, findings and their corrective actions.

A run (`reconciliation_run_start`) lists the Microsoft tenants in its scope and, after commit, a sweep task fans
out one task per tenant in a few Celery chains ("lanes"): at most `RECONCILIATION_CONCURRENCY` tenants of a run
are checked at once, and every Partner Center call also goes through the instance's shared rate limiter.
Each check (`reconciliation_customer_check`) reads the tenant's subscriptions from Partner Center once, compares
them with the BSS in pure functions (`reconciliation.comparators`) and upserts findings. Corrective actions write
the BSS through audited services of this module, push to Partner Center through a provisioning operation, or
import through the import tool's service; each writes an audit event in its own transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from celery import chain
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from bss.choices import RelationshipStatus, SubscriptionStatus
from bss.exceptions import ApplicationError, InvalidTransition
from bss.models import Customer, LicenseLedgerEntry, MicrosoftTenant, PartnerCenterInstance, Reseller, Subscription
from bss.models import User as BssUser
from bss.partner_center import get_client
from bss.services.audit import audit_record, snapshot
from partnercenter import errors as pc_errors
from partnercenter.types import Subscription as PcSubscription
from provisioning.inputs import ChangeBaseline
from provisioning.services import subscription_change_request
from reconciliation import comparators, locks
from reconciliation.choices import (
    ACTIONS_BY_KIND,
    AUTO_APPLICABLE_KINDS,
    FINDING_LIVE_STATUSES,
    FINDING_TRANSITIONS,
    RUN_ACTIVE_STATUSES,
    RUN_TRANSITIONS,
    CorrectiveAction,
    CustomerCheckStatus,
    FindingKind,
    FindingStatus,
    Resolution,
    RunScope,
    RunStatus,
    RunTrigger,
)
from reconciliation.imports.mapping import subscription_values
from reconciliation.imports.services import subscription_import
from reconciliation.models import AutoApplyPolicy, Finding, ReconciliationCustomerCheck, ReconciliationRun
from reconciliation.tasks import reconciliation_customer_task, reconciliation_sweep_task

logger = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 4
CHECK_BATCH_SIZE = 1000
BULK_LIMIT = 5000
# Partner Center answers 403 with this code for a customer the partner has no relationship with (any more).
NO_RELATIONSHIP_CODE = 20002

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


def concurrency() -> int:
    """How many tenants of one run are checked at the same time (the number of lanes)."""
    return max(1, int(getattr(settings, "RECONCILIATION_CONCURRENCY", DEFAULT_CONCURRENCY)))


# --- runs ----------------------------------------------------------------------------------------------------


def _tenants_in_scope(
    *, scope: str, instance: PartnerCenterInstance | None, reseller: Reseller | None, customer: Customer | None
) -> Any:
    """Tenants Partner Center knows as customers of the partner: created, relationship not known to be removed."""
    tenants = MicrosoftTenant.objects.filter(
        pc_customer_id__isnull=False, relationship_status=RelationshipStatus.ACTIVE
    ).exclude(pc_customer_id="")
    if scope == RunScope.INSTANCE:
        return tenants.filter(instance=instance)
    if scope == RunScope.RESELLER:
        return tenants.filter(customer__reseller=reseller)
    return tenants.filter(customer=customer)


@transaction.atomic
def reconciliation_run_start(
    *,
    actor: BssUser | None,
    scope: str,
    instance: PartnerCenterInstance | None = None,
    reseller: Reseller | None = None,
    customer: Customer | None = None,
    trigger: str = RunTrigger.MANUAL,
) -> ReconciliationRun:
    """Create a run over one instance, reseller or customer and enqueue its sweep after commit.

    Raises ApplicationError when the scope target is missing or a run over the same target is still active."""
    targets = {RunScope.INSTANCE: instance, RunScope.RESELLER: reseller, RunScope.CUSTOMER: customer}
    if scope not in targets:
        raise ApplicationError(f"Unknown reconciliation scope {scope!r}.", code="invalid_scope")
    if targets[scope] is None:
        raise ApplicationError(f"Choose the {RunScope(scope).label.lower()} to reconcile.", code="scope_target_missing")
    target_filter = {scope: targets[scope]}
    if ReconciliationRun.objects.filter(scope=scope, status__in=RUN_ACTIVE_STATUSES, **target_filter).exists():
        raise ApplicationError(
            "A reconciliation run over the same scope is still in progress; wait for it or cancel it.",
            code="run_in_progress",
        )
    run = ReconciliationRun.objects.create(scope=scope, trigger=trigger, started_by=actor, **target_filter)
    tenant_ids = _tenants_in_scope(scope=scope, instance=instance, reseller=reseller, customer=customer).values_list(
        "pk", flat=True
    )
    total = 0
    batch: list[ReconciliationCustomerCheck] = []
    for tenant_id in tenant_ids.order_by("pk").iterator(chunk_size=CHECK_BATCH_SIZE):
        batch.append(ReconciliationCustomerCheck(run=run, tenant_id=tenant_id))
        if len(batch) >= CHECK_BATCH_SIZE:
            ReconciliationCustomerCheck.objects.bulk_create(batch)
            total += len(batch)
            batch = []
    ReconciliationCustomerCheck.objects.bulk_create(batch)
    total += len(batch)
    run.customers_total = total
    run.save(update_fields=["customers_total"])
    audit_record(
        actor=actor,
        action="reconciliation_run.start",
        obj=run,
        after={"scope": scope, "target": run.scope_label, "trigger": trigger, "customers_total": total},
        actor_label="" if actor is not None else "reconciliation nightly",
    )
    transaction.on_commit(lambda: reconciliation_sweep_task.delay(run.pk))
    return run


def reconciliation_run_fan_out(*, run_id: int) -> int:
    """Start a queued run: one task per tenant, spread over `concurrency()` Celery chains. Returns the lanes.

    Each chain runs its tenants one after the other, so at most that many checks of this run are in flight
    whatever the number of workers; a check never raises, so one failure does not stop its lane."""
    updated = ReconciliationRun.objects.filter(pk=run_id, status=RunStatus.QUEUED, cancel_requested=False).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    )
    if not updated:
        _run_finish_if_done(run_id)
        return 0
    run = ReconciliationRun.objects.get(pk=run_id)
    lanes: list[list[int]] = [[] for _ in range(concurrency())]
    pending = run.checks.filter(status=CustomerCheckStatus.PENDING).order_by("pk").values_list("tenant_id", flat=True)
    for position, tenant_id in enumerate(pending.iterator(chunk_size=CHECK_BATCH_SIZE)):
        lanes[position % len(lanes)].append(tenant_id)
    lanes = [lane for lane in lanes if lane]
    if not lanes:
        _run_finish_if_done(run_id)
        return 0
    for lane in lanes:
        chain(*(reconciliation_customer_task.si(run_id, tenant_id) for tenant_id in lane)).apply_async()
    return len(lanes)


@transaction.atomic
def reconciliation_run_cancel(*, actor: BssUser, run: ReconciliationRun) -> ReconciliationRun:
    """Ask a run to stop: tenants not yet started are skipped at once, the ones being checked finish."""
    run = locks.run_lock(run.pk)
    if run.status not in RUN_ACTIVE_STATUSES:
        raise InvalidTransition(
            f"Run #{run.pk} is {run.get_status_display().lower()} and cannot be cancelled.",
            extra={"from": run.status, "to": RunStatus.CANCELLED},
        )
    run.cancel_requested = True
    run.cancelled_by = actor
    run.save(update_fields=["cancel_requested", "cancelled_by"])
    skipped = run.checks.filter(status=CustomerCheckStatus.PENDING).update(
        status=CustomerCheckStatus.CANCELLED, finished_at=timezone.now()
    )
    ReconciliationRun.objects.filter(pk=run.pk).update(customers_cancelled=F("customers_cancelled") + skipped)
    audit_record(
        actor=actor,
        action="reconciliation_run.cancel",
        obj=run,
        before={"status": run.status},
        after={"cancel_requested": True, "customers_skipped": skipped},
    )
    _run_finish_if_done(run.pk)
    run.refresh_from_db()
    return run


def reconciliation_run_fail(*, run_id: int, message: str) -> None:
    """Mark a run failed (its sweep could not start); checks not started are cancelled."""
    with transaction.atomic():
        run = locks.run_lock(run_id)
        if run.status not in RUN_ACTIVE_STATUSES:
            return
        _run_check_transition(run.status, RunStatus.FAILED)
        run.checks.filter(status=CustomerCheckStatus.PENDING).update(status=CustomerCheckStatus.CANCELLED)
        run.status, run.error, run.finished_at = RunStatus.FAILED, message[:2000], timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])


def reconciliation_nightly_start() -> list[ReconciliationRun]:
    """The nightly sweep: one instance-wide run per active instance that has no run in progress."""
    runs = []
    for instance in PartnerCenterInstance.objects.filter(is_active=True).order_by("pk"):
        try:
            runs.append(
                reconciliation_run_start(
                    actor=None, scope=RunScope.INSTANCE, instance=instance, trigger=RunTrigger.NIGHTLY
                )
            )
        except ApplicationError as exc:
            logger.info("nightly reconciliation of %s skipped: %s", instance, exc.message)
    return runs


def _run_check_transition(current: str, new: str) -> None:
    if new not in RUN_TRANSITIONS.get(current, set()):
        raise InvalidTransition(f"A run cannot go from {current} to {new}.", extra={"from": current, "to": new})


def _run_finish_if_done(run_id: int) -> None:
    """Close the run once every check has finished (atomic conditional update: exactly one caller wins)."""
    finished = F("customers_done") + F("customers_failed") + F("customers_cancelled")
    base = ReconciliationRun.objects.filter(pk=run_id, status__in=RUN_ACTIVE_STATUSES, customers_total__lte=finished)
    now = timezone.now()
    base.filter(cancel_requested=True).update(status=RunStatus.CANCELLED, finished_at=now)
    base.filter(cancel_requested=False).update(status=RunStatus.COMPLETED, finished_at=now)


# --- one customer --------------------------------------------------------------------------------------------


@dataclass
class CheckOutcome:
    status: str
    findings: int = 0
    pending: int = 0
    auto_applied: int = 0


def reconciliation_customer_check(*, run_id: int, tenant_id: int) -> CheckOutcome:
    """Check one tenant of a run. Idempotent (a finished check is not repeated) and never raises once the check
    exists: Partner Center trouble or a bug marks the check failed with the error, and the run (and the task
    chain carrying the next tenants) goes on. Raises DoesNotExist when the run or check is gone."""
    check = ReconciliationCustomerCheck.objects.select_related("run", "tenant__instance", "tenant__customer").get(
        run_id=run_id, tenant_id=tenant_id
    )
    try:
        return _customer_check(check)
    except Exception as exc:
        logger.exception("reconciliation check of tenant %s in run %s failed", tenant_id, run_id)
        return _check_finish(check, status=CustomerCheckStatus.FAILED, error=f"Unexpected error: {exc}")


def _customer_check(check: ReconciliationCustomerCheck) -> CheckOutcome:
    if check.status in (CustomerCheckStatus.DONE, CustomerCheckStatus.FAILED, CustomerCheckStatus.CANCELLED):
        return CheckOutcome(status=check.status)
    run = check.run
    if run.cancel_requested or run.status not in RUN_ACTIVE_STATUSES:
        return _check_finish(check, status=CustomerCheckStatus.CANCELLED)
    ReconciliationCustomerCheck.objects.filter(pk=check.pk).update(
        status=CustomerCheckStatus.RUNNING, started_at=timezone.now()
    )
    tenant = check.tenant
    bss = [_snapshot(s) for s in Subscription.objects.filter(tenant=tenant).order_by("pk")]
    pc: list[PcSubscription] = []
    differences: list[comparators.Difference]
    try:
        client = get_client(tenant.instance)
        pc = client.subscriptions.list(customer_id=tenant.pc_customer_id or "")
    except (pc_errors.NotFoundError, pc_errors.PermissionDeniedError) as exc:
        if isinstance(exc, pc_errors.PermissionDeniedError) and exc.code != NO_RELATIONSHIP_CODE:
            return _check_finish(check, status=CustomerCheckStatus.FAILED, error=_pc_message(exc), pc_calls=1)
        differences = [comparators.orphan_difference(bss, reason=_pc_message(exc))]
    except pc_errors.PartnerCenterError as exc:
        return _check_finish(check, status=CustomerCheckStatus.FAILED, error=_pc_message(exc), pc_calls=1)
    else:
        differences = comparators.compare_customer(bss, pc, now=timezone.now())
    details = {s.id.lower(): comparators.pc_details(s) for s in pc}
    findings, pending = _findings_record(run=run, tenant=tenant, differences=differences, details=details)
    outcome = _check_finish(
        check, status=CustomerCheckStatus.DONE, findings=len(findings), pending=pending, pc_calls=1
    )
    if run.trigger == RunTrigger.NIGHTLY:
        outcome.auto_applied = _auto_apply(run_id=run.pk, findings=findings)
    return outcome


def _check_finish(
    check: ReconciliationCustomerCheck,
    *,
    status: str,
    findings: int = 0,
    pending: int = 0,
    pc_calls: int = 0,
    error: str = "",
) -> CheckOutcome:
    """Record the end of one check and advance the run's counters (F() updates: checks run concurrently)."""
    counter = {
        CustomerCheckStatus.DONE: "customers_done",
        CustomerCheckStatus.FAILED: "customers_failed",
        CustomerCheckStatus.CANCELLED: "customers_cancelled",
    }[status]
    with transaction.atomic():
        claimed = (
            ReconciliationCustomerCheck.objects.filter(pk=check.pk)
            .exclude(status__in=[CustomerCheckStatus.DONE, CustomerCheckStatus.FAILED, CustomerCheckStatus.CANCELLED])
            .update(
                status=status,
                findings_count=findings,
                pending_count=pending,
                pc_calls=pc_calls,
                error=error[:2000],
                finished_at=timezone.now(),
            )
        )
        if claimed:
            ReconciliationRun.objects.filter(pk=check.run_id).update(
                **{counter: F(counter) + 1},
                findings_count=F("findings_count") + findings,
                pending_count=F("pending_count") + pending,
                pc_calls=F("pc_calls") + pc_calls,
            )
    _run_finish_if_done(check.run_id)
    return CheckOutcome(status=status, findings=findings, pending=pending)


def _finding_key(kind: str, subscription_id: int | None, pc_subscription_id: str) -> tuple[str, int | None, str]:
    return (kind, subscription_id, pc_subscription_id.lower())


@transaction.atomic
def _findings_record(
    *,
    run: ReconciliationRun,
    tenant: MicrosoftTenant,
    differences: list[comparators.Difference],
    details: dict[str, dict[str, Any]],
) -> tuple[list[Finding], int]:
    """Upsert the tenant's findings from this check: a difference seen before updates its live finding (an
    ignored one stays ignored while its values are unchanged), a live finding not seen again is "cleared".
    Returns the open findings of this check and the number of pending ones."""
    locks.tenant_lock(tenant.pk)
    now = timezone.now()
    live = {
        _finding_key(f.kind, f.subscription_id, f.pc_subscription_id): f
        for f in Finding.objects.filter(tenant=tenant, status__in=[*FINDING_LIVE_STATUSES, FindingStatus.IGNORED])
    }
    valid_ids = set(Subscription.objects.filter(tenant=tenant).values_list("pk", flat=True))
    opened: list[Finding] = []
    pending = 0
    seen: set[tuple[str, int | None, str]] = set()
    for diff in differences:
        key = _finding_key(diff.kind, diff.bss_subscription_id, diff.pc_subscription_id)
        seen.add(key)
        status = FindingStatus.PENDING if diff.pending else FindingStatus.OPEN
        values = {
            "run": run,
            "summary": diff.summary[:255],
            "bss_values": dict(diff.bss_values),
            "pc_values": dict(diff.pc_values),
            "pc_details": details.get(diff.pc_subscription_id.lower(), {}),
            "suggested_subscription_id": diff.suggested_link_id if diff.suggested_link_id in valid_ids else None,
            "last_seen_at": now,
        }
        finding = live.get(key)
        if finding is None:
            finding = Finding.objects.create(
                kind=diff.kind,
                status=status,
                tenant=tenant,
                customer_id=tenant.customer_id,
                subscription_id=diff.bss_subscription_id,
                pc_customer_id=tenant.pc_customer_id or "",
                pc_subscription_id=diff.pc_subscription_id,
                **values,
            )
        else:
            unchanged = finding.bss_values == values["bss_values"] and finding.pc_values == values["pc_values"]
            if finding.status == FindingStatus.IGNORED and unchanged:
                status = FindingStatus.IGNORED
            elif finding.status == FindingStatus.IGNORED:
                values.update(resolution="", resolved_by=None, resolved_at=None)
            for name, value in values.items():
                setattr(finding, name, value)
            if finding.status != status:
                _finding_check_transition(finding, status)
                finding.status = status
            finding.save(update_fields=[*values, "status"])
        if status == FindingStatus.PENDING:
            pending += 1
        elif status == FindingStatus.OPEN:
            opened.append(finding)
    for key, finding in live.items():
        if key not in seen:
            finding.status, finding.resolution, finding.resolved_at = FindingStatus.RESOLVED, Resolution.CLEARED, now
            finding.resolved_by, finding.run = None, run
            finding.save(update_fields=["status", "resolution", "resolved_at", "resolved_by", "run"])
    return opened, pending


def _auto_apply(*, run_id: int, findings: list[Finding]) -> int:
    """Nightly runs: adopt Partner Center's value for the kinds whose auto-apply policy is on."""
    kinds = auto_apply_kinds()
    applied = 0
    for finding in findings:
        if finding.kind not in kinds:
            continue
        try:
            finding_adopt_partner_center(actor=None, finding=finding, auto=True)
        except ApplicationError as exc:
            logger.info("auto-apply of finding %s skipped: %s", finding.pk, exc.message)
            continue
        applied += 1
    if applied:
        ReconciliationRun.objects.filter(pk=run_id).update(auto_applied_count=F("auto_applied_count") + applied)
    return applied


def _snapshot(sub: Subscription) -> comparators.BssSubscription:
    return comparators.BssSubscription(
        id=sub.pk,
        pc_subscription_id=sub.pc_subscription_id,
        name=sub.name,
        quantity=sub.quantity,
        status=sub.status,
        auto_renew=sub.auto_renew,
        billing_cycle=sub.billing_cycle,
        term_duration=sub.term_duration,
        pc_offer_id=sub.pc_offer_id,
        pc_product_id=sub.pc_product_id,
        pc_sku_id=sub.pc_sku_id,
        commitment_end_date=sub.commitment_end_date,
        created_at=sub.created_at,
        updated_at=sub.updated_at,
    )


def _pc_message(exc: pc_errors.PartnerCenterError) -> str:
    code = f" (code {exc.code})" if exc.code is not None else ""
    status = f"HTTP {exc.http_status}: " if exc.http_status else ""
    return f"{status}{exc.description or exc.message}{code}"[:500]


# --- auto-apply policies -------------------------------------------------------------------------------------


def auto_apply_kinds() -> set[str]:
    return set(AutoApplyPolicy.objects.filter(enabled=True).values_list("kind", flat=True))


@transaction.atomic
def auto_apply_policy_set(*, actor: BssUser, kind: str, enabled: bool) -> AutoApplyPolicy:
    """Turn automatic adoption of Partner Center's value on nightly runs on or off for one finding kind."""
    if kind not in AUTO_APPLICABLE_KINDS:
        raise ApplicationError(
            f"{FindingKind(kind).label if kind in FindingKind.values else kind} cannot be applied automatically.",
            code="not_auto_applicable",
        )
    policy, _ = AutoApplyPolicy.objects.select_for_update(of=("self",)).get_or_create(kind=kind)
    before = {"enabled": policy.enabled}
    policy.enabled, policy.updated_by = enabled, actor
    policy.save(update_fields=["enabled", "updated_by", "updated_at"])
    audit_record(actor=actor, action="reconciliation_policy.set", obj=policy, before=before, after={"enabled": enabled})
    return policy


# --- BSS writes of this app (audited) ------------------------------------------------------------------------


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
    quantity_before = subscription.quantity
    for name, value in values.items():
        setattr(subscription, name, value)
    subscription.full_clean(exclude=["customer", "tenant", "order_line"], validate_unique=False)
    subscription.save(update_fields=[*values, "updated_at"])
    if "quantity" in values and subscription.quantity != quantity_before:
        LicenseLedgerEntry.objects.create(
            subscription=subscription,
            quantity_before=quantity_before,
            quantity_after=subscription.quantity,
            reason="reconciliation_adopt",
            actor=actor if actor is not None and actor.pk else None,
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


# --- corrective actions --------------------------------------------------------------------------------------


def _finding_check_transition(finding: Finding, new: str) -> None:
    if new not in FINDING_TRANSITIONS.get(finding.status, set()):
        raise InvalidTransition(
            f"Finding #{finding.pk} is {finding.get_status_display().lower()} and cannot become {new}.",
            extra={"from": finding.status, "to": new},
        )


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
    current = comparators.bss_side(_snapshot(subscription), finding.kind)
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
    _finding_check_transition(finding, status)
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
            f"Partner Center could not return the subscription: {_pc_message(exc)}", code="partner_center_error"
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
    target = subscription
    if target is None and finding.suggested_subscription_id:
        target = Subscription.objects.filter(pk=finding.suggested_subscription_id).first()
    if target is None:
        raise ApplicationError("Choose the BSS subscription to link to.", code="link_target_missing")
    return finding_link(actor=actor, finding=finding, subscription=target)
