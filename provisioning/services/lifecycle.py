"""An operation's life cycle: its status transitions, the queue (enqueue after commit, retry backoff), giving up
(`operation_fail`), the back office's Retry (`operation_retry`), and completing the order when its last step succeeds.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bss.choices import OrderStatus
from bss.exceptions import ApplicationError, InvalidTransition
from bss.models import Order, User
from bss.services import orders as order_services
from bss.services.audit import audit_record, snapshot
from partnercenter import errors as pc_errors
from provisioning.choices import OPERATION_TRANSITIONS, OperationStatus
from provisioning.models import ProvisioningOperation
from provisioning.tasks import operation_execute_task, order_email_task

RETRY_BASE_SECONDS = getattr(settings, "PROVISIONING_RETRY_BASE_SECONDS", 5.0)
# Partner Center error codes that mean "busy, try again" although their HTTP status is not a retryable one.
_BUSY_CODES = {800060, 800064}


class OperationNotRetryable(ApplicationError):
    code = "operation_not_retryable"


def enqueue(operation_id: int, countdown: float | None = None) -> None:
    """Run the operation after the current transaction commits (never before: the worker could not see it)."""
    if countdown and operation_execute_task.app.conf.task_always_eager:
        # In-process (tests, embedded demo without a worker) a countdown cannot be honoured; the periodic sweep
        # (`operations_due_task`) runs the step when it is due.
        return
    options: dict[str, Any] = {"countdown": min(countdown, settings.CELERY_MAX_COUNTDOWN)} if countdown else {}
    transaction.on_commit(lambda: operation_execute_task.apply_async(args=[operation_id], **options))



def set_status(op: ProvisioningOperation, status: str) -> None:
    if status not in OPERATION_TRANSITIONS.get(op.status, set()):
        raise InvalidTransition(
            f"Operation {op.pk} cannot go from {op.get_status_display()} to {OperationStatus(status).label}.",
            extra={"from": op.status, "to": status},
        )
    op.status = status



def retry_countdown(*, attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff for retry number `attempt` (1-based), at least Partner Center's Retry-After, capped by
    the broker's visibility timeout (CELERY_MAX_COUNTDOWN)."""
    backoff = RETRY_BASE_SECONDS * (2 ** max(0, attempt - 1))
    return float(min(max(backoff, retry_after or 0.0), settings.CELERY_MAX_COUNTDOWN))



def is_retryable(exc: pc_errors.PartnerCenterError) -> bool:
    if exc.retryable:
        return True
    if isinstance(exc, pc_errors.PreconditionFailedError):
        return True  # stale etag: the next attempt starts from a fresh read
    return isinstance(exc, pc_errors.APIError) and exc.code in _BUSY_CODES



def order_maybe_completed(order: Order) -> None:
    ops = list(ProvisioningOperation.objects.filter(order=order).values_list("status", flat=True))
    if ops and all(status == OperationStatus.SUCCEEDED for status in ops):
        order = Order.objects.get(pk=order.pk)
        if order.status != OrderStatus.COMPLETED:
            order_services.order_set_status(order=order, status=OrderStatus.COMPLETED)
            transaction.on_commit(lambda: order_email_task.delay(order.pk, "confirmation"))



@transaction.atomic
def operation_fail(*, operation: ProvisioningOperation, message: str, code: str = "") -> ProvisioningOperation:
    """Give up on a step (a permanent Partner Center error, or retries exhausted): the step and its order fail with
    Partner Center's message; later steps stay pending until someone retries. Idempotent."""
    op = ProvisioningOperation.objects.select_for_update(of=("self",)).select_related("order").get(pk=operation.pk)
    if op.status in (OperationStatus.FAILED, OperationStatus.SUCCEEDED, OperationStatus.CANCELLED):
        return op
    before = snapshot(op, ["status"])
    set_status(op, OperationStatus.FAILED)
    op.last_error_code = (code or "")[:40]
    op.last_error_message = message
    op.finished_at = timezone.now()
    op.claimed_by, op.claimed_until, op.next_attempt_at = "", None, None
    op.save(
        update_fields=[
            "status",
            "last_error_code",
            "last_error_message",
            "finished_at",
            "claimed_by",
            "claimed_until",
            "next_attempt_at",
            "updated_at",
        ]
    )
    audit_record(
        actor=None,
        actor_label="provisioning",
        action="operation.fail",
        obj=op,
        before=before,
        after={"status": op.status, "error": message[:500], "code": code},
    )
    order = op.order
    if order is not None and order.status not in (OrderStatus.FAILED, OrderStatus.COMPLETED, OrderStatus.CANCELLED):
        reason = f"{op.get_kind_display()} failed: {message}"
        order_services.order_set_status(order=order, status=OrderStatus.FAILED, reason=reason)
        transaction.on_commit(lambda: order_email_task.delay(order.pk, "failure"))
    return op



@transaction.atomic
def operation_retry(*, actor: User, operation: ProvisioningOperation) -> ProvisioningOperation:
    """The back office's Retry button: put a failed step back in the queue, with the same MS-RequestId (and, for a
    checkout, the same cart), so a retry can never buy twice. A waiting/retrying/unknown step is run now instead."""
    op = ProvisioningOperation.objects.select_for_update(of=("self",)).select_related("order").get(pk=operation.pk)
    if op.status in (OperationStatus.WAITING, OperationStatus.RETRYING, OperationStatus.UNKNOWN):
        op.next_attempt_at = timezone.now()
        op.save(update_fields=["next_attempt_at", "updated_at"])
        audit_record(actor=actor, action="operation.run_now", obj=op, after={"status": op.status})
        enqueue(op.pk)
        return op
    if op.status != OperationStatus.FAILED:
        raise OperationNotRetryable(f"Only a failed operation can be retried; this one is {op.get_status_display()}.")
    before = snapshot(op, ["status", "last_error_message"])
    set_status(op, OperationStatus.PENDING)
    op.finished_at = None
    op.next_attempt_at = timezone.now()
    op.save(update_fields=["status", "finished_at", "next_attempt_at", "updated_at"])
    audit_record(actor=actor, action="operation.retry", obj=op, before=before, after={"status": op.status})
    order = op.order
    if order is not None and order.status == OrderStatus.FAILED:
        target = OrderStatus.PROVISIONING
        order_services.order_set_status(order=order, status=target, actor=actor)
    enqueue(op.pk)
    return op

