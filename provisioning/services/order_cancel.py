"""Cancelling an order before anything was bought: the back office's "Cancel order" button.

Allowed while no purchase was sent to Partner Center: no checkout (nor seat increase) has been attempted, so
Microsoft has nothing to bill. The order's open steps are cancelled, the order goes to Cancelled (if its status
allows it: `bss.choices.ORDER_TRANSITIONS`), and both are audited with the reason. Refused once the checkout was
sent (even if its outcome is unknown or failed: only Partner Center knows then, and a cancellation of what was
bought goes through the subscriptions' cancel window instead) and while a step is running.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from bss.choices import ORDER_TRANSITIONS, OrderStatus
from bss.exceptions import ApplicationError
from bss.models import Order, Subscription, User
from bss.services import orders as order_services
from bss.services.audit import audit_record, snapshot
from provisioning.choices import OperationKind, OperationStatus
from provisioning.models import ProvisioningOperation

# Steps that buy something: once one of them was sent, the order can no longer be cancelled here.
PURCHASE_KINDS = (OperationKind.CHECKOUT, OperationKind.CHANGE_QUANTITY)


class OrderNotCancellable(ApplicationError):
    code = "order_not_cancellable"
    http_status = 409


def _purchase_sent(operation: ProvisioningOperation) -> bool:
    return operation.kind in PURCHASE_KINDS and (
        operation.attempt_count > 0 or operation.status not in (OperationStatus.PENDING, OperationStatus.CANCELLED)
    )


def order_cancel_refusal(*, order: Order) -> str:
    """Why `order` cannot be cancelled before purchase ("" when it can): for the page to show the button or not."""
    if order.status in (OrderStatus.COMPLETED, OrderStatus.CANCELLED):
        return f"The order is {order.get_status_display().lower()}."
    operations = list(ProvisioningOperation.objects.filter(order=order))
    if any(_purchase_sent(op) for op in operations):
        return "The checkout was already sent to Partner Center: cancel the subscriptions instead."
    if any(op.status == OperationStatus.RUNNING for op in operations):
        return "A step of this order is running right now; try again in a moment."
    if Subscription.objects.filter(order_line__order=order).exists():
        return "The order already has subscriptions: cancel them instead."
    if OrderStatus.CANCELLED not in ORDER_TRANSITIONS.get(order.status, set()):
        return f"An order in {order.get_status_display()} cannot be cancelled; wait until it fails or completes."
    return ""


@transaction.atomic
def order_cancel(*, actor: User, order: Order, reason: str) -> Order:
    """Cancel `order` before purchase (see the module's docstring); raises OrderNotCancellable with the reason."""
    reason = reason.strip()
    if not reason:
        raise OrderNotCancellable("Say why the order is cancelled.")
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    # Lock the steps so that no worker claims one while we cancel them.
    operations = list(ProvisioningOperation.objects.select_for_update(of=("self",)).filter(order=order))
    refusal = order_cancel_refusal(order=order)
    if refusal:
        raise OrderNotCancellable(refusal)
    now = timezone.now()
    for op in operations:
        if op.status in (OperationStatus.SUCCEEDED, OperationStatus.CANCELLED):
            continue
        before = snapshot(op, ["status"])
        op.status = OperationStatus.CANCELLED
        op.finished_at = now
        op.claimed_by, op.claimed_until, op.next_attempt_at = "", None, None
        op.save(update_fields=["status", "finished_at", "claimed_by", "claimed_until", "next_attempt_at", "updated_at"])
        audit_record(actor=actor, action="operation.cancel", obj=op, before=before, after={"status": op.status})
    before = snapshot(order, ["status"])
    order = order_services.order_set_status(order=order, status=OrderStatus.CANCELLED, actor=actor)
    audit_record(
        actor=actor, action="order.cancel_before_purchase", obj=order, before=before,
        after={"status": order.status, "reason": reason[:500]},
    )
    return order
