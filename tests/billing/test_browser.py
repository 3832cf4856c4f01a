"""A customer signs in with a real browser (Debian's Chromium driven by Playwright) against the live Django server,
opens its invoices and downloads one as PDF; the PDF reads the invoice's total and VAT ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.billing.doors import CUSTOMER_VAT_ID, estate
from tests.factories.bss import CustomerUserFactory

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
def browser_page(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API keeps an event loop here
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def test_a_customer_downloads_its_invoice_as_pdf(transactional_db, live_server, browser_page, tmp_path):
    world = estate()
    user = CustomerUserFactory(customer=world.customer)
    page = browser_page

    # Sign in through the real login page, then follow the storefront's Invoices link
    page.goto(f"{live_server.url}/store/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "correct-horse-battery-staple")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/store/.*"))
    page.click("header nav >> text=Invoices")
    page.wait_for_url(re.compile(r".*/store/invoices/$"))
    listing = page.content()
    assert world.invoice.number in listing and world.other_invoice.number not in listing

    # The invoice, then its PDF
    page.click(f"text={world.invoice.number}")
    page.wait_for_selector("text=total 120.96 EUR")
    with page.expect_download() as download_info:
        page.click("text=Download PDF")
    download = download_info.value
    target = tmp_path / download.suggested_filename
    download.save_as(str(target))

    assert download.suggested_filename == f"{world.invoice.number}.pdf"
    text = "".join(p.extract_text() for p in PdfReader(str(target)).pages)
    assert "120.96" in text and world.invoice.number in text
    assert CUSTOMER_VAT_ID in text and world.issuer.vat_id in text
