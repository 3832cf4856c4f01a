"""Budget alerts on Azure usage: each threshold e-mailed once per month to the customer's and the reseller's
contacts (the database refuses a second), the forecast alert, the daily spike, an Azure subscription's own
budget, and who may set a budget (staff and the reseller, not the customer; bad input refused)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError

from bss.exceptions import ApplicationError
from reconciliation.usage.choices import AlertKind
from reconciliation.usage.models import UsageAlert
from reconciliation.usage.services.alerts import alerts_check, budget_check
from reconciliation.usage.services.budgets import budget_set
from tests.factories.bss import CustomerFactory, CustomerUserFactory, ResellerUserFactory, StaffUserFactory
from tests.factories.usage import UsageBudgetFactory, UsageImportFactory, UsageLineFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 6, 20, 6, tzinfo=dt.UTC)


def spend(customer, amounts: dict[int, str], *, month: int = 6, entitlement: str = "ent-a", usage_import=None):
    """Usage of the customer on the given days of the month (one line per day)."""
    usage_import = usage_import or UsageImportFactory(month=month, instance=customer.marketplace.instance)
    for day, amount in amounts.items():
        UsageLineFactory(usage_import=usage_import, customer=customer, usage_date=dt.date(2025, month, day),
                         entitlement_id=entitlement, billing_total=Decimal(amount))
    return usage_import


def keys(budget) -> list[str]:
    return sorted(UsageAlert.objects.filter(budget=budget).values_list("key", flat=True))


def test_each_threshold_is_emailed_once_per_month_to_customer_and_reseller_contacts():
    customer = CustomerFactory(contact_email="it@northwind.example")
    customer.reseller.email = "billing@reseller.example"
    customer.reseller.save()
    admin = ResellerUserFactory(reseller=customer.reseller, is_reseller_admin=True, email="admin@reseller.example")
    budget = UsageBudgetFactory(customer=customer, amount=Decimal("100.00"), forecast_alert=False, spike_factor=None)
    imported = spend(customer, {1: "30.00", 2: "25.00"})

    sent = budget_check(budget, year=2025, month=6)
    assert [a.key for a in sent] == ["50"]
    assert len(mail.outbox) == 1
    assert "50 %" in mail.outbox[0].subject
    assert set(mail.outbox[0].to) == {"it@northwind.example", "billing@reseller.example", admin.email}

    assert budget_check(budget, year=2025, month=6) == []  # the same month again: nothing new
    assert len(mail.outbox) == 1

    spend(customer, {3: "26.00"}, usage_import=imported)  # 81.00
    assert [a.key for a in budget_check(budget, year=2025, month=6)] == ["80"]
    spend(customer, {4: "19.00"}, usage_import=imported)  # 100.00: the 100 % threshold is reached at equality
    assert [a.key for a in budget_check(budget, year=2025, month=6)] == ["100"]
    assert keys(budget) == ["100", "50", "80"] and len(mail.outbox) == 3

    spend(customer, {1: "60.00"}, month=7)  # a new month: the thresholds count again
    assert [a.key for a in budget_check(budget, year=2025, month=7)] == ["50"]


def test_the_database_refuses_a_second_alert_for_the_same_threshold_and_month():
    budget = UsageBudgetFactory()
    UsageAlert.objects.create(budget=budget, year=2025, month=6, kind=AlertKind.THRESHOLD, key="80",
                              spend=Decimal(80))
    with pytest.raises(IntegrityError):
        UsageAlert.objects.create(budget=budget, year=2025, month=6, kind=AlertKind.THRESHOLD, key="80",
                                  spend=Decimal(81))


def test_forecast_over_budget_alerts_before_the_budget_is_spent():
    customer = CustomerFactory()
    budget = UsageBudgetFactory(customer=customer, amount=Decimal("300.00"), thresholds=[100], spike_factor=None)
    spend(customer, dict.fromkeys(range(1, 11), "10.00"))  # 100.00 in 10 days: forecast exactly 300.00

    assert budget_check(budget, year=2025, month=6) == []  # forecast 300.00 is not over 300.00
    spend(customer, {11: "12.00"})
    sent = budget_check(budget, year=2025, month=6)
    assert [(a.kind, a.key) for a in sent] == [(AlertKind.FORECAST, "forecast")]
    assert sent[0].forecast is not None and sent[0].forecast > Decimal(300)
    assert "forecast" in mail.outbox[-1].subject
    assert budget_check(budget, year=2025, month=6) == []


def test_a_daily_spike_alerts_once_for_that_day():
    customer = CustomerFactory()
    budget = UsageBudgetFactory(customer=customer, amount=Decimal("100000"), forecast_alert=False,
                                spike_factor=Decimal(3), spike_window_days=7)
    spend(customer, {1: "10.00", 2: "11.00", 3: "9.00", 4: "10.00", 5: "30.00"})  # 30 = 3 x 10: not above
    assert budget_check(budget, year=2025, month=6) == []
    spend(customer, {6: "45.00"})
    sent = budget_check(budget, year=2025, month=6)
    assert [(a.kind, a.key) for a in sent] == [(AlertKind.SPIKE, "spike:2025-06-06")]
    assert "spiked on 2025-06-06" in mail.outbox[-1].subject
    assert budget_check(budget, year=2025, month=6) == []


def test_an_azure_subscription_budget_counts_only_that_subscription():
    customer = CustomerFactory()
    imported = spend(customer, {1: "90.00"}, entitlement="ent-a")
    spend(customer, {1: "90.00"}, entitlement="ent-b", usage_import=imported)
    whole = UsageBudgetFactory(customer=customer, amount=Decimal("200"), thresholds=[50, 80],
                               forecast_alert=False, spike_factor=None)
    one = UsageBudgetFactory(customer=customer, entitlement_id="ent-b", amount=Decimal("200"), thresholds=[50, 80],
                             forecast_alert=False, spike_factor=None)
    alerts_check(now=NOW)
    assert keys(whole) == ["50", "80"]
    assert keys(one) == []


def test_staff_and_the_reseller_set_budgets_the_customer_may_not():
    customer = CustomerFactory()
    reseller_user = ResellerUserFactory(reseller=customer.reseller)
    budget = budget_set(user=reseller_user, customer_id=customer.pk, amount="1500", thresholds="50, 90")
    assert budget.amount == Decimal("1500.00") and budget.thresholds == [50, 90]
    assert budget.currency == customer.marketplace.currency

    staff = StaffUserFactory(is_superuser=True)
    changed = budget_set(user=staff, customer_id=customer.pk, amount=Decimal(2000))
    assert changed.pk == budget.pk and changed.thresholds == [50, 80, 100]

    with pytest.raises(ApplicationError, match="reseller"):
        budget_set(user=CustomerUserFactory(customer=customer), customer_id=customer.pk, amount="10")
    for amount, thresholds in (("-1", "50"), ("abc", "50"), ("10", "0"), ("10", "")):
        with pytest.raises(ApplicationError):
            budget_set(user=reseller_user, customer_id=customer.pk, amount=amount, thresholds=thresholds)
    other = ResellerUserFactory()
    with pytest.raises(Exception, match="not found"):
        budget_set(user=other, customer_id=customer.pk, amount="10")
