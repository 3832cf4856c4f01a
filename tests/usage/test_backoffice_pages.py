"""BSS Setup > Tools > Azure usage: the tool is listed, the month's usage per customer and the imports show, a
customer's usage page with chart and CSV, staff set budgets; staff without the permission get 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from bss.models import User
from reconciliation.usage.models import UsageBudget
from tests.factories.bss import CustomerFactory, StaffUserFactory
from tests.factories.usage import UsageImportFactory, UsageLineFactory

pytestmark = pytest.mark.django_db


def staff(*codenames: str) -> User:
    user = StaffUserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def customer():
    customer = CustomerFactory(company_name="Northwind Traders")
    imported = UsageImportFactory(month=6, instance=customer.marketplace.instance, import_id="unbilled-202506-USD")
    for day in (1, 2, 3):
        UsageLineFactory(usage_import=imported, customer=customer, usage_date=dt.date(2025, 6, day),
                         billing_total=Decimal("40.00"))
    return customer


def test_staff_see_usage_per_customer_and_imports(client, customer):
    client.force_login(staff("view_usageimport", "view_customer"))
    tools = client.get("/backoffice/setup/tools/")
    assert "/backoffice/usage/" in tools.content.decode()
    home = client.get("/backoffice/usage/?month=2025-06").content.decode()
    assert "Northwind Traders" in home and "120.00 USD" in home and "unbilled-202506-USD" in home

    page = client.get(f"/backoffice/usage/customers/{customer.pk}/?month=2025-06")
    html = page.content.decode()
    assert page.status_code == 200 and html.count('class="chart-bar"') == 3 and "120.00 USD" in html
    assert "data-usage-budget-form" not in html  # no permission to set budgets
    csv = client.get(f"/backoffice/usage/customers/{customer.pk}/export.csv?month=2025-06")
    assert len(csv.content.decode("utf-8-sig").strip().splitlines()) == 4


def test_staff_with_the_permission_set_budgets(client, customer):
    client.force_login(staff("view_usageimport", "change_usagebudget", "view_customer"))
    url = f"/backoffice/usage/customers/{customer.pk}/budgets/"
    bad = client.post(url, {"amount": "ten"})
    assert bad.status_code == 400 and "must be an amount" in bad.content.decode()
    assert client.post(url, {"amount": "500", "thresholds": "80"}).status_code == 302
    assert UsageBudget.objects.get(customer=customer).thresholds == [80]


def test_staff_without_the_permission_get_404(client, customer):
    client.force_login(staff("view_customer"))
    assert client.get("/backoffice/usage/").status_code == 404
    assert client.get(f"/backoffice/usage/customers/{customer.pk}/").status_code == 404
