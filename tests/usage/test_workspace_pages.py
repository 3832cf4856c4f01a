"""The workspace's Azure usage page: month to date, forecast, chart by day, table per Azure subscription and meter
category, CSV export; the reseller sets budgets (bad input re-rendered with the message), the customer only sees
them; another reseller's customer is not found."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from reconciliation.usage.models import UsageBudget
from tests.factories.bss import CustomerFactory, CustomerUserFactory, ResellerUserFactory
from tests.factories.usage import UsageImportFactory, UsageLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    customer = CustomerFactory()
    imported = UsageImportFactory(month=6, instance=customer.marketplace.instance)
    for day in range(1, 11):
        UsageLineFactory(usage_import=imported, customer=customer, usage_date=dt.date(2025, 6, day),
                         entitlement_id="ent-prod", entitlement_name="Production", meter_category="Virtual Machines",
                         billing_total=Decimal("10.00"), quantity=Decimal(24))
        UsageLineFactory(usage_import=imported, customer=customer, usage_date=dt.date(2025, 6, day),
                         entitlement_id="ent-dev", entitlement_name="Development", meter_category="Storage",
                         billing_total=Decimal("2.50"), quantity=Decimal(100))
    return customer


def test_reseller_sees_usage_chart_table_and_forecast(client, customer):
    client.force_login(ResellerUserFactory(reseller=customer.reseller))
    page = client.get(f"/store/workspace/usage/customers/{customer.pk}/?month=2025-06")
    html = page.content.decode()

    assert page.status_code == 200
    assert "125.00 USD" in html  # 10 days x 12.50
    assert "375.00 USD" in html  # forecast: 125 + 12.50 x 20 days left
    assert html.count('class="chart-bar"') == 10
    assert "Production" in html and "Virtual Machines" in html and "100.00" in html
    assert "Development" in html and "Storage" in html and "25.00" in html
    assert "data-usage-budget-form" in html

    one = client.get(f"/store/workspace/usage/customers/{customer.pk}/?month=2025-06&entitlement=ent-dev")
    assert "25.00 USD" in one.content.decode() and "Virtual Machines" not in one.content.decode().split(
        "data-usage-table")[1]


def test_csv_export(client, customer):
    client.force_login(ResellerUserFactory(reseller=customer.reseller))
    response = client.get(f"/store/workspace/usage/customers/{customer.pk}/export.csv?month=2025-06")
    text = response.content.decode("utf-8-sig")
    rows = [line.split(",") for line in text.strip().splitlines()]
    assert response["Content-Type"].startswith("text/csv")
    assert rows[0][:4] == ["date", "azure_subscription_id", "azure_subscription", "meter_category"]
    assert len(rows) == 1 + 20
    assert rows[1][0] == "2025-06-01" and rows[1][5] in ("2.50", "10.00")


def test_budget_set_by_reseller_bad_input_rerendered(client, customer):
    client.force_login(ResellerUserFactory(reseller=customer.reseller))
    url = f"/store/workspace/usage/customers/{customer.pk}/budgets/"
    bad = client.post(url, {"amount": "-5", "thresholds": "50, 80"})
    assert bad.status_code == 400 and "more than zero" in bad.content.decode()
    good = client.post(url, {"amount": "300", "thresholds": "50, 80, 100", "forecast_alert": "1",
                             "spike_factor": "3", "spike_window_days": "7"})
    assert good.status_code == 302
    budget = UsageBudget.objects.get(customer=customer)
    assert budget.amount == Decimal("300.00") and budget.thresholds == [50, 80, 100]
    page = client.get(good["Location"] + "?month=2025-06")
    assert "300.00 USD" in page.content.decode()
    removed = client.post(f"{url}{budget.pk}/delete/")
    assert removed.status_code == 302 and not UsageBudget.objects.filter(customer=customer).exists()


def test_customer_sees_usage_but_sets_no_budget(client, customer):
    client.force_login(CustomerUserFactory(customer=customer))
    page = client.get(f"/store/workspace/usage/customers/{customer.pk}/?month=2025-06")
    assert page.status_code == 200 and "data-usage-budget-form" not in page.content.decode()
    refused = client.post(f"/store/workspace/usage/customers/{customer.pk}/budgets/", {"amount": "100"})
    assert refused.status_code == 400 and "set by your reseller" in refused.content.decode()
    assert not UsageBudget.objects.exists()


def test_another_resellers_customer_is_not_found(client, customer):
    client.force_login(ResellerUserFactory())
    assert client.get(f"/store/workspace/usage/customers/{customer.pk}/").status_code == 404
    assert client.get(f"/store/workspace/usage/customers/{customer.pk}/export.csv").status_code == 404
    assert client.post(f"/store/workspace/usage/customers/{customer.pk}/budgets/",
                       {"amount": "100"}).status_code == 404
