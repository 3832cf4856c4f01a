"""Factories for Azure usage: an imported usage export, one of its daily lines, a budget and an alert it sent,
a pricing rule and a billed usage charge."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from reconciliation.usage.choices import AlertKind, UsageImportKind, UsageImportStatus
from reconciliation.usage.models import UsageAlert, UsageBudget, UsageCharge, UsageImport, UsageLine, UsagePricing
from tests.factories.base import ModelFactory
from tests.factories.bss import CustomerFactory, PartnerCenterInstanceFactory


class UsageImportFactory(ModelFactory[UsageImport]):
    """An imported unbilled usage export of June 2025 (generation 1)."""

    class Meta:
        model = UsageImport

    instance = factory.SubFactory(PartnerCenterInstanceFactory)
    import_id = factory.Sequence(lambda n: f"unbilled-2025{n % 12 + 1:02d}-USD-{n}")
    kind = UsageImportKind.UNBILLED
    year = 2025
    month = 6
    currency = "USD"
    status = UsageImportStatus.IMPORTED
    generation = 1


class UsageLineFactory(ModelFactory[UsageLine]):
    """24 hours of a D2s v5 virtual machine on 3 June 2025 (15 % PEC)."""

    class Meta:
        model = UsageLine

    usage_import = factory.SubFactory(UsageImportFactory)
    generation = factory.SelfAttribute("usage_import.generation")
    instance = factory.SelfAttribute("usage_import.instance")
    year = factory.SelfAttribute("usage_import.year")
    month = factory.SelfAttribute("usage_import.month")
    usage_date = factory.LazyAttribute(lambda o: dt.date(o.year, o.month, 3))
    customer_tenant_id = "11111111-1111-4111-8111-111111111111"
    pc_subscription_id = "22222222-2222-4222-8222-222222222222"
    entitlement_id = "33333333-3333-4333-8333-333333333333"
    entitlement_name = "Production"
    meter_id = "2e2dbb6e-6fa7-4c3a-9b8d-2d5b2f1a0001"
    meter_name = "D2s v5"
    meter_category = "Virtual Machines"
    meter_region = "US East"
    unit = "1 Hour"
    quantity = Decimal("24")
    unit_price = Decimal("0.096")
    effective_unit_price = Decimal("0.0816")
    pricing_total = Decimal("1.95")
    billing_total = Decimal("1.95")
    currency = "USD"
    pricing_currency = "USD"
    exchange_rate = Decimal(1)
    pec_percent = Decimal(15)


class UsageBudgetFactory(ModelFactory[UsageBudget]):
    class Meta:
        model = UsageBudget

    customer = factory.SubFactory(CustomerFactory)
    amount = Decimal("1000.00")
    currency = "USD"
    thresholds = factory.LazyFunction(lambda: [50, 80, 100])


class UsageAlertFactory(ModelFactory[UsageAlert]):
    class Meta:
        model = UsageAlert

    budget = factory.SubFactory(UsageBudgetFactory)
    year = 2025
    month = 6
    kind = AlertKind.THRESHOLD
    key = "50"
    spend = Decimal("500.00")


class UsagePricingFactory(ModelFactory[UsagePricing]):
    """A customer's 10 % markup on Microsoft's usage price."""

    class Meta:
        model = UsagePricing

    customer = factory.SubFactory(CustomerFactory)
    percent = Decimal(10)


class UsageChargeFactory(ModelFactory[UsageCharge]):
    class Meta:
        model = UsageCharge

    customer = factory.SubFactory(CustomerFactory)
    year = 2025
    month = 6
    entitlement_id = "33333333-3333-4333-8333-333333333333"
    entitlement_name = "Production"
    meter_category = "Virtual Machines"
    cost = Decimal("100.00")
    amount = Decimal("110.00")
    currency = "USD"
