"""Factories for Microsoft's bill: an imported invoice, one of its lines, a match run and one line's outcome."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from reconciliation.money.choices import ImportStatus, Outcome
from reconciliation.money.models import ChargeMatch, MatchRun, MicrosoftChargeLine, MicrosoftInvoice
from tests.factories.base import ModelFactory
from tests.factories.bss import PartnerCenterInstanceFactory


class MicrosoftInvoiceFactory(ModelFactory[MicrosoftInvoice]):
    """An imported invoice of June 2025 (generation 1)."""

    class Meta:
        model = MicrosoftInvoice

    instance = factory.SubFactory(PartnerCenterInstanceFactory)
    invoice_id = factory.Sequence(lambda n: f"G{n:09d}")
    year = 2025
    month = 6
    total = Decimal("100.80")
    currency = "EUR"
    status = ImportStatus.IMPORTED
    generation = 1


class MicrosoftChargeLineFactory(ModelFactory[MicrosoftChargeLine]):
    """A `new` charge of 10 licences (the facts sheet's §3.3 example)."""

    class Meta:
        model = MicrosoftChargeLine

    invoice = factory.SubFactory(MicrosoftInvoiceFactory)
    generation = factory.SelfAttribute("invoice.generation")
    instance = factory.SelfAttribute("invoice.instance")
    year = factory.SelfAttribute("invoice.year")
    month = factory.SelfAttribute("invoice.month")
    line_no = factory.Sequence(lambda n: n + 1)
    fingerprint = factory.Sequence(lambda n: f"{n:064x}")
    pc_subscription_id = factory.Faker("uuid4")
    charge_type = "new"
    charge_start = dt.date(2025, 6, 18)
    charge_end = dt.date(2025, 7, 17)
    quantity = Decimal(10)
    unit_price = Decimal("10.08")
    effective_unit_price = Decimal("10.08")
    subtotal = Decimal("100.80")
    total = Decimal("100.80")
    currency = "EUR"


class MatchRunFactory(ModelFactory[MatchRun]):
    class Meta:
        model = MatchRun

    instance = factory.SubFactory(PartnerCenterInstanceFactory)
    year = 2025
    month = 6
    tolerance = Decimal("0.00")


class ChargeMatchFactory(ModelFactory[ChargeMatch]):
    """An open leakage: a line Microsoft charged that we did not invoice."""

    class Meta:
        model = ChargeMatch

    microsoft_line = factory.SubFactory(MicrosoftChargeLineFactory)
    instance = factory.SelfAttribute("microsoft_line.instance")
    year = factory.SelfAttribute("microsoft_line.year")
    month = factory.SelfAttribute("microsoft_line.month")
    key = factory.LazyAttribute(lambda o: f"ms:{o.microsoft_line.fingerprint}:1")
    outcome = Outcome.LEAKAGE
    microsoft_amount = factory.SelfAttribute("microsoft_line.subtotal")
    difference = factory.SelfAttribute("microsoft_line.subtotal")
    currency = "EUR"
