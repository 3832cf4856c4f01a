"""Factories for the billing app: issuers, tax rules and billed parties' tax profiles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from billing.choices import CreditNoteKind, NumberSeries, PartyKind, TaxScope, VatStatus
from billing.models import (
    BillingProfile,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceRun,
    Issuer,
    NumberCounter,
    TaxRule,
)
from tests.factories.base import ModelFactory
from tests.factories.bss import CustomerFactory, ProviderFactory


class IssuerFactory(ModelFactory[Issuer]):
    class Meta:
        model = Issuer

    reseller = factory.SubFactory(ProviderFactory)
    name = factory.SelfAttribute("reseller.name")
    address = "1 rue de la Paix\n75002 Paris"
    country = "FR"
    vat_id = "FR40303265045"
    time_zone = "Europe/Paris"
    number_prefix = "INV"


class TaxRuleFactory(ModelFactory[TaxRule]):
    class Meta:
        model = TaxRule

    issuer_country = "FR"
    customer_country = "FR"
    scope = TaxScope.DOMESTIC
    name = "VAT 20 %"
    rate = Decimal("20.000")
    effective_from = dt.date(2020, 1, 1)


class BillingProfileFactory(ModelFactory[BillingProfile]):
    class Meta:
        model = BillingProfile

    party_kind = PartyKind.CUSTOMER
    customer = factory.SubFactory(CustomerFactory)
    vat_id = ""
    vat_status = VatStatus.NONE


class NumberCounterFactory(ModelFactory[NumberCounter]):
    class Meta:
        model = NumberCounter

    issuer = factory.SubFactory(IssuerFactory)
    series = NumberSeries.INVOICE
    year = 2025


class InvoiceRunFactory(ModelFactory[InvoiceRun]):
    class Meta:
        model = InvoiceRun

    year = 2025
    month = 6


class InvoiceFactory(ModelFactory[Invoice]):
    """A draft invoice of a direct customer (see tests/billing/scenario.py for invoices made by a run)."""

    class Meta:
        model = Invoice

    issuer = factory.SubFactory(IssuerFactory)
    customer = factory.SubFactory(CustomerFactory)
    party_kind = PartyKind.CUSTOMER
    party_key = factory.LazyAttribute(lambda o: f"customer:{o.customer.pk}")
    party_name = factory.SelfAttribute("customer.company_name")
    party_country = "FR"
    year = 2025
    month = 6
    currency = "EUR"


class InvoiceLineFactory(ModelFactory[InvoiceLine]):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory)
    description = "Microsoft 365 Business Standard"
    charge_type = "new"
    quantity = 10
    unit_price = Decimal("10.08")
    effective_unit_price = Decimal("10.08")
    amount = Decimal("100.80")
    charge_start = dt.date(2025, 6, 18)
    charge_end = dt.date(2025, 7, 17)
    order_at = dt.datetime(2025, 6, 18, 9, tzinfo=dt.UTC)


class CreditNoteFactory(ModelFactory[CreditNote]):
    class Meta:
        model = CreditNote

    invoice = factory.SubFactory(InvoiceFactory)
    issuer = factory.SelfAttribute("invoice.issuer")
    customer = factory.SelfAttribute("invoice.customer")
    party_kind = PartyKind.CUSTOMER
    party_key = factory.SelfAttribute("invoice.party_key")
    party_name = factory.SelfAttribute("invoice.party_name")
    party_country = "FR"
    year = 2025
    month = 6
    currency = "EUR"
    kind = CreditNoteKind.MANUAL
    reason = "Goodwill"


class CreditNoteLineFactory(ModelFactory[CreditNoteLine]):
    class Meta:
        model = CreditNoteLine

    credit_note = factory.SubFactory(CreditNoteFactory)
    description = "Microsoft 365 Business Standard"
    charge_type = "new"
    quantity = 1
    unit_price = Decimal("10.08")
    effective_unit_price = Decimal("10.08")
    amount = Decimal("10.08")
    charge_start = dt.date(2025, 6, 18)
    charge_end = dt.date(2025, 7, 17)
    order_at = dt.datetime(2025, 6, 18, 9, tzinfo=dt.UTC)
