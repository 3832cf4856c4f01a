"""Factories for reconciliation.money: Microsoft's invoices as imported, their charge lines, match runs and the
three-way matches of a line."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import factory

from reconciliation.money.choices import ImportStatus, Outcome
from reconciliation.money.models import ChargeMatch, MatchRun, MicrosoftChargeLine, MicrosoftInvoice
from tests.factories.base import ModelFactory
from tests.factories.bss import PartnerCenterInstanceFactory


class MicrosoftInvoiceFactory(ModelFactory[MicrosoftInvoice]):
    """An imported billed invoice of November 2026 (its lines are generation 1)."""

    class Meta:
        model = MicrosoftInvoice

    instance = factory.SubFactory(PartnerCenterInstanceFactory)
    invoice_id = factory.Sequence(lambda n: f"G{n:09d}")
    year = 2026
    month = 11
    currency = "USD"
    status = ImportStatus.IMPORTED
    generation = 1


class MicrosoftChargeLineFactory(ModelFactory[MicrosoftChargeLine]):
    class Meta:
        model = MicrosoftChargeLine

    invoice = factory.SubFactory(MicrosoftInvoiceFactory)
    generation = factory.SelfAttribute("invoice.generation")
    instance = factory.SelfAttribute("invoice.instance")
    year = factory.SelfAttribute("invoice.year")
    month = factory.SelfAttribute("invoice.month")
    line_no = factory.Sequence(lambda n: n + 1)
    fingerprint = factory.Sequence(lambda n: hashlib.sha256(f"line-{n}".encode()).hexdigest())
    customer_tenant_id = factory.Faker("uuid4")
    customer_name = factory.Sequence(lambda n: f"Customer {n} Ltd")
    pc_subscription_id = factory.Faker("uuid4")
    product_id = "CFQ7TTC0LH18"
    sku_id = "0001"
    sku_name = "Microsoft 365 Business Basic"
    charge_type = "Cycle fee"
    charge_start = dt.date(2026, 11, 1)
    charge_end = dt.date(2026, 11, 30)
    quantity = Decimal("5")
    unit_price = Decimal("6.000000")
    effective_unit_price = Decimal("6.000000")
    subtotal = Decimal("30.00")
    total = Decimal("30.00")
    currency = factory.SelfAttribute("invoice.currency")


class MatchRunFactory(ModelFactory[MatchRun]):
    class Meta:
        model = MatchRun

    instance = factory.SubFactory(PartnerCenterInstanceFactory)
    year = 2026
    month = 11
    tolerance = Decimal("0.01")


class ChargeMatchFactory(ModelFactory[ChargeMatch]):
    """A line Microsoft charged that we did not invoice."""

    class Meta:
        model = ChargeMatch

    microsoft_line = factory.SubFactory(MicrosoftChargeLineFactory)
    instance = factory.SelfAttribute("microsoft_line.instance")
    year = factory.SelfAttribute("microsoft_line.year")
    month = factory.SelfAttribute("microsoft_line.month")
    key = factory.SelfAttribute("microsoft_line.fingerprint")
    outcome = Outcome.LEAKAGE
    pc_subscription_id = factory.SelfAttribute("microsoft_line.pc_subscription_id")
    customer_tenant_id = factory.SelfAttribute("microsoft_line.customer_tenant_id")
    charge_type = factory.SelfAttribute("microsoft_line.charge_type")
    quantity = factory.SelfAttribute("microsoft_line.quantity")
    microsoft_amount = factory.SelfAttribute("microsoft_line.total")
    difference = factory.SelfAttribute("microsoft_line.total")
    currency = factory.SelfAttribute("microsoft_line.currency")
