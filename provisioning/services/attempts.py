"""One try of an operation, recorded: the attempt row (HTTP calls, duration, correlation id) and what the outcome
does to the operation (succeeded and its effect applied, waiting, retrying, unknown, or failed).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from bss.partner_center import pc_error_message
from partnercenter import errors as pc_errors
from provisioning.choices import WRITE_KINDS, AttemptOutcome, OperationStatus
from provisioning.models import ProvisioningAttempt, ProvisioningOperation
from provisioning.pipeline.base import Outcome
from provisioning.pipeline.registry import STEPS
from provisioning.services.lifecycle import (
    enqueue,
    is_retryable,
    operation_fail,
    order_maybe_completed,
    retry_countdown,
    set_status,
)

# An unknown write is read back after this; a lost wake-up is re-enqueued by the periodic sweep after its due time.
SETTLE_DELAY_SECONDS = 5.0



def record_attempt(
    op: ProvisioningOperation,
    worker: str,
    outcome: str,
    started_at: datetime,
    started: float,
    calls: Sequence[dict[str, Any]],
    *,
    message: str = "",
    code: str = "",
    http_status: int | None = None,
    correlation_id: str = "",
    response: dict[str, Any] | None = None,
) -> ProvisioningAttempt:
    last = calls[-1] if calls else {}
    return ProvisioningAttempt.objects.create(
        operation=op,
        number=op.attempt_count,
        started_at=started_at,
        finished_at=timezone.now(),
        duration_ms=int((time.monotonic() - started) * 1000),
        outcome=outcome,
        http_status=http_status or last.get("status"),
        pc_error_code=code,
        correlation_id=correlation_id or last.get("correlation_id") or "",
        request_id=str(op.ms_request_id),
        message=message[:4000],
        response={**(response or {}), "calls": list(calls)[-20:]},
        worker=worker[:64],
    )



def _relock(op: ProvisioningOperation, worker: str) -> ProvisioningOperation | None:
    """The operation, locked, if this worker still holds it (its lease may have been taken over)."""
    current = ProvisioningOperation.objects.select_for_update(of=("self",)).select_related("order").get(pk=op.pk)
    if current.status != OperationStatus.RUNNING or current.claimed_by != worker:
        return None
    return current



def record_error(
    op: ProvisioningOperation,
    worker: str,
    exc: pc_errors.PartnerCenterError,
    started_at: datetime,
    started: float,
    calls: Sequence[dict[str, Any]],
    settling: bool,
) -> ProvisioningOperation:
    message = exc.description or exc.message
    code = str(exc.code or (exc.error_name or ""))
    unknown = op.kind in WRITE_KINDS and isinstance(exc, pc_errors.TransportError)
    retryable = is_retryable(exc)
    with transaction.atomic():
        current = _relock(op, worker)
        outcome = (
            AttemptOutcome.UNKNOWN
            if unknown
            else (AttemptOutcome.TRANSIENT_ERROR if retryable else AttemptOutcome.PERMANENT_ERROR)
        )
        record_attempt(
            op,
            worker,
            outcome,
            started_at,
            started,
            calls,
            message=message,
            code=code,
            http_status=exc.http_status,
            correlation_id=exc.correlation_id or "",
        )
        if current is None:
            return ProvisioningOperation.objects.get(pk=op.pk)
        if not (unknown or retryable):
            return operation_fail(operation=current, message=pc_error_message(exc, limit=4000), code=code)
        # Still unknown if this was a read-back of an unknown step that could not complete.
        status = OperationStatus.UNKNOWN if unknown or settling else OperationStatus.RETRYING
        set_status(current, status)
        delay = (
            SETTLE_DELAY_SECONDS
            if unknown
            else retry_countdown(attempt=current.attempt_count, retry_after=exc.retry_after)
        )
        current.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        current.claimed_by, current.claimed_until = "", None
        current.last_http_status = exc.http_status
        current.last_error_code = code[:40]
        current.last_error_message = pc_error_message(exc, limit=4000)
        current.save(
            update_fields=[
                "status",
                "next_attempt_at",
                "claimed_by",
                "claimed_until",
                "last_http_status",
                "last_error_code",
                "last_error_message",
                "updated_at",
            ]
        )
    raise exc



def record_outcome(
    op: ProvisioningOperation,
    worker: str,
    outcome: Outcome,
    started_at: datetime,
    started: float,
    calls: Sequence[dict[str, Any]],
) -> ProvisioningOperation:
    waiting = outcome.wait is not None
    with transaction.atomic():
        current = _relock(op, worker)
        record_attempt(
            op,
            worker,
            AttemptOutcome.WAITING if waiting else AttemptOutcome.SUCCEEDED,
            started_at,
            started,
            calls,
            message=outcome.message,
            response=outcome.response,
        )
        if current is None:
            return ProvisioningOperation.objects.get(pk=op.pk)
        current.claimed_by, current.claimed_until = "", None
        if waiting:
            set_status(current, OperationStatus.WAITING)
            current.next_attempt_at = timezone.now() + timedelta(seconds=outcome.wait or 0)
            if outcome.result:
                current.result = outcome.result
            current.save(
                update_fields=["status", "next_attempt_at", "claimed_by", "claimed_until", "result", "updated_at"]
            )
            enqueue(current.pk, countdown=outcome.wait)
            return current
        set_status(current, OperationStatus.SUCCEEDED)
        current.result = outcome.result
        current.finished_at = timezone.now()
        current.next_attempt_at = None
        current.last_error_code = current.last_error_message = ""
        current.save(
            update_fields=[
                "status",
                "result",
                "finished_at",
                "next_attempt_at",
                "claimed_by",
                "claimed_until",
                "last_error_code",
                "last_error_message",
                "updated_at",
            ]
        )
        apply = STEPS[current.kind].apply
        if apply is not None:
            apply(current, outcome)  # the step's business effect, in this transaction
        for following in current.dependents.filter(status=OperationStatus.PENDING):
            enqueue(following.pk)
        if current.order is not None:
            order_maybe_completed(current.order)
    return current

