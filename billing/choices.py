"""Enumerations of the billing app."""

from django.db import models


class RunStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PREVIEWED = "previewed", "Previewed"
    FINALISING = "finalising", "Finalising"
    FINALISED = "finalised", "Finalised"
    FAILED = "failed", "Failed"


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    FINAL = "final", "Final"


class PartyKind(models.TextChoices):
    """Who an invoice is made out to: a direct customer (sale price) or a reseller (wholesale price)."""

    CUSTOMER = "customer", "Customer"
    RESELLER = "reseller", "Reseller"


class VatStatus(models.TextChoices):
    NONE = "none", "No VAT id"
    INVALID = "invalid", "Invalid"
    FORMAT_VALID = "format_valid", "Format and check digits valid"
    CONFIRMED = "confirmed", "Confirmed by staff"


class TaxScope(models.TextChoices):
    """Which customers a tax rule applies to, seen from the issuer's country."""

    DOMESTIC = "domestic", "Customers in the issuer's country"
    EU_CONSUMER = "eu_consumer", "Customers in another EU member state without a valid VAT id"
    EXPORT = "export", "Customers outside the EU (or outside the issuer's country for non-EU issuers)"


class CreditNoteKind(models.TextChoices):
    REFUND = "refund", "Refund inside the window"
    CANCELLATION = "cancellation", "Cancellation after the invoice"
    MANUAL = "manual", "Manual"


class NumberSeries(models.TextChoices):
    INVOICE = "invoice", "Invoices"
    CREDIT_NOTE = "credit_note", "Credit notes"
