"""Celery tasks of the reconciliation app: thin wrappers that take ids and call one service each.

The service modules are imported inside each task body (the one sanctioned local import: services import these
tasks to schedule them)."""

from celery import shared_task


@shared_task(name="reconciliation.tasks.reconciliation_nightly_task")
def reconciliation_nightly_task() -> list[int]:
    """Beat entry point: start an instance-wide run for every active instance."""
    from reconciliation.services import runs

    return [run.pk for run in runs.reconciliation_nightly_start()]


@shared_task(name="reconciliation.tasks.reconciliation_sweep_task")
def reconciliation_sweep_task(run_id: int) -> int:
    """Fan a run out into one `reconciliation_customer_task` per tenant (in bounded lanes)."""
    from reconciliation.services import runs

    try:
        return runs.reconciliation_run_fan_out(run_id=run_id)
    except Exception as exc:
        runs.reconciliation_run_fail(run_id=run_id, message=f"Could not start the run: {exc}")
        raise


@shared_task(name="reconciliation.tasks.reconciliation_customer_task")
def reconciliation_customer_task(run_id: int, tenant_id: int) -> str:
    """Check one tenant of a run. Quiet when the run or its check is gone or already finished (redelivery)."""
    from reconciliation.models import ReconciliationCustomerCheck
    from reconciliation.services import checks

    try:
        return checks.reconciliation_customer_check(run_id=run_id, tenant_id=tenant_id).status
    except ReconciliationCustomerCheck.DoesNotExist:
        return "gone"
