"""Billing's records: issuers and their number series, invoice runs, invoices, credit notes, tax rules, VAT ids."""

from billing.models.documents import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from billing.models.issuers import BillingProfile, Issuer, NumberCounter
from billing.models.runs import InvoiceRun
from billing.models.tax import TaxRule

__all__ = [
    "BillingProfile",
    "CreditNote",
    "CreditNoteLine",
    "Invoice",
    "InvoiceLine",
    "InvoiceRun",
    "Issuer",
    "NumberCounter",
    "TaxRule",
]
