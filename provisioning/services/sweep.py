"""The periodic sweep: steps that are due, steps whose worker died, steps whose wake-up message got lost."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from provisioning.choices import WRITE_KINDS, OperationStatus
from provisioning.models import ProvisioningOperation
from provisioning.services.lifecycle import set_status
from provisioning.tasks import operation_execute_task


def operations_enqueue_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """The periodic sweep: enqueue steps whose due time has come (waiting for an order or a relationship, retry or
    read-back scheduled), steps whose worker died (lease expired), and steps whose wake-up message got lost."""
    now = now or timezone.now()
    due = (
        ProvisioningOperation.objects.filter(
            Q(
                status__in=[OperationStatus.WAITING, OperationStatus.RETRYING, OperationStatus.UNKNOWN],
                next_attempt_at__lte=now,
            )
            | Q(status=OperationStatus.RUNNING, claimed_until__lt=now)
            | Q(status=OperationStatus.PENDING, created_at__lt=now - timedelta(minutes=2))
            & (Q(depends_on__isnull=True) | Q(depends_on__status=OperationStatus.SUCCEEDED))
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    count = 0
    for op_id in list(due):
        _release_dead_claim(op_id, now)
        operation_execute_task.apply_async(args=[op_id])
        count += 1
    return count



def _release_dead_claim(operation_id: int, now: datetime) -> None:
    """A step still "running" after its lease: its worker died. Whether a write reached Partner Center is unknown,
    so the next run reads it back first; a read is simply retried."""
    with transaction.atomic():
        op = (
            ProvisioningOperation.objects.select_for_update(of=("self",))
            .filter(pk=operation_id, status=OperationStatus.RUNNING, claimed_until__lt=now)
            .first()
        )
        if op is None:
            return
        set_status(op, OperationStatus.UNKNOWN if op.kind in WRITE_KINDS else OperationStatus.RETRYING)
        op.claimed_by, op.claimed_until, op.next_attempt_at = "", None, now
        op.last_error_message = "The worker running this step stopped before it finished."
        op.save(
            update_fields=[
                "status",
                "claimed_by",
                "claimed_until",
                "next_attempt_at",
                "last_error_message",
                "updated_at",
            ]
        )

