"""Items 9 and 10 in a real browser: a signed-in reseller user visiting /admin/ gets one answer (no redirect loop:
the navigations are counted); the favicon loads (no 404 in the page's network log); the reseller admin finds and
follows the "API keys" link; the tenant reseller's price-list page shows its /m/<slug>/ address.

Debian's Chromium driven by Playwright against the live server (tests/storefront/test_browser.py); storefront pages
at desktop width and on a phone (390 x 844)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from bss.choices import ResellerKind
from tests.factories.bss import (
    MarketplaceFactory,
    PartnerCenterInstanceFactory,
    ProviderFactory,
    ResellerFactory,
    ResellerUserFactory,
)
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


def network_log(page) -> list[tuple[int, str, bool]]:
    """(status, url, is a navigation) of every response the page receives from now on."""
    log: list[tuple[int, str, bool]] = []
    page.on("response", lambda r: log.append((r.status, r.url, r.request.is_navigation_request())))
    return log


@pytest.fixture
def tenant_reseller(transactional_db):
    reseller = ResellerFactory(name="Alpine", kind=ResellerKind.TENANT, parent=ProviderFactory())
    MarketplaceFactory(owner=reseller, name="Alpine Cloud", slug="alpine", instance=PartnerCenterInstanceFactory(),
                       market="US", currency="USD")
    return reseller


def test_admin_gives_a_signed_in_reseller_user_one_answer(transactional_db, live_server, browser_page):
    signed_in(browser_page, live_server, ResellerUserFactory())
    log = network_log(browser_page)

    response = browser_page.goto(f"{live_server.url}/admin/")

    navigations = [(status, url) for status, url, navigation in log if navigation]
    assert response.status == 404
    assert len(navigations) <= 3, navigations
    assert len({url for _status, url in navigations}) == len(navigations), f"redirect loop: {navigations}"


def test_the_favicon_loads_and_the_reseller_admin_follows_the_api_keys_link(transactional_db, live_server, page):
    signed_in(page, live_server, ResellerUserFactory(is_reseller_admin=True))
    log = network_log(page)

    page.goto(f"{live_server.url}/store/catalog/")
    page.wait_for_load_state("load")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.evaluate("href => fetch(href).then(r => r.status)", icon) == 200
    assert page.evaluate("() => fetch('/favicon.ico').then(r => r.status)") == 200
    assert [(status, url) for status, url, _ in log if status >= 400] == []

    link = page.get_by_role("link", name="API keys")
    if not link.is_visible():  # a phone folds the navigation behind its menu button
        page.locator("header").get_by_role("button").first.click()
    link.click()
    page.wait_for_url("**/store/api-keys/")
    assert page.locator("h1").inner_text() == "API keys"


def test_the_tenant_resellers_price_list_shows_its_marketplace_address(
    transactional_db, live_server, page, tenant_reseller
):
    signed_in(page, live_server, ResellerUserFactory(reseller=tenant_reseller, is_reseller_admin=True))

    page.goto(f"{live_server.url}/store/reseller/price-list/")

    address = page.locator(".marketplace-address a")
    assert address.inner_text() == f"{live_server.url}/m/alpine/"
    assert address.get_attribute("href") == "/m/alpine/"
    assert page.goto(f"{live_server.url}/m/alpine/").status < 400
