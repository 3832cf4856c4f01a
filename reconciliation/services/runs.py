"""Reconciliation runs: start one over an instance, reseller or customer, fan it out, cancel, fail and close it.

A run (`reconciliation_run_start`) lists the Microsoft tenants in its scope and, after commit, a sweep task fans
out one task per tenant in a few Celery chains ("lanes"): at most `RECONCILIATION_CONCURRENCY` tenants of a run
are checked at once, and every Partner Center call also goes through the instance's shared rate limiter. The
check of one tenant is `reconciliation.services.checks`; the run closes when its last check finishes.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import chain
from django.conf import settings
from django.db import transaction
from django.db.models import F
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
    """Start a queued run: one task per tenant, spread over `concurrency()` Celery chains. Returns the lanes.

    Each chain runs its tenants one after the other, so at most that many checks of this run are in flight
    whatever the number of workers; a check never raises, so one failure does not stop its lane."""
    updated = ReconciliationRun.objects.filter(pk=run_id, status=RunStatus.QUEUED, cancel_requested=False).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    )
    if not updated:
        reconciliation_run_finish_if_done(run_id)
        return 0
    run = ReconciliationRun.objects.get(pk=run_id)
    lanes: list[list[int]] = [[] for _ in range(concurrency())]
    pending = run.checks.filter(status=CustomerCheckStatus.PENDING).order_by("pk").values_list("tenant_id", flat=True)
    for position, tenant_id in enumerate(pending.iterator(chunk_size=CHECK_BATCH_SIZE)):
        lanes[position % len(lanes)].append(tenant_id)
    lanes = [lane for lane in lanes if lane]
    if not lanes:
        reconciliation_run_finish_if_done(run_id)
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
    base = ReconciliationRun.objects.filter(pk=run_id, status__in=RUN_ACTIVE_STATUSES, customers_total__lte=finished)
    now = timezone.now()
    base.filter(cancel_requested=True).update(status=RunStatus.CANCELLED, finished_at=now)
    base.filter(cancel_requested=False).update(status=RunStatus.COMPLETED, finished_at=now)
