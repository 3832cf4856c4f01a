"""Thin Celery tasks: they take ids, call one service, and decide only about retrying.

Services import this module to schedule tasks, so each task imports its service inside its body (the one sanctioned
local import). Tasks are idempotent: a redelivered or duplicate message finds its operation done or claimed and
returns quietly.
"""

from celery import shared_task
from django.utils import timezone

MAX_RETRIES = 10


@shared_task(bind=True, name="provisioning.tasks.operation_execute_task", acks_late=True, max_retries=MAX_RETRIES)
def operation_execute_task(self, operation_id: int) -> str:
    """Run one provisioning step. Retryable Partner Center errors come back here: retry with the backoff the
    service scheduled (Retry-After honoured, capped by CELERY_MAX_COUNTDOWN); after the last retry, fail the step."""
    from partnercenter.errors import PartnerCenterError
    from provisioning.models import ProvisioningOperation
    from provisioning.services import engine, lifecycle

    try:
        op = engine.operation_execute(operation_id=operation_id, worker=f"task-{self.request.id}")
    except ProvisioningOperation.DoesNotExist:
        return "gone"
    except PartnerCenterError as exc:
        op = ProvisioningOperation.objects.get(pk=operation_id)
        if self.request.retries >= self.max_retries:
            lifecycle.operation_fail(
                operation=op,
                message=f"Partner Center kept failing after {op.attempt_count} attempts: {exc.description or exc}",
                code=str(exc.code or ""),
            )
            return "failed"
        if self.request.is_eager:
            # In-process execution cannot wait: the step stays "retrying" with its due time and the periodic sweep
            # (operations_due_task) runs it again.
            return op.status
        if op.next_attempt_at is not None:
            countdown = max(0.0, (op.next_attempt_at - timezone.now()).total_seconds())
        else:
            countdown = lifecycle.retry_countdown(attempt=self.request.retries + 1, retry_after=exc.retry_after)
        raise self.retry(exc=exc, countdown=countdown) from exc
    return op.status


@shared_task(name="provisioning.tasks.operations_due_task")
def operations_due_task() -> int:
    """Periodic: enqueue steps that are due (order and relationship polls, retries, read-backs, dead workers)."""
    from provisioning.services import orders, sweep

    orders.credentials_purge_expired()
    return sweep.operations_enqueue_due()


@shared_task(name="provisioning.tasks.order_email_task", acks_late=True)
def order_email_task(order_id: int, kind: str) -> None:
    """Order confirmation or failure email."""
    from provisioning import emails

    emails.order_send_email(order_id=order_id, kind=kind)
