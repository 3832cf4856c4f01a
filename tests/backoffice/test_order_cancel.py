"""provisioning.services.order_cancel: an order is cancelled only before its purchase was sent to Partner Center."""

import pytest

from bss.models import AuditEvent
from provisioning.choices import OperationKind, OperationStatus
from provisioning.services.order_cancel import OrderNotCancellable, order_cancel
from tests.factories.bss import OrderFactory, OrderLineFactory, StaffUserFactory, SubscriptionFactory
from tests.factories.provisioning import ProvisioningOperationFactory

pytestmark = pytest.mark.django_db


def test_cancels_the_open_steps_and_the_order_and_audits_the_reason():
    staff = StaffUserFactory()
    order = OrderFactory(status="awaiting_relationship")
    waiting = ProvisioningOperationFactory(order=order, kind=OperationKind.AWAIT_RELATIONSHIP,
                                           status=OperationStatus.WAITING, attempt_count=3)
    checkout = ProvisioningOperationFactory(order=order, kind=OperationKind.CHECKOUT)
    order = order_cancel(actor=staff, order=order, reason="Duplicate of another order")
    waiting.refresh_from_db()
    checkout.refresh_from_db()
    assert order.status == "cancelled"
    assert (waiting.status, checkout.status) == (OperationStatus.CANCELLED, OperationStatus.CANCELLED)
    event = AuditEvent.objects.get(action="order.cancel_before_purchase", object_id=str(order.pk))
    assert event.actor == staff and event.after["reason"] == "Duplicate of another order"
    assert AuditEvent.objects.filter(action="operation.cancel").count() == 2


@pytest.mark.parametrize(
    ("kind", "status", "attempts"),
    [
        (OperationKind.CHECKOUT, OperationStatus.UNKNOWN, 1),  # sent, outcome unknown
        (OperationKind.CHECKOUT, OperationStatus.FAILED, 1),  # sent and refused: only Partner Center knows for sure
        (OperationKind.CHECKOUT, OperationStatus.SUCCEEDED, 1),
        (OperationKind.CHANGE_QUANTITY, OperationStatus.RETRYING, 2),
    ],
)
def test_refused_once_a_purchase_was_sent(kind, status, attempts):
    order = OrderFactory(status="failed")
    op = ProvisioningOperationFactory(order=order, kind=kind, status=status, attempt_count=attempts)
    with pytest.raises(OrderNotCancellable, match="already sent to Partner Center"):
        order_cancel(actor=StaffUserFactory(), order=order, reason="too late")
    order.refresh_from_db()
    op.refresh_from_db()
    assert order.status == "failed" and op.status == status
    assert not AuditEvent.objects.filter(action="order.cancel_before_purchase").exists()


def test_refused_while_a_step_runs_or_when_subscriptions_exist_or_without_reason():
    running = OrderFactory(status="failed")
    ProvisioningOperationFactory(order=running, kind=OperationKind.CREATE_CUSTOMER, status=OperationStatus.RUNNING)
    with pytest.raises(OrderNotCancellable, match="running"):
        order_cancel(actor=StaffUserFactory(), order=running, reason="x")
    bought = OrderFactory(status="failed")
    SubscriptionFactory(tenant=bought.tenant, order_line=OrderLineFactory(order=bought))
    with pytest.raises(OrderNotCancellable, match="subscriptions"):
        order_cancel(actor=StaffUserFactory(), order=bought, reason="x")
    with pytest.raises(OrderNotCancellable, match="why"):
        order_cancel(actor=StaffUserFactory(), order=OrderFactory(status="pending"), reason="  ")


def test_refused_for_a_completed_or_cancelled_order():
    for status in ("completed", "cancelled"):
        with pytest.raises(OrderNotCancellable, match=f"is {status}"):
            order_cancel(actor=StaffUserFactory(), order=OrderFactory(status=status), reason="x")


def test_refused_while_the_order_rules_do_not_let_it_be_cancelled():
    order = OrderFactory(status="provisioning")
    ProvisioningOperationFactory(order=order, kind=OperationKind.CREATE_CART)
    with pytest.raises(OrderNotCancellable, match="cannot be cancelled"):
        order_cancel(actor=StaffUserFactory(), order=order, reason="x")
