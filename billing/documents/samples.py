"""A specimen invoice or credit note of any length: for an issuer's preview of the layout, the benchmark
(bench/billing_documents.py) and the tests. Its figures add up (tax per rate on the bases, totals on the lines),
but it is made up: Contoso's reseller invoice to Fabrikam for three end customers.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from billing.documents.document import DocumentKind, DocumentLine, InvoiceDocument, Party, TaxRow, Totals
from billing.documents.money import currency_decimals

REVERSE_CHARGE = (
    "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC)"
)
CUSTOMERS = ("Northwind Traders Ltd", "Łódź Software Sp. z o.o.", "Tailspin Toys GmbH")
OFFERS = (
    ("Microsoft 365 Business Standard", Decimal("10.08")),
    ("Microsoft 365 E3 (no Teams)", Decimal("33.75")),
    ("Microsoft Entra ID P1", Decimal("5.60")),
    ("Dynamics 365 Sales Enterprise, annual commitment billed monthly", Decimal("95.00")),
)
CHARGE_TYPES = ("Cycle fee", "Prorate fees when purchase", "Prorate fees when cancel")


def subscription_id(index: int) -> str:
    return f"6b1f0e2a-3c4d-4e5f-8a9b-{index:012d}"


def specimen(lines: int = 12, *, kind: DocumentKind = DocumentKind.INVOICE, currency: str = "EUR",
             rate: Decimal = Decimal(0), number: str = "INV-2026-000042") -> InvoiceDocument:
    """`lines` charge lines for November 2026, at `rate` % tax (0: EU reverse charge, with its mention)."""
    cent = Decimal(1).scaleb(-currency_decimals(currency))
    scale = Decimal(160) if currency_decimals(currency) == 0 else Decimal(1)  # whole yen or won
    rows = []
    for index in range(lines):
        offer, price = OFFERS[index % len(OFFERS)]
        price = (price * scale).quantize(cent, rounding=ROUND_HALF_UP)
        quantity = index % 25 + 1
        rows.append(DocumentLine(
            description=offer,
            customer_name=CUSTOMERS[index * len(CUSTOMERS) // max(lines, 1)],
            pc_subscription_id=subscription_id(index),
            charge_type=CHARGE_TYPES[index % len(CHARGE_TYPES)],
            charge_start=date(2026, 11, 1 + index % 20),
            charge_end=date(2026, 11, 30),
            quantity=quantity,
            unit_price=price,
            amount=(price * quantity).quantize(cent, rounding=ROUND_HALF_UP),
            tax_rate=rate,
        ))
    base = sum((row.amount for row in rows), Decimal(0))
    tax = (base * rate / 100).quantize(cent, rounding=ROUND_HALF_UP)
    reverse_charge = not rate
    credit_note = kind == DocumentKind.CREDIT_NOTE
    return InvoiceDocument(
        kind=kind,
        number="CN-2026-000007" if credit_note else number,
        issue_date=date(2026, 12, 1),
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        issuer=Party("Contoso Cloud Services SAS", ("12 rue de la Paix", "75002 Paris"), "FR", "FR40303265045"),
        billed=Party("Fabrikam Distribution GmbH", ("Hauptstraße 5", "10115 Berlin"), "DE", "DE136695976"),
        currency=currency,
        lines=rows,
        tax_summary=[TaxRow(rate=rate, base=base, tax=tax, name="Reverse charge" if reverse_charge else "VAT")],
        totals=Totals(subtotal=base, tax=tax, total=base + tax),
        notes=[REVERSE_CHARGE] if reverse_charge else [],
        due_date=None if credit_note else date(2026, 12, 31),
        credited_invoice_number=number if credit_note else "",
        credited_invoice_date=date(2026, 12, 1) if credit_note else None,
        reason="Seats removed inside the cancellation window" if credit_note else "",
    )
