"""Microsoft's bill in a real browser, desktop and phone: staff open BSS Setup > Tools > Microsoft invoices, open
the reconciliation of the invoice with a charge nobody invoiced, drill down reseller → customer → subscription →
line, and accept the line with a reason (first without one: the page says a reason is needed). On a phone the pages
fit the screen (tables scroll inside their box).

Debian's Chromium driven by Playwright against the live server; Microsoft's side is the simulator's bill, imported
and matched with our invoices (tests/money/test_pages.py sets it up)."""

from __future__ import annotations

import pytest

from reconciliation.money.choices import Resolution
from reconciliation.money.models import ChargeMatch
from tests.backoffice.conftest import staff_with
from tests.journeys.test_browser_cloud_connections import signed_in
from tests.journeys.test_phone import PHONE, fits
from tests.money.conftest import books  # noqa: F401  (fixture)
from tests.money.test_pages import SETTLE, Reconciled
from tests.money.test_pages import reconciled as reconciled_fixture
from tests.reconciliation.conftest import estate, instance, sim  # noqa: F401  (fixtures)
from tests.storefront.test_browser import CHROMIUM, shots  # noqa: F401  (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"),
]

reconciled = reconciled_fixture


def _drill_to_the_leak_and_accept_it(page, live_server, data: Reconciled, check=lambda name: None) -> None:
    page.goto(f"{live_server.url}/backoffice/setup/tools/")
    page.get_by_role("link", name="Microsoft invoices and margin reconciliation").click()
    check("home")
    page.get_by_role("link", name=data.invoice.invoice_id).click()
    page.wait_for_selector("#money-totals")
    assert page.locator('[data-total="leakage"]').inner_text() == str(data.leak.difference)
    check("invoice")

    customer = data.books.customer
    page.locator("#money-drill").get_by_role("link", name=customer.reseller.name).click()
    page.locator("#money-drill").get_by_role("link", name=customer.company_name).click()
    check("customer")
    page.locator("#money-drill tr", has_text=data.leak.pc_subscription_id).get_by_role("link").click()
    line = page.locator(f"#line-{data.leak.pk}")
    assert "Microsoft charged, we did not invoice" in line.inner_text()
    assert page.locator("#money-drill").count() == 0  # the subscription's lines, no further level
    check("subscription")

    line.get_by_role("button", name="Accept").click()
    assert "Say why the difference is accepted." in page.locator(".messages").inner_text()
    page.locator(f"#line-{data.leak.pk}").get_by_placeholder("Why accept it?").fill("Promised free month, approved")
    page.locator(f"#line-{data.leak.pk}").get_by_role("button", name="Accept").click()
    assert "accepted" in page.locator(".messages").inner_text()
    assert "Accepted" in page.locator(f"#line-{data.leak.pk}").inner_text()
    check("accepted")


def test_staff_drill_to_a_leaking_line_and_accept_it(
    transactional_db, live_server, browser_page, reconciled
):
    user = staff_with(*SETTLE)
    signed_in(browser_page, live_server, user)

    _drill_to_the_leak_and_accept_it(browser_page, live_server, reconciled)

    leak = ChargeMatch.objects.get(pk=reconciled.leak.pk)
    assert (leak.resolution, leak.reason, leak.resolved_by) == (
        Resolution.ACCEPTED, "Promised free month, approved", user)


def test_the_reconciliation_fits_a_phone(
    transactional_db, live_server, browser_page, shots, reconciled  # noqa: F811
):
    signed_in(browser_page, live_server, staff_with(*SETTLE))
    browser_page.set_viewport_size(PHONE)
    problems: list[str] = []

    _drill_to_the_leak_and_accept_it(browser_page, live_server, reconciled,
                                     check=lambda name: fits(browser_page, f"money-{name}", shots, problems))
    browser_page.goto(f"{live_server.url}/backoffice/money/unbilled/")
    fits(browser_page, "money-unbilled", shots, problems)

    assert problems == []
