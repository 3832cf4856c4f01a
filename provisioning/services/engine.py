"""The provisioning engine: a worker claims an operation with a lease, runs its step against Partner Center, and
records the attempt and its outcome.

Reliability: every operation row is created in the transaction that creates its business change, with its
MS-RequestId; it is enqueued only after that transaction commits; a worker claims it with a lease (so two workers
never run it at once, and a dead worker's step is taken over once the lease expires); each try is an attempt row;
a timeout on a write leaves it UNKNOWN until a read-back (the step's settler, `provisioning.pipeline`) settles it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connections, transaction
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

logger = logging.getLogger(__name__)

# A worker's claim on an operation. It is short because a heartbeat renews it while the step runs: a live worker
# keeps its step however long Partner Center takes, and a dead worker's step is taken over (read back first) soon
# after the lease runs out, by the periodic sweep.
LEASE_SECONDS: int = settings.PROVISIONING_LEASE_SECONDS
# How often the heartbeat renews the lease; a few renewals fit in one lease, so one slow renewal loses nothing.
HEARTBEAT_SECONDS: float = min(float(settings.PROVISIONING_LEASE_HEARTBEAT_SECONDS), LEASE_SECONDS / 3)


def _claim(operation_id: int, claim: str) -> tuple[ProvisioningOperation, str] | None:
    """Take the operation under this claim token, or None if it is not runnable now (done, held under a live lease,
    or waiting for the step before it)."""
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
            if op.claimed_until and op.claimed_until > now:
                return None  # someone holds it, and its heartbeat keeps the lease alive while it runs
        elif op.status not in CLAIMABLE_STATUSES:
            return None
        if op.depends_on is not None and op.depends_on.status != OperationStatus.SUCCEEDED:
            return None
        previous = op.status
        if previous == OperationStatus.RUNNING and op.kind in WRITE_KINDS:
            # The worker that ran it died mid-call: whether Partner Center got the write is unknown.
            previous = OperationStatus.UNKNOWN
        set_status(op, OperationStatus.RUNNING)
        op.claimed_by = claim
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
    # The claim token: this worker, and this claim (a redelivered message of the same task is another claim).
    worker = f"{(worker or 'inline')[:50]}/{uuid.uuid4().hex[:12]}"
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
            with lease_heartbeat(operation_id=op.pk, claim=worker):
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



def lease_renew(*, operation_id: int, claim: str) -> bool:
    """Extend a running step's lease, only under the claim that holds it: a conditional update on the operation id
    and the claim token, so a stale worker can never extend a claim another worker has taken over. False: the claim
    is no longer ours."""
    renewed = ProvisioningOperation.objects.filter(
        pk=operation_id, status=OperationStatus.RUNNING, claimed_by=claim
    ).update(claimed_until=timezone.now() + timedelta(seconds=LEASE_SECONDS))
    return renewed == 1



@contextmanager
def lease_heartbeat(*, operation_id: int, claim: str, every: float | None = None) -> Iterator[None]:
    """Renew the lease every few seconds from a background thread while the body (the step's Partner Center call)
    runs; stopped, and its database connection closed, when the body ends. A killed worker's heartbeat dies with it,
    so its lease runs out within LEASE_SECONDS and the sweep hands the step on."""
    interval = every if every is not None else HEARTBEAT_SECONDS
    stopped = threading.Event()

    def beat() -> None:
        try:
            while not stopped.wait(interval):
                try:
                    if not lease_renew(operation_id=operation_id, claim=claim):
                        logger.warning("operation %s: lease no longer held by %s; heartbeat stops", operation_id, claim)
                        return
                except DatabaseError:
                    # The next beat tries again; the lease has room for a few missed renewals.
                    logger.exception("operation %s: could not renew the lease", operation_id)
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=beat, name=f"lease-heartbeat-{operation_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stopped.set()
        # Bounded: a renewal stuck on a lock must not hold the step's outcome; a late one changes nothing, because
        # recording the outcome clears the claim the renewal is conditional on.
        thread.join(timeout=max(interval, 5.0))



def operation_settle_unknown(*, operation: ProvisioningOperation) -> ProvisioningOperation:
    """Read back a step whose outcome is unknown (timeout or lost connection), now: it becomes succeeded (the write
    happened), or is executed again with the same MS-RequestId / the same cart (it did not)."""
    if operation.status != OperationStatus.UNKNOWN:
        raise OperationNotRetryable(f"Operation {operation.pk} is not in the unknown state.")
    return operation_execute(operation_id=operation.pk)

