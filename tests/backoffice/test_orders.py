"""Back office orders: the list's filters and search, the order page, its Retry and Cancel buttons, gating."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bss.models import AuditEvent, Order
from provisioning.choices import AttemptOutcome, OperationKind, OperationStatus
from tests.backoffice.conftest import staff_with
from tests.factories.bss import (
    CustomerFactory,
    MCAAcceptanceFactory,
    OrderFactory,
    OrderLineFactory,
    ResellerFactory,
    StaffUserFactory,
    SubscriptionFactory,
)
from tests.factories.provisioning import ProvisioningAttemptFactory, ProvisioningOperationFactory

pytestmark = pytest.mark.django_db


def _numbers(response) -> set[str]:
    return {str(order.number) for order in response.context["page"]}


def test_filters_by_status_reseller_customer_and_dates(client, operator):
    reseller = ResellerFactory()
    mine = OrderFactory(status="failed", tenant__customer__reseller=reseller)
    other = OrderFactory(status="completed")
    old = OrderFactory(status="completed")
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    client.force_login(operator)
    url = reverse("backoffice:order_list")
    assert _numbers(client.get(url)) == {str(o.number) for o in (mine, other, old)}
    assert _numbers(client.get(url, {"status": "failed"})) == {str(mine.number)}
    assert _numbers(client.get(url, {"reseller": reseller.pk})) == {str(mine.number)}
    assert _numbers(client.get(url, {"customer": other.customer_id})) == {str(other.number)}
    since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    assert _numbers(client.get(url, {"from": since})) == {str(mine.number), str(other.number)}
    until = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    assert _numbers(client.get(url, {"to": until})) == {str(old.number)}


def test_search_by_our_order_number_or_partner_center_order_id(client, operator):
    order, other = OrderFactory(), OrderFactory()
    line = OrderLineFactory(order=order)
    SubscriptionFactory(tenant=order.tenant, order_line=line, pc_order_id="pc-order-4711")
    client.force_login(operator)
    url = reverse("backoffice:order_list")
    assert _numbers(client.get(url, {"q": str(order.number)})) == {str(order.number)}
    assert _numbers(client.get(url, {"q": str(order.number)[:8]})) == {str(order.number)}
    assert _numbers(client.get(url, {"q": str(order.number)[:13].upper()})) == {str(order.number)}
    assert _numbers(client.get(url, {"q": "PC-ORDER-4711"})) == {str(order.number)}
    assert _numbers(client.get(url, {"q": "no-such-order"})) == set()
    assert str(other.number) not in client.get(url, {"q": str(order.number)[:8]}).content.decode()


def test_search_finds_an_order_by_its_checkout_before_subscriptions_are_recorded(client, operator):
    order = OrderFactory(status="provisioning")
    ProvisioningOperationFactory(order=order, kind=OperationKind.CHECKOUT, status=OperationStatus.SUCCEEDED,
                                 result={"cart_id": "c1", "orders": [{"id": "d4e5f6a7-pc-order", "line_items": []}]})
    OrderFactory()
    client.force_login(operator)
    found = _numbers(client.get(reverse("backoffice:order_list"), {"q": "d4e5f6a7-pc-order"}))
    assert found == {str(order.number)}


def test_list_is_paginated(client, operator):
    OrderFactory.create_batch(55)
    client.force_login(operator)
    first = client.get(reverse("backoffice:order_list"))
    assert len(first.context["page"]) == 50 and "page 1 of 2" in first.content.decode()
    assert len(client.get(reverse("backoffice:order_list"), {"page": 2}).context["page"]) == 5


def test_order_page_shows_lines_steps_attempts_mca_and_links(client, operator):
    order = OrderFactory(status="provisioning")
    line = OrderLineFactory(order=order, product_name="Microsoft 365 E3", quantity=7)
    sub = SubscriptionFactory(tenant=order.tenant, order_line=line, name="Microsoft 365 E3", pc_order_id="pc-77")
    op = ProvisioningOperationFactory(order=order, kind=OperationKind.CHECKOUT, status=OperationStatus.RETRYING,
                                      attempt_count=1, last_error_message="Partner Center is busy")
    ProvisioningAttemptFactory(operation=op, outcome=AttemptOutcome.TRANSIENT_ERROR, http_status=503,
                               correlation_id="corr-123")
    MCAAcceptanceFactory(customer=order.customer, tenant=order.tenant, signatory_email="signer@contoso.test")
    client.force_login(operator)
    page = client.get(reverse("backoffice:order_detail", args=[order.pk])).content.decode()
    for text in ("Microsoft 365 E3", "Check out cart", "Partner Center is busy", "corr-123", "signer@contoso.test",
                 reverse("backoffice:customer_detail", args=[order.customer_id]),
                 reverse("backoffice:subscription_detail", args=[sub.pk]), "pc-77"):
        assert text in page, text
    assert "Run now" in page  # a step waiting for a retry can be run at once
    assert "Cancel order" not in page and "already sent to Partner Center" in page


def test_retry_button_puts_a_failed_step_back_in_the_queue(client, operator):
    order = OrderFactory(status="failed")
    op = ProvisioningOperationFactory(order=order, kind=OperationKind.CREATE_CART, status=OperationStatus.FAILED,
                                      attempt_count=1, last_error_message="boom")
    client.force_login(operator)
    response = client.post(reverse("backoffice:order_operation_retry", args=[order.pk, op.pk]), follow=True)
    op.refresh_from_db()
    order.refresh_from_db()
    assert op.status != OperationStatus.FAILED and order.status != "failed"
    assert "queued again" in response.content.decode()
    assert AuditEvent.objects.filter(action="operation.retry", object_id=str(op.pk)).exists()


def test_cancel_before_purchase_from_the_order_page(client, operator):
    order = OrderFactory(status="failed")
    ProvisioningOperationFactory(order=order, kind=OperationKind.CREATE_CUSTOMER, status=OperationStatus.FAILED)
    checkout = ProvisioningOperationFactory(order=order, kind=OperationKind.CHECKOUT)
    client.force_login(operator)
    page = client.get(reverse("backoffice:order_detail", args=[order.pk])).content.decode()
    assert "Cancel order" in page
    response = client.post(reverse("backoffice:order_cancel", args=[order.pk]), {"reason": "Customer withdrew"},
                           follow=True)
    order.refresh_from_db()
    checkout.refresh_from_db()
    assert order.status == "cancelled" and checkout.status == OperationStatus.CANCELLED
    assert "cancelled before purchase" in response.content.decode()


def test_cancel_refused_once_the_checkout_was_sent(client, operator):
    order = OrderFactory(status="failed")
    ProvisioningOperationFactory(order=order, kind=OperationKind.CHECKOUT, status=OperationStatus.FAILED,
                                 attempt_count=1)
    client.force_login(operator)
    response = client.post(reverse("backoffice:order_cancel", args=[order.pk]), {"reason": "x"}, follow=True)
    order.refresh_from_db()
    assert order.status == "failed"
    assert "already sent to Partner Center" in response.content.decode()


@pytest.mark.parametrize("url_name", ["backoffice:order_list", "backoffice:order_detail"])
def test_staff_without_the_permission_get_404(client, url_name):
    order = OrderFactory()
    args = [order.pk] if url_name.endswith("detail") else []
    client.force_login(StaffUserFactory())
    assert client.get(reverse(url_name, args=args)).status_code == 404
    client.force_login(staff_with("bss.view_order"))
    assert client.get(reverse(url_name, args=args)).status_code == 200


def test_buttons_need_their_own_permissions(client):
    order = OrderFactory(status="failed")
    op = ProvisioningOperationFactory(order=order, status=OperationStatus.FAILED)
    client.force_login(staff_with("bss.view_order"))
    page = client.get(reverse("backoffice:order_detail", args=[order.pk])).content.decode()
    assert "Cancel order" not in page and "Retry" not in page
    assert client.post(reverse("backoffice:order_cancel", args=[order.pk]), {"reason": "x"}).status_code == 404
    retry = reverse("backoffice:order_operation_retry", args=[order.pk, op.pk])
    assert client.post(retry).status_code == 404
    order.refresh_from_db()
    assert order.status == "failed"


def test_export_keeps_the_filters(client, operator):
    failed = OrderFactory(status="failed", tenant__customer=CustomerFactory(company_name="=HYPERLINK(\"x\")"))
    OrderFactory(status="completed")
    client.force_login(operator)
    response = client.get(reverse("backoffice:order_list"), {"status": "failed", "format": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = body.strip().splitlines()
    assert len(rows) == 2 and str(failed.number) in rows[1]
    assert "'=HYPERLINK" in rows[1]
