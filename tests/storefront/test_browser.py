"""A reseller places a new-customer order in a real browser (Debian's Chromium driven by Playwright) against the
live Django server, which provisions it through the Partner Center simulator; the order page shows it completed.

Screenshots of every page go to $STOREFRONT_SCREENSHOT_DIR when set (else the test's tmp dir)."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from kombu import pools as kombu_pools

from bss.models import Order, Subscription
from config.celery import app as celery_app
from provisioning.services import sweep as provisioning_services
from tests.storefront.conftest import BUSINESS_BASIC, BUSINESS_STANDARD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"),
]


@pytest.fixture(autouse=True)
def _fresh_celery_pools():
    """The live server's threads publish (eagerly) through Celery's producer pool; a test that pointed the app at a
    real broker and closed its pools (the real-worker tests) must not leave a closed pool behind for them."""
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def browser_page(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("STOREFRONT_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)

    def shoot(page, name: str) -> None:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    return shoot


def test_reseller_places_a_new_customer_order_and_sees_it_completed(
    transactional_db, live_server, browser_page, shots, pc_sim, publish, reseller_user
):
    publish(BUSINESS_BASIC)
    publish(BUSINESS_STANDARD)
    publish("SIM0D365SALE")
    page = browser_page
    url = live_server.url

    # Sign in through the real login page
    page.goto(f"{url}/store/catalog/")
    page.fill("input[name=username]", reseller_user.username)
    page.fill("input[name=password]", "correct-horse-battery-staple")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/store/catalog/$"))

    # Catalog: filter, then add Business Basic (1 year, billed monthly) x 5 and Business Standard x 2
    page.select_option("select[name=family]", "Microsoft 365")
    page.click(".filters button[type=submit]")
    shots(page, "01-catalog")
    basic = page.locator("article.offer", has_text="Microsoft 365 Business Basic")
    basic.locator("select[name=plan]").select_option("P1Y:monthly")
    basic.locator("input[name=quantity]").fill("5")
    basic.get_by_role("button", name="Add to cart").click()
    page.wait_for_selector(".messages li.success")
    standard = page.locator("article.offer", has_text="Microsoft 365 Business Standard")
    standard.locator("input[name=quantity]").fill("2")
    standard.get_by_role("button", name="Add to cart").click()
    page.wait_for_selector("text=to your cart (now 2)")

    # Cart: change a quantity, see totals, check out
    page.click("header nav >> text=Cart")
    row = page.locator("tr", has_text="Business Basic")
    row.locator("input[name=quantity]").fill("6")
    row.get_by_role("button", name="Update").click()
    page.wait_for_selector("text=Quantity updated.")
    assert "Total of the first invoice" in page.content()
    shots(page, "02-cart")
    page.click("text=Checkout")

    # Wizard: a new customer, with its details and a live domain check
    page.check("input[value=new]")
    page.click("button:has-text('Continue')")
    page.fill("input[name=company_name]", "Adventure Works Cycles")
    page.fill("input[name=domain_prefix]", "adventureworksweb")
    page.wait_for_selector("#domain-check-result.ok")
    assert "adventureworksweb.onmicrosoft.com is available." in page.inner_text("#domain-check-result")
    page.fill("input[name=contact_first_name]", "Ana")
    page.fill("input[name=contact_last_name]", "Ruiz")
    page.fill("input[name=contact_email]", "ana.ruiz@adventure-works.test")
    page.fill("input[name=contact_phone]", "+1 206 555 0133")
    page.fill("input[name=address_line1]", "1 Microsoft Way")
    page.fill("input[name=city]", "Redmond")
    page.fill("input[name=postal_code]", "98052")
    page.fill("input[name=country]", "US")
    shots(page, "03-details")
    page.click("button:has-text('Continue')")
    # The state was left empty: a plain message, and everything typed is still there
    page.wait_for_selector("text=A state or province is required for addresses in US.")
    assert page.input_value("input[name=company_name]") == "Adventure Works Cycles"
    shots(page, "04-details-error")
    page.fill("input[name=state]", "WA")
    page.click("button:has-text('Continue')")

    # MCA: the reseller confirms the customer's acceptance (prefilled from the contact)
    page.wait_for_selector("text=Microsoft Customer Agreement")
    assert page.input_value("input[name=signatory_email]") == "ana.ruiz@adventure-works.test"
    page.check("input[name=accept]")
    shots(page, "05-mca")
    page.click("button:has-text('Continue')")

    # Review and place
    page.wait_for_selector("text=Review and place the order")
    assert "adventureworksweb.onmicrosoft.com" in page.content()
    shots(page, "06-review")
    page.click("button:has-text('Place order')")
    page.wait_for_url(re.compile(r".*/store/orders/\d+/$"))
    page.wait_for_selector("text=Thank you: your order has been placed.")
    assert "Initial administrator of the new tenant" in page.content()
    shots(page, "07-order-placed")

    # Time passes: the simulator finishes the order and the periodic sweep records the subscriptions;
    # the page (polling its status endpoint) shows it completed without a reload.
    order = Order.objects.get()
    for _ in range(6):
        order.refresh_from_db()
        if order.status == "completed":
            break
        pc_sim.control.advance(minutes=30)
        provisioning_services.operations_enqueue_due(now=timezone.now() + timedelta(hours=2))
    page.wait_for_selector("[data-status-badge].completed", timeout=20_000)
    shots(page, "08-order-completed")
    assert order.status == "completed", order.failure_reason
    subs = Subscription.objects.filter(customer=order.customer)
    assert sorted((s.name, s.quantity, s.status) for s in subs) == [
        ("Microsoft 365 Business Basic", 6, "active"),
        ("Microsoft 365 Business Standard", 2, "active"),
    ]
    assert all(s.pc_subscription_id for s in subs)

    # A reload shows the completed order and its Partner Center subscription ids; the credentials are gone
    page.reload()
    page.wait_for_selector(".panel.done")
    assert "Initial administrator" not in page.content()
    assert all(s.pc_subscription_id in page.content() for s in subs)
    shots(page, "09-order-reloaded")
    page.click("header nav >> text=Orders")
    page.wait_for_selector("td >> text=Adventure Works Cycles")
    shots(page, "10-order-history")


def test_existing_tenant_order_shows_the_relationship_link_and_completes_after_check_now(
    transactional_db, live_server, browser_page, shots, pc_sim, publish, reseller_user
):
    publish(BUSINESS_BASIC)
    pc_sim.control.create_tenant(domain="adatum.onmicrosoft.com", company_name="Adatum")
    page = browser_page
    page.goto(f"{live_server.url}/store/catalog/")
    page.fill("input[name=username]", reseller_user.username)
    page.fill("input[name=password]", "correct-horse-battery-staple")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/store/catalog/$"))

    offer = page.locator("article.offer", has_text="Microsoft 365 Business Basic")
    offer.locator("input[name=quantity]").fill("4")
    offer.get_by_role("button", name="Add to cart").click()
    page.wait_for_selector(".messages li.success")
    page.goto(f"{live_server.url}/store/checkout/")
    page.check("input[value=existing_tenant]")
    page.click("button:has-text('Continue')")
    for name, value in {
        "domain_or_tenant_id": "adatum.onmicrosoft.com", "company_name": "Adatum Corporation",
        "contact_first_name": "Alex", "contact_last_name": "Wilber", "contact_email": "alex@adatum.test",
        "address_line1": "2 Main Street", "city": "Seattle", "state": "WA", "postal_code": "98101", "country": "US",
    }.items():
        page.fill(f"input[name={name}]", value)
    shots(page, "11-existing-tenant-details")
    page.click("button:has-text('Continue')")
    page.check("input[name=accept]")
    page.click("button:has-text('Continue')")
    page.click("button:has-text('Place order')")
    page.wait_for_url(re.compile(r".*/store/orders/\d+/$"))

    # The order waits with the link and the instructions; "Check now" before acceptance says so plainly
    page.wait_for_selector("text=Waiting for the customer to accept the reseller relationship")
    link = page.inner_text(".panel.waiting .copy-box")
    assert link.startswith("https://admin.microsoft.com/") and "ResellerRelationship" in link
    shots(page, "12-awaiting-relationship")
    page.click("button:has-text('Check now')")
    page.wait_for_selector("text=does not show the relationship yet")

    # The tenant's admin accepts; "Check now" finds it and provisioning continues until completed
    pc_sim.control.accept_relationship(pc_sim.partners.direct.tenant_id, domain="adatum.onmicrosoft.com")
    page.click("button:has-text('Check now')")
    page.wait_for_selector("text=The relationship has been accepted")
    order = Order.objects.get()
    for _ in range(6):
        order.refresh_from_db()
        if order.status == "completed":
            break
        pc_sim.control.advance(minutes=30)
        provisioning_services.operations_enqueue_due(now=timezone.now() + timedelta(hours=2))
    page.wait_for_selector("[data-status-badge].completed", timeout=20_000)
    shots(page, "13-existing-tenant-completed")
    assert order.status == "completed", order.failure_reason
