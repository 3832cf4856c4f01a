"""Thin Celery entry points of the billing app."""

from celery import shared_task


@shared_task(name="billing.tasks.invoice_run_task", acks_late=True)
def invoice_run_task(run_id: int) -> str:
    from billing.services.runs import invoice_run_execute

    return invoice_run_execute(run_id=run_id).status


@shared_task(name="billing.tasks.invoice_runs_due_task")
def invoice_runs_due_task() -> int:
    """Beat entry (daily): start the finalising run of last month for each issuer whose billing day it is."""
    from billing.services.schedule import invoice_runs_due

    return len(invoice_runs_due())


# Invoice delivery (render the PDF, e-mail it) lives in its own module; importing it registers its task and the
# receiver that queues it when an invoice is finalised.
from billing import delivery_tasks  # noqa: E402, F401
