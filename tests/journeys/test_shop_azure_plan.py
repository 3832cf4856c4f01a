"""An Azure plan published in the back office is sold pay-as-you-go: listed in the storefront with "billed by usage"
where a price would be, orderable once with no term (quantity fixed at 1), and listed in the API catalog.

The storefront half in a real browser (Debian's Chromium, Playwright, live server); the API half and the core's
refusal of a second licence with the test client / service (a browser adds nothing there)."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from api.keys import api_key_create
from bss.exceptions import ApplicationError
from storefront import services as shop_services
from storefront.models import CartLine
from tests.factories.bss import ResellerUserFactory, reseller_of
from tests.storefront.test_browser import CHROMIUM

AZURE_PLAN = "DZH318Z0BPS6"


@pytest.mark.django_db
def test_the_api_catalog_lists_the_azure_plan_as_billed_by_usage(marketplace, publish):
    publish(AZURE_PLAN)
    admin = ResellerUserFactory(is_reseller_admin=True, reseller__parent=marketplace.owner)
    _key, secret = api_key_create(actor=admin, reseller=reseller_of(admin), name="integration")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")

    offers = api.get("/api/v1/catalog/offers/").json()["offers"]

    azure = next(o for o in offers if o["product_id"] == AZURE_PLAN)
    assert azure["usage_based"] is True
    assert [(p["term_duration"], p["billing_cycle"]) for p in azure["prices"]] == [("", "monthly")]


@pytest.mark.django_db
def test_a_second_azure_plan_licence_is_refused_in_the_cart(marketplace, publish, reseller_user):
    offer = publish(AZURE_PLAN)
    shop_services.cart_add_line(user=reseller_user, marketplace=marketplace, offer_id=offer.pk, term_duration="",
                                billing_cycle="monthly", quantity=1)

    with pytest.raises(ApplicationError) as refused:
        shop_services.cart_add_line(user=reseller_user, marketplace=marketplace, offer_id=offer.pk,
                                    term_duration="", billing_cycle="monthly", quantity=1)

    assert "maximum quantity is 1" in refused.value.message
    assert CartLine.objects.get().quantity == 1


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium")
def test_a_reseller_finds_the_azure_plan_billed_by_usage_and_puts_it_in_the_cart(
    transactional_db, live_server, browser_page, pc_sim, publish, reseller_user
):
    publish(AZURE_PLAN)
    page = browser_page
    page.goto(f"{live_server.url}/store/catalog/")
    page.fill("input[name=username]", reseller_user.username)
    page.fill("input[name=password]", "correct-horse-battery-staple")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/store/catalog/$"))

    azure = page.locator("article.offer", has_text="Microsoft Azure plan")
    assert "Billed by usage" in azure.inner_text()
    quantity = azure.locator("input[name=quantity]")
    assert quantity.get_attribute("min") == "1" and quantity.get_attribute("max") == "1"
    assert "billed by usage" in azure.locator("select[name=plan]").inner_text()
    azure.get_by_role("button", name="Add to cart").click()
    page.wait_for_selector(".messages li.success")

    page.click("header nav >> text=Cart")
    row = page.locator("tr", has_text="Microsoft Azure plan")
    assert "billed by usage" in row.inner_text()
    assert "No term" in row.inner_text()
