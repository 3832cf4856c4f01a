"""Staff follow an order in a real browser (Debian's Chromium driven by Playwright against the live server): order
list → order page → subscription page. Screenshots of the back office's pages at desktop width go to
$BACKOFFICE_SCREENSHOT_DIR when set (else the test's tmp dir)."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from bss.models import Order
from provisioning.choices import AttemptOutcome, OperationKind, OperationStatus
from tests.backoffice.conftest import staff_with
from tests.factories.bss import (
    LicenseLedgerEntryFactory,
    MCAAcceptanceFactory,
    OrderFactory,
    OrderLineFactory,
    SubscriptionFactory,
)
from tests.factories.catalog import ProductFactory
from tests.factories.provisioning import ProvisioningAttemptFactory, ProvisioningOperationFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"),
]


@pytest.fixture
def browser_context(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        context.set_default_timeout(20_000)
        try:
            yield context
        finally:
            context.close()
            browser.close()


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("BACKOFFICE_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)

    def shoot(page, name: str) -> None:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    return shoot


def _book():
    """A month of orders, a provisioned one with a retried checkout, subscriptions in two product families."""
    now = timezone.now()
    order = OrderFactory(status="completed", tenant__customer__company_name="Contoso Pharmaceuticals",
                         tenant__default_domain="contosopharma.onmicrosoft.com")
    line = OrderLineFactory(order=order, product_name="Microsoft 365 E3", pc_product_id="CFQ7TTC0LFLX",
                            quantity=25, unit_price=Decimal("36.0000"))
    sub = SubscriptionFactory(
        tenant=order.tenant, order_line=line, name="Microsoft 365 E3", pc_product_id="CFQ7TTC0LFLX", quantity=25,
        pc_order_id="8f3c9d2e-pc-order", effective_start_date=now - dt.timedelta(days=200),
        commitment_end_date=timezone.localdate() + dt.timedelta(days=165),
    )
    ProductFactory(instance=order.tenant.instance, product_id="CFQ7TTC0LFLX", family="Microsoft 365")
    ProductFactory(instance=order.tenant.instance, product_id="CFQ7TTC0D365", family="Dynamics 365")
    dyn_line = OrderLineFactory(order=order, product_name="Dynamics 365 Sales Enterprise", pc_product_id="CFQ7TTC0D365",
                                quantity=8, unit_price=Decimal("1140.0000"), billing_cycle="annual")
    SubscriptionFactory(tenant=order.tenant, order_line=dyn_line, name="Dynamics 365 Sales Enterprise",
                        pc_product_id="CFQ7TTC0D365", quantity=8, billing_cycle="annual",
                        effective_start_date=now - dt.timedelta(days=70))
    LicenseLedgerEntryFactory(subscription=sub, kind="purchase", quantity_before=0, quantity_after=20,
                              reason="order", unit_price=Decimal("36.0000"), currency="USD")
    LicenseLedgerEntryFactory(subscription=sub, quantity_before=20, quantity_after=25, reason="seat increase",
                              unit_price=Decimal("36.0000"), currency="USD")
    for sequence, kind in enumerate((OperationKind.CREATE_CART, OperationKind.CHECKOUT, OperationKind.AWAIT_ORDER,
                                     OperationKind.RECORD_SUBSCRIPTIONS)):
        op = ProvisioningOperationFactory(order=order, kind=kind, sequence=sequence, status=OperationStatus.SUCCEEDED,
                                          attempt_count=2 if kind == OperationKind.CHECKOUT else 1)
        if kind == OperationKind.CHECKOUT:
            ProvisioningAttemptFactory(operation=op, number=1, outcome=AttemptOutcome.TRANSIENT_ERROR,
                                       http_status=503, message="Service unavailable", correlation_id="c0ffee-01")
        ProvisioningAttemptFactory(operation=op, number=op.attempt_count, correlation_id=f"c0ffee-{sequence}2")
    MCAAcceptanceFactory(customer=order.customer, tenant=order.tenant, attested_at=now)
    for days in (1, 1, 2, 4, 4, 4, 7, 9, 12, 15, 15, 21, 26):
        other = OrderFactory(status="failed" if days == 4 else "completed")
        Order.objects.filter(pk=other.pk).update(created_at=now - dt.timedelta(days=days))
    return order, sub


def test_staff_follow_an_order_to_its_subscription(transactional_db, live_server, browser_context, shots):
    order, sub = _book()
    staff = staff_with("bss.view_order", "bss.change_order", "bss.view_subscription", "bss.view_customer",
                       "bss.change_customer", "bss.view_mcaacceptance", "provisioning.view_provisioningoperation",
                       "provisioning.change_provisioningoperation")
    client = Client()
    client.force_login(staff)
    browser_context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                                  "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                                  "url": live_server.url}])
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    url = live_server.url

    page.goto(f"{url}/backoffice/")
    assert page.locator("svg.chart").count() == 3
    shots(page, "01-dashboard")

    page.click("header nav >> text=Orders")
    page.fill("input[name=q]", str(order.number)[:8])
    page.click("form.filters button[type=submit]")
    assert page.locator("table.list tbody tr").count() == 1
    shots(page, "02-order-list")
    page.click(f"table.list >> text={str(order.number)[:8]}")
    page.wait_for_selector("h1:has-text('Order')")
    content = page.content()
    assert "Check out cart" in content and "Service unavailable" in content and "Contoso Pharmaceuticals" in content
    shots(page, "03-order-page")

    page.click("text=Microsoft 365 E3 >> nth=-1")
    page.wait_for_selector("h1:has-text('Microsoft 365 E3')")
    assert page.url.endswith(f"/backoffice/subscriptions/{sub.pk}/")
    content = page.content()
    assert "8f3c9d2e-pc-order" in content and "20 → 25" in content and "Microsoft 365" in content
    shots(page, "04-subscription-page")

    page.click("header nav >> text=Subscriptions")
    page.select_option("select[name=family]", "Dynamics 365")
    page.click("form.filters button[type=submit]")
    assert page.locator("table.list tbody tr").count() == 1
    shots(page, "05-subscription-list")

    page.goto(f"{url}/backoffice/customers/{order.customer_id}/")
    shots(page, "06-customer-page")
    page.click("text=Edit profile")
    page.fill("input[name=country]", "ZZ")
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=ISO 3166 two-letter country code")
    shots(page, "07-customer-edit")
    assert not [e for e in errors if "Content Security Policy" in e], errors
