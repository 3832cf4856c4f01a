"""Pages still work in a real browser under the Content-Security-Policy (Debian's Chromium driven by Playwright):
Swagger UI starts (its start-up script is inline, under the nonce), the branded tier-2 page gets its colours (a
nonced <style>), and Chromium reports no blocked script, style or image."""

from __future__ import annotations

from pathlib import Path

import pytest

from bss.choices import ResellerKind
from tests.factories.bss import MarketplaceFactory, ResellerFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"),
]


@pytest.fixture
def page(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.csp_violations = []
        page.on(
            "console",
            lambda message: "Content Security Policy" in message.text and page.csp_violations.append(message.text),
        )
        try:
            yield page
        finally:
            context.close()
            browser.close()


def test_swagger_ui_starts_and_shows_the_api_under_the_policy(page, live_server):
    page.goto(f"{live_server.url}/api/docs/")

    page.locator(".swagger-ui .info .title").filter(has_text="cspbss API").wait_for()
    page.locator(".opblock").first.wait_for()  # the operations were read from /api/schema/ and drawn

    assert page.csp_violations == []


def test_branded_marketplace_page_gets_its_colours_under_the_policy(page, live_server):
    tenant = ResellerFactory(kind=ResellerKind.TENANT, name="Alpine")
    MarketplaceFactory(owner=tenant, name="Alpine Cloud", slug="alpine", primary_color="#aa3311")

    page.goto(f"{live_server.url}/m/alpine/")

    brand = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()")
    assert brand == "#aa3311"
    assert page.csp_violations == []


def test_sign_in_page_loads_without_anything_blocked(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")

    page.locator("input[name=username]").wait_for()
    assert page.csp_violations == []
