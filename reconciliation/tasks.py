"""Celery tasks of the reconciliation app: thin wrappers that take ids and call one service each.

The service modules are imported inside each task body (the one sanctioned local import: services import these
tasks to schedule them)."""

from celery import Task, shared_task


@shared_task(name="reconciliation.tasks.reconciliation_nightly_task")
def reconciliation_nightly_task() -> list[int]:
    """Beat entry point: start an instance-wide run for every active instance."""
    from reconciliation.services import runs

    return [run.pk for run in runs.reconciliation_nightly_start()]


@shared_task(name="reconciliation.tasks.reconciliation_sweep_task")
def reconciliation_sweep_task(run_id: int) -> int:
    """Start a run's lanes: one `reconciliation_customer_task` per lane, each continuing with the next tenant."""
    from reconciliation.services import runs

    try:
        return runs.reconciliation_run_fan_out(run_id=run_id)
    except Exception as exc:
        runs.reconciliation_run_fail(run_id=run_id, message=f"Could not start the run: {exc}")
        raise


# Retries only ever come from a spent Partner Center budget (a check records any other failure and returns): the
# budget always refills, so there is no retry limit.
@shared_task(bind=True, name="reconciliation.tasks.reconciliation_customer_task", acks_late=True, max_retries=None)
def reconciliation_customer_task(self: Task, run_id: int, tenant_id: int) -> str:
    """Check one tenant of a run, then continue the lane with the next waiting tenant. Quiet when the run or its
    check is gone or already finished (redelivery). When the shared rate limit's budget is spent for longer than
    a few seconds, the task is rescheduled for when a token exists (`partner_center_budget`), never parked."""
    from bss.tasks import partner_center_budget
    from reconciliation.models import ReconciliationCustomerCheck
    from reconciliation.services import checks, runs

    eager = bool(self.request.is_eager)
    current: int | None = tenant_id
    status = "gone"
    while current is not None:
        try:
            with partner_center_budget(self):
                status = checks.reconciliation_customer_check(run_id=run_id, tenant_id=current).status
        except ReconciliationCustomerCheck.DoesNotExist:
            return "gone"
        current = runs.reconciliation_run_continue(run_id=run_id, enqueue=not eager)
        if not eager:
            break
    return status
