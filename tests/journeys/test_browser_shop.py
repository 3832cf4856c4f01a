"""Items 6, 7 and 8 in a real browser, at desktop width and on a phone (390 x 844):

- 6: at the checkout's details step, country "XX" is refused beside the field and nothing reaches Partner Center;
- 7: the quantity field carries the SKU's min/max; 100,000 seats are refused with the reason (by the browser, and
  by the server when the page's own check is bypassed) before any order or operation exists;
- 8: a customer with an annual Business Basic adds the monthly plan to the cart; the annual plan again points to
  "Buy extra licences".

Debian's Chromium driven by Playwright against the live server (tests/storefront/test_browser.py)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from bss.choices import SubscriptionStatus
from bss.models import Customer, MicrosoftTenant, Order
from provisioning.models import ProvisioningOperation
from storefront.models import CartLine
from tests.factories.bss import MicrosoftTenantFactory, SubscriptionFactory
from tests.storefront.conftest import BUSINESS_BASIC
from tests.storefront.flow import NEW_CUSTOMER
from tests.storefront.test_browser import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"),
]

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(VIEWPORTS))
def page(request, browser_page):
    browser_page.set_viewport_size(VIEWPORTS[request.param])
    return browser_page


def signed_in(page, live_server, user) -> None:
    """The browser carries the session of a user signed in through Django (the sign-in pages have their own tests)."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])


def _offer(page, name: str):
    return page.locator("article.offer", has_text=name)


def test_country_xx_is_refused_beside_the_field_before_partner_center(
    transactional_db, live_server, page, pc_sim, publish, reseller_user
):
    publish(BUSINESS_BASIC)
    signed_in(page, live_server, reseller_user)
    page.goto(f"{live_server.url}/store/catalog/")
    _offer(page, "Microsoft 365 Business Basic").get_by_role("button", name="Add to cart").click()
    page.wait_for_selector(".messages li.success")

    page.goto(f"{live_server.url}/store/checkout/")
    page.check("input[value=new]")
    page.click("button:has-text('Continue')")
    page.wait_for_selector("input[name=company_name]")
    for name, value in {**NEW_CUSTOMER, "domain_prefix": "adventureworksxx", "country": "XX"}.items():
        page.fill(f"input[name={name}]", value)
    page.click("button:has-text('Continue')")

    field = page.locator(".field.has-error", has=page.locator("input[name=country]"))
    field.wait_for()
    assert "not a country code" in field.inner_text()
    assert page.input_value("input[name=company_name]") == NEW_CUSTOMER["company_name"]
    assert not Customer.objects.exists() and not MicrosoftTenant.objects.exists()
    assert pc_sim.control.requests(method="POST", path="/v1/customers*") == []


def test_100000_seats_are_refused_with_the_reason_before_any_operation(
    transactional_db, live_server, page, pc_sim, publish, reseller_user
):
    publish(BUSINESS_BASIC)
    signed_in(page, live_server, reseller_user)
    page.goto(f"{live_server.url}/store/catalog/")
    offer = _offer(page, "Microsoft 365 Business Basic")
    quantity = offer.locator("input[name=quantity]")
    assert quantity.get_attribute("min") == "1" and quantity.get_attribute("max") == "300"

    # The browser itself will not send it, and says why.
    quantity.fill("100000")
    offer.get_by_role("button", name="Add to cart").click()
    assert "300" in quantity.evaluate("input => input.validationMessage")
    assert not CartLine.objects.exists()

    # With the page's own check bypassed (an old page, a script), the server refuses with the reason.
    quantity.evaluate("input => { input.form.noValidate = true; }")
    offer.get_by_role("button", name="Add to cart").click()
    page.wait_for_selector("text=The maximum quantity is 300.")
    assert not CartLine.objects.exists()
    assert not Order.objects.exists() and not ProvisioningOperation.objects.exists()
    assert pc_sim.control.requests(method="POST", path="/v1/customers*") == []


@pytest.fixture
def customer_with_annual_basic(customer_user_factory, marketplace):
    user = customer_user_factory()
    tenant = MicrosoftTenantFactory(customer=user.customer, instance=marketplace.instance)
    SubscriptionFactory(tenant=tenant, customer=user.customer, pc_product_id=BUSINESS_BASIC, pc_sku_id="0001",
                        name="Microsoft 365 Business Basic", term_duration="P1Y", billing_cycle="annual",
                        status=SubscriptionStatus.ACTIVE, quantity=10)
    return user


def test_another_billing_cycle_goes_to_the_cart_and_the_same_plan_to_extra_licences(
    transactional_db, live_server, page, publish, customer_with_annual_basic
):
    publish(BUSINESS_BASIC)
    signed_in(page, live_server, customer_with_annual_basic)
    page.goto(f"{live_server.url}/store/catalog/")

    offer = _offer(page, "Microsoft 365 Business Basic")
    offer.locator("select[name=plan]").select_option("P1Y:annual")
    offer.get_by_role("button", name="Add to cart").click()
    page.wait_for_selector("text=Buy extra licences")
    assert "already has Microsoft 365 Business Basic" in page.inner_text(".messages")
    assert not CartLine.objects.exists()

    offer = _offer(page, "Microsoft 365 Business Basic")
    offer.locator("select[name=plan]").select_option("P1Y:monthly")
    offer.get_by_role("button", name="Add to cart").click()
    page.wait_for_selector(".messages li.success")
    assert "to your cart" in page.inner_text(".messages")
    page.goto(f"{live_server.url}/store/cart/")
    assert re.search(r"Business Basic", page.inner_text("main"))
    assert CartLine.objects.get().billing_cycle == "monthly"
