"""Azure usage in a real browser: the simulator's seeded Azure plan (two Azure subscriptions with daily usage) is
imported the way the daily task does, then a reseller signs in, opens the customer's workspace, follows the link to
Azure usage and sees the chart by day (one bar per day with the day's spend), the table per Azure subscription and
meter category adding up to the month's total, filters on one Azure subscription, and sets a budget. Debian's
Chromium driven by Playwright against the live server (tests/storefront/test_browser.py)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db.models import Sum

from bss.models import AzureEntitlement, Subscription
from reconciliation.usage.models import UsageBudget
from reconciliation.usage.selectors import month_lines
from reconciliation.usage.services.imports import daily_requests
from tests.factories.bss import CustomerFactory, MicrosoftTenantFactory
from tests.storefront.test_browser import CHROMIUM
from tests.usage.conftest import import_until_done, sim_now

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"),
]


def test_reseller_sees_the_usage_chart_and_sets_a_budget(
    transactional_db, live_server, browser_page, pc_sim, marketplace, reseller, reseller_user
):
    seeded = pc_sim.control.seeded
    customer = CustomerFactory(reseller=reseller, marketplace=marketplace, company_name="Northwind Traders")
    tenant = MicrosoftTenantFactory(customer=customer, instance=marketplace.instance,
                                    pc_customer_id=seeded["customer_mca"],
                                    default_domain="northwindtraders.onmicrosoft.com")
    plan = Subscription.objects.create(customer=customer, tenant=tenant, pc_subscription_id=seeded["sub_azure_plan"],
                                       name="Microsoft Azure plan", quantity=1, status="active",
                                       billing_cycle="monthly", pc_product_id="DZH318Z0BPS6", pc_sku_id="0001")
    AzureEntitlement.objects.create(subscription=plan, pc_entitlement_id="seeded", friendly_name="Production")
    now = sim_now(pc_sim)
    for row in daily_requests(instance=marketplace.instance, now=now):
        import_until_done(row, now=now)
    last = now.replace(day=1) - dt.timedelta(days=1)
    lines = month_lines(last.year, last.month).filter(customer=customer)
    total = lines.aggregate(t=Sum("billing_total"))["t"]
    assert total and total > 0
    by_day = {r["usage_date"]: r["t"] for r in lines.values("usage_date").annotate(t=Sum("billing_total"))}
    page = browser_page

    page.goto(f"{live_server.url}/store/workspace/customers/{customer.pk}/")
    page.fill("input[name=username]", reseller_user.username)
    page.fill("input[name=password]", "correct-horse-battery-staple")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf".*/store/workspace/customers/{customer.pk}/$"))
    page.click("a[data-usage-link]")
    page.wait_for_url(re.compile(rf".*/store/workspace/usage/customers/{customer.pk}/$"))
    page.fill("input[name=month]", f"{last.year}-{last.month:02d}")
    page.click("[data-usage-filter] button[type=submit]")
    page.wait_for_url(re.compile(r".*month=.*"))

    chart = page.locator("[data-usage-chart] svg.chart")
    assert chart.is_visible()
    bars = chart.locator("rect.chart-bar")
    assert bars.count() == last.day
    shown = {dt.date.fromisoformat(bars.nth(i).get_attribute("data-day") or ""):
             Decimal(bars.nth(i).get_attribute("data-amount") or "0") for i in range(bars.count())}
    assert shown == by_day
    box = chart.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 100  # drawn, not collapsed
    assert f"{total:,.2f} USD" in page.locator("[data-usage-total]").inner_text()
    rows = page.locator("[data-usage-table] tbody tr")
    assert rows.count() >= 4  # two Azure subscriptions, several meter categories each
    cells = [rows.nth(i).locator("td").nth(3).inner_text().replace(",", "") for i in range(rows.count())]
    assert sum(Decimal(c) for c in cells) == total

    development = lines.filter(entitlement_name="Development").aggregate(t=Sum("billing_total"))["t"]
    page.select_option("[data-usage-filter] select[name=entitlement]", label="Development")
    page.click("[data-usage-filter] button[type=submit]")
    page.wait_for_url(re.compile(r".*entitlement=.*"))
    assert f"{development:,.2f} USD" in page.locator("[data-usage-total]").inner_text()

    form = page.locator("[data-usage-budget-form]")
    form.locator("input[name=amount]").fill("-10")
    form.locator("button[type=submit]").click()
    assert "more than zero" in page.locator("[data-form-error]").inner_text()
    form = page.locator("[data-usage-budget-form]")
    form.locator("input[name=amount]").fill("2500")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*/store/workspace/usage/customers/{customer.pk}/$"))
    assert "2,500.00 USD" in page.locator("[data-usage-budgets]").inner_text()
    assert UsageBudget.objects.get(customer=customer).amount == Decimal("2500.00")
