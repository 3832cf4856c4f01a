"""Reconciliation runs: start one over an instance, reseller or customer, fan it out, cancel, fail and close it.

A run (`reconciliation_run_start`) lists the Microsoft tenants in its scope and, after commit, a sweep task starts
`RECONCILIATION_CONCURRENCY` "lanes": each lane is one task per tenant, and a task that has checked its tenant
claims the next waiting one (`reconciliation_run_continue`: an atomic PENDING -> RUNNING claim) and enqueues its
task. So at most that many tenants of a run are checked at once, every message is small (no chain carrying the
run's remaining tenants), and any number of workers on any host share the work. Every Partner Center call goes
through the instance's shared rate limiter; a task whose budget is spent retries itself later instead of sleeping
(`bss.tasks.partner_center_budget`). The check of one tenant is `reconciliation.services.checks`; the run closes
when its last check finishes.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from bss.choices import RelationshipStatus
from bss.exceptions import ApplicationError, InvalidTransition
from bss.models import Customer, MicrosoftTenant, PartnerCenterInstance, Reseller
from bss.models import User as BssUser
from bss.services.audit import audit_record
from reconciliation import locks
from reconciliation.choices import (
    RUN_ACTIVE_STATUSES,
    RUN_TRANSITIONS,
    CustomerCheckStatus,
    RunScope,
    RunStatus,
    RunTrigger,
)
from reconciliation.models import ReconciliationCustomerCheck, ReconciliationRun
from reconciliation.tasks import reconciliation_customer_task, reconciliation_sweep_task

logger = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 4
CHECK_BATCH_SIZE = 1000


def concurrency() -> int:
    """How many tenants of one run are checked at the same time (the number of lanes)."""
    return max(1, int(getattr(settings, "RECONCILIATION_CONCURRENCY", DEFAULT_CONCURRENCY)))


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
    targets: dict[str, PartnerCenterInstance | Reseller | Customer | None] = {
        RunScope.INSTANCE: instance, RunScope.RESELLER: reseller, RunScope.CUSTOMER: customer
    }
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
    """Start a queued run: claim up to `concurrency()` waiting tenants and enqueue one task each (the lanes).
    Returns the lanes started.

    Each task, once its tenant is checked, continues its lane with the next waiting tenant, so at most that many
    checks of this run are in flight whatever the number of workers; a check never raises, so one failure does not
    stop its lane."""
    updated = ReconciliationRun.objects.filter(pk=run_id, status=RunStatus.QUEUED, cancel_requested=False).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    )
    if not updated:
        reconciliation_run_finish_if_done(run_id)
        return 0
    claimed = []
    for _ in range(concurrency()):
        tenant_id = reconciliation_check_claim(run_id=run_id)
        if tenant_id is None:
            break
        claimed.append(tenant_id)
    if not claimed:
        reconciliation_run_finish_if_done(run_id)
        return 0
    for tenant_id in claimed:
        reconciliation_customer_task.delay(run_id, tenant_id)
    return len(claimed)


def reconciliation_check_claim(*, run_id: int) -> int | None:
    """Claim the next waiting tenant of a run (PENDING -> RUNNING, started now); its tenant id, or None when none
    is left. A tenant is claimed once: on PostgreSQL one statement skips the rows other lanes hold; elsewhere the
    conditional update lets one claimant win a row."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        table = ReconciliationCustomerCheck._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE {table} SET status = %s, started_at = %s WHERE id = (
                        SELECT id FROM {table} WHERE run_id = %s AND status = %s LIMIT 1 FOR UPDATE SKIP LOCKED
                    ) RETURNING tenant_id""",  # noqa: S608 - the table name is ours, values are parameters
                [CustomerCheckStatus.RUNNING, now, run_id, CustomerCheckStatus.PENDING],
            )
            row = cursor.fetchone()
        return int(row[0]) if row else None
    waiting = ReconciliationCustomerCheck.objects.filter(run_id=run_id, status=CustomerCheckStatus.PENDING)
    for pk, tenant_id in waiting.order_by("pk").values_list("pk", "tenant_id")[:8]:
        if ReconciliationCustomerCheck.objects.filter(pk=pk, status=CustomerCheckStatus.PENDING).update(
            status=CustomerCheckStatus.RUNNING, started_at=now
        ):
            return int(tenant_id)
    return None


def reconciliation_run_continue(*, run_id: int, enqueue: bool = True) -> int | None:
    """Continue a lane after one of its checks: claim the next waiting tenant and, with `enqueue`, queue its task.
    Returns the tenant claimed (None: the lane ends). Without `enqueue` (in-process execution) the caller checks
    the tenant itself, so a long run does not nest one task inside another."""
    tenant_id = reconciliation_check_claim(run_id=run_id)
    if tenant_id is not None and enqueue:
        reconciliation_customer_task.delay(run_id, tenant_id)
    return tenant_id


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
    reconciliation_run_finish_if_done(run.pk)
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


def reconciliation_run_finish_if_done(run_id: int) -> None:
    """Close the run once every check has finished (atomic conditional update: exactly one caller wins)."""
    finished = F("customers_done") + F("customers_failed") + F("customers_cancelled")
    ReconciliationRun.objects.filter(
        pk=run_id, status__in=RUN_ACTIVE_STATUSES, customers_total__lte=finished
    ).update(
        status=Case(When(cancel_requested=True, then=Value(RunStatus.CANCELLED)), default=Value(RunStatus.COMPLETED)),
        finished_at=timezone.now(),
    )
