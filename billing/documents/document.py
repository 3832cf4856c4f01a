"""What an invoice or a credit note shows, as plain typed values: the input of `billing.documents.pdf.render_pdf`.

Everything is already decided when a document is built: the amounts, the tax per rate and the totals come from
the billing services (a renderer never computes money, it only prints it); the texts of the legal mentions (the
reverse-charge mention of Article 196) are passed in `notes` as the tax decision wrote them. Money is Decimal in
`currency`; tax rates are percentages (Decimal("20") is 20 %), as in `billing.services.tax`.

A document without a number is a draft (a preview before finalisation): it is printed as "Draft invoice".

From the billing models (mapped by their caller; this module imports none of them): `Issuer` name, address (one
line per line of its text), country, vat_id -> `issuer`; the document's party_name, party_country, party_vat_id
snapshot -> `billed` (with the party's postal address); number, currency, subtotal, tax_total, total -> `number`,
`currency`, `totals`; tax_summary [{"rate", "name", "base", "tax"}] -> `TaxRow`s; legal_mentions -> `notes`; each
line's end_customer_name, pc_subscription_id, description, charge_type, charge_start, charge_end, quantity,
unit_price, amount, tax_rate -> `DocumentLine`; a credit note's invoice.number, invoice's issue date and reason
-> `credited_invoice_number`, `credited_invoice_date`, `reason`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True, slots=True)
class Party:
    """The issuer or the billed party, as printed: name, postal address lines, ISO country code, VAT id."""

    name: str
    address_lines: Sequence[str] = ()
    country: str = ""
    vat_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentLine:
    """One charge: a Partner Center subscription's charge of one type over one period.

    `customer_name` groups the lines (a reseller's invoice lists its end customers one after the other); lines
    with the same name are printed together, groups in the order of their first line. `tax_rate` None: no tax
    rate applies to the line (printed as a dash).
    """

    description: str
    customer_name: str = ""
    pc_subscription_id: str = ""
    charge_type: str = ""
    charge_start: date | None = None
    charge_end: date | None = None
    quantity: int | Decimal = 1
    unit_price: Decimal = Decimal(0)
    amount: Decimal
    tax_rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TaxRow:
    """Tax on the base of all lines of one rate (and tax name): one row of the tax summary."""

    rate: Decimal
    base: Decimal
    tax: Decimal
    name: str = ""


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceDocument:
    """An invoice or a credit note, ready to print.

    For a credit note, `credited_invoice_number` (required) and `credited_invoice_date` name the invoice it
    corrects, and `reason` says why. `notes` are printed under the totals, one paragraph each (legal mentions
    such as the reverse-charge mention, payment instructions).
    """

    kind: DocumentKind
    number: str
    issue_date: date
    period_start: date
    period_end: date
    issuer: Party
    billed: Party
    currency: str
    lines: Sequence[DocumentLine]
    tax_summary: Sequence[TaxRow]
    totals: Totals
    notes: Sequence[str] = ()
    due_date: date | None = None
    credited_invoice_number: str = ""
    credited_invoice_date: date | None = None
    reason: str = ""
    extra_meta: Sequence[tuple[str, str]] = ()  # more (label, value) under the document's details

    def __post_init__(self) -> None:
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValueError(f"currency must be an ISO 4217 code, got {self.currency!r}")
        if self.kind == DocumentKind.CREDIT_NOTE and not self.credited_invoice_number:
            raise ValueError("a credit note names the invoice it corrects (credited_invoice_number)")
        if self.period_end < self.period_start:
            raise ValueError("the period ends before it starts")

    @property
    def is_draft(self) -> bool:
        return not self.number

    @property
    def title(self) -> str:
        name = "Invoice" if self.kind == DocumentKind.INVOICE else "Credit note"
        return f"Draft {name.lower()}" if self.is_draft else name
