"""The check of one customer (tenant) inside a run: compare its subscriptions with Partner Center's.

Each check (`reconciliation_customer_check`) reads the tenant's subscriptions from Partner Center once, compares
them with the BSS in pure functions (`reconciliation.comparators`), records the findings
(`reconciliation.services.findings`) and advances the run's counters. On nightly runs the kinds with an auto-apply
policy are adopted at once (`reconciliation.services.auto_apply`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bss.models import MicrosoftTenant, Subscription
from bss.partner_center import get_client, pc_error_message
from partnercenter import errors as pc_errors
from partnercenter.types import Subscription as PcSubscription
from reconciliation import comparators
from reconciliation.choices import CUSTOMER_CHECK_FINISHED, RUN_ACTIVE_STATUSES, CustomerCheckStatus, RunTrigger
from reconciliation.models import ReconciliationCustomerCheck, ReconciliationRun
from reconciliation.services.auto_apply import findings_auto_apply
from reconciliation.services.findings import bss_snapshot, findings_record
from reconciliation.services.gdap import gdap_differences
from reconciliation.services.renewals import next_term_differences, renewals_record
from reconciliation.services.runs import reconciliation_run_finish_if_done

logger = logging.getLogger(__name__)

# Partner Center answers 403 with this code for a customer the partner has no relationship with (any more).
NO_RELATIONSHIP_CODE = 20002


@dataclass
class CheckOutcome:
    status: str
    findings: int = 0
    pending: int = 0
    auto_applied: int = 0


def reconciliation_customer_check(*, run_id: int, tenant_id: int) -> CheckOutcome:
    """Check one tenant of a run. Idempotent (a finished check is not repeated) and never raises once the check
    exists: Partner Center trouble or a bug marks the check failed with the error, and the run (and the lane
    carrying the next tenants) goes on. Raises DoesNotExist when the run or check is gone, and
    RateBudgetExhaustedError when our own Partner Center budget is spent for longer than the caller may wait
    (nothing was sent; the caller reschedules)."""
    check = ReconciliationCustomerCheck.objects.select_related("run", "tenant__instance", "tenant__customer").get(
        run_id=run_id, tenant_id=tenant_id
    )
    try:
        return _customer_check(check)
    except pc_errors.RateBudgetExhaustedError:
        raise  # nothing was sent: the task tries this check again once the budget allows (the check stays claimed)
    except Exception as exc:
        logger.exception("reconciliation check of tenant %s in run %s failed", tenant_id, run_id)
        return _check_finish(check, status=CustomerCheckStatus.FAILED, error=f"Unexpected error: {exc}")


def _customer_check(check: ReconciliationCustomerCheck) -> CheckOutcome:
    if check.status in CUSTOMER_CHECK_FINISHED:
        return CheckOutcome(status=check.status)
    run = check.run
    if run.cancel_requested or run.status not in RUN_ACTIVE_STATUSES:
        return _check_finish(check, status=CustomerCheckStatus.CANCELLED)
    if check.status != CustomerCheckStatus.RUNNING or check.started_at is None:  # else claimed by its lane
        ReconciliationCustomerCheck.objects.filter(pk=check.pk).update(
            status=CustomerCheckStatus.RUNNING, started_at=timezone.now()
        )
    tenant = check.tenant
    pc: list[PcSubscription] = []
    differences: list[comparators.Difference]
    try:
        client = get_client(tenant.instance)
        pc = client.subscriptions.list(customer_id=tenant.pc_customer_id or "")
    except pc_errors.RateBudgetExhaustedError:
        raise
    except (pc_errors.NotFoundError, pc_errors.PermissionDeniedError) as exc:
        if isinstance(exc, pc_errors.PermissionDeniedError) and exc.code != NO_RELATIONSHIP_CODE:
            return _check_finish(check, status=CustomerCheckStatus.FAILED, error=pc_error_message(exc), pc_calls=1)
        differences = [comparators.orphan_difference(bss_of(tenant), reason=pc_error_message(exc))]
    except pc_errors.PartnerCenterError as exc:
        return _check_finish(check, status=CustomerCheckStatus.FAILED, error=pc_error_message(exc), pc_calls=1)
    else:
        renewals_record(tenant=tenant, pc=pc)  # renewals Partner Center made are recorded, not reported
        differences = comparators.compare_customer(bss_of(tenant), pc, now=timezone.now())
        differences += gdap_differences(tenant, now=timezone.now())  # admin rights: GDAP relationships
        differences += next_term_differences(tenant=tenant, pc=pc, now=timezone.now())
    details = {s.id.lower(): comparators.pc_details(s) for s in pc}
    findings, pending = findings_record(run=run, tenant=tenant, differences=differences, details=details)
    outcome = _check_finish(
        check, status=CustomerCheckStatus.DONE, findings=len(findings), pending=pending, pc_calls=1
    )
    if run.trigger == RunTrigger.NIGHTLY:
        outcome.auto_applied = findings_auto_apply(run_id=run.pk, findings=findings)
    return outcome


def bss_of(tenant: MicrosoftTenant) -> list[comparators.BssSubscription]:
    return [bss_snapshot(s) for s in Subscription.objects.filter(tenant=tenant).order_by("pk")]


def _check_finish(
    check: ReconciliationCustomerCheck,
    *,
    status: CustomerCheckStatus,
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
            .exclude(status__in=CUSTOMER_CHECK_FINISHED)
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
    reconciliation_run_finish_if_done(check.run_id)
    return CheckOutcome(status=status, findings=findings, pending=pending)
