"""The provisioning engine: a worker claims an operation with a lease, runs its step against Partner Center, and
records the attempt and its outcome.

Reliability: every operation row is created in the transaction that creates its business change, with its
MS-RequestId; it is enqueued only after that transaction commits; a worker claims it with a lease (so two workers
never run it at once, and a dead worker's step is taken over once the lease expires); each try is an attempt row;
a timeout on a write leaves it UNKNOWN until a read-back (the step's settler, `provisioning.pipeline`) settles it.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bss.choices import OrderStatus
from bss.partner_center import get_client
from bss.services import orders as order_services
from partnercenter import errors as pc_errors
from provisioning.choices import CLAIMABLE_STATUSES, WRITE_KINDS, AttemptOutcome, OperationStatus
from provisioning.models import ProvisioningOperation
from provisioning.pipeline.base import PermanentFailure, recording_calls
from provisioning.pipeline.registry import STEPS
from provisioning.services.attempts import record_attempt, record_error, record_outcome
from provisioning.services.lifecycle import OperationNotRetryable, operation_fail, set_status

# A worker's claim on an operation; must outlast one execution (client timeout x in-client retries, plus margin).
LEASE_SECONDS = getattr(settings, "PROVISIONING_LEASE_SECONDS", 600)



def _claim(operation_id: int, worker: str) -> tuple[ProvisioningOperation, str] | None:
    """Take the operation for this worker, or None if it is not runnable now (done, someone else's, or waiting for
    the step before it)."""
    with transaction.atomic():
        op = (
            ProvisioningOperation.objects.select_for_update(of=("self",))
            .select_related("depends_on", "instance", "subscription__tenant", "tenant", "order")
            .filter(pk=operation_id)
            .first()
        )
        if op is None:
            return None
        now = timezone.now()
        if op.status == OperationStatus.RUNNING:
            if op.claimed_by != worker and op.claimed_until and op.claimed_until > now:
                return None
        elif op.status not in CLAIMABLE_STATUSES:
            return None
        if op.depends_on is not None and op.depends_on.status != OperationStatus.SUCCEEDED:
            return None
        previous = op.status
        if previous == OperationStatus.RUNNING and op.kind in WRITE_KINDS:
            # The worker that ran it died mid-call: whether Partner Center got the write is unknown.
            previous = OperationStatus.UNKNOWN
        set_status(op, OperationStatus.RUNNING)
        op.claimed_by = worker
        op.claimed_until = now + timedelta(seconds=LEASE_SECONDS)
        op.attempt_count += 1
        op.save(update_fields=["status", "claimed_by", "claimed_until", "attempt_count", "updated_at"])
        if op.order is not None and op.order.status == OrderStatus.PENDING:
            order_services.order_set_status(order=op.order, status=OrderStatus.PROVISIONING)
        return op, previous



def operation_execute(*, operation_id: int, worker: str = "") -> ProvisioningOperation:
    """Run one step if it is runnable; record the attempt and its outcome.

    Success applies the step's effect (tenant id, subscriptions, quantities...) and enqueues the next step. "Not yet"
    (order still provisioning, relationship not accepted) schedules another look. A retryable Partner Center error
    is recorded and re-raised for the task to retry; a timeout on a write marks the step UNKNOWN (read back on the
    next run) and is re-raised too; any other error fails the step and its order with Partner Center's message.
    """
    worker = worker or f"inline-{uuid.uuid4().hex[:12]}"
    claimed = _claim(operation_id, worker)
    if claimed is None:
        return ProvisioningOperation.objects.get(pk=operation_id)
    op, previous = claimed
    step = STEPS[op.kind]
    settling = previous == OperationStatus.UNKNOWN and step.settle is not None
    handler = step.settle if settling and step.settle is not None else step.execute
    started_at = timezone.now()
    started = time.monotonic()
    with recording_calls() as calls:
        try:
            client = get_client(op.instance)
            outcome = handler(client, op)
        except pc_errors.PartnerCenterError as exc:
            return record_error(op, worker, exc, started_at, started, calls, settling)
        except PermanentFailure as exc:
            record_attempt(
                op,
                worker,
                AttemptOutcome.PERMANENT_ERROR,
                started_at,
                started,
                calls,
                message=exc.message,
                code=exc.code,
            )
            return operation_fail(operation=op, message=exc.message, code=exc.code)
    return record_outcome(op, worker, outcome, started_at, started, calls)



def operation_settle_unknown(*, operation: ProvisioningOperation) -> ProvisioningOperation:
    """Read back a step whose outcome is unknown (timeout or lost connection), now: it becomes succeeded (the write
    happened), or is executed again with the same MS-RequestId / the same cart (it did not)."""
    if operation.status != OperationStatus.UNKNOWN:
        raise OperationNotRetryable(f"Operation {operation.pk} is not in the unknown state.")
    return operation_execute(operation_id=operation.pk)

