"""Writing a document's lines and totals (invoices and credit notes alike), and finalising it with its number."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone

from billing.choices import DocumentStatus, NumberSeries
from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from billing.services.bills import LineDraft
from billing.services.numbering import next_number
from billing.services.tax import TaxDecision, tax_amount, tax_summary

ZERO = Decimal(0)


def line_values(draft: LineDraft, decision: TaxDecision | None) -> dict[str, Any]:
    """An invoice or credit-note line's fields from one rated row and the tax that applies to it."""
    charge, sub = draft.charge, draft.subscription
    return {
        "end_customer": sub.customer,
        "end_customer_name": sub.customer.company_name,
        "subscription": sub,
        "pc_subscription_id": sub.pc_subscription_id or "",
        "description": sub.name[:255],
        "charge_type": charge.charge_type.value,
        "quantity": charge.quantity,
        "unit_price": charge.unit_price,
        "effective_unit_price": charge.effective_unit_price,
        "amount": charge.amount,
        "charge_start": charge.charge_start,
        "charge_end": charge.charge_end,
        "order_at": charge.order_at,
        "reference_id": charge.reference_id,
        "tax_rate": decision.rate if decision else None,
        "tax_name": decision.name if decision else "",
        "tax_amount": tax_amount(charge.amount, decision.rate) if decision else ZERO,
        "unit_cost": charge.unit_cost if draft.cost_known else None,
        "cost_amount": charge.cost_amount if draft.cost_known else None,
    }


def set_totals(document: Invoice | CreditNote, lines: Sequence[InvoiceLine | CreditNoteLine]) -> None:
    """Subtotal, tax per rate on the totals, total and cost (unknown costs count as 0 in the cost total)."""
    document.subtotal = sum((line.amount for line in lines), ZERO)
    taxed = [(line.amount, line.tax_rate, line.tax_name) for line in lines if line.tax_rate is not None]
    document.tax_summary = tax_summary(taxed)
    document.tax_total = sum((Decimal(row["tax"]) for row in document.tax_summary), ZERO)
    document.total = document.subtotal + document.tax_total
    document.cost_total = sum((line.cost_amount or ZERO for line in lines), ZERO)


def finalise(document: Invoice | CreditNote, *, series: str) -> None:
    """Give the document the next number of its issuer's series for this year and freeze it (caller saves, inside
    the same transaction that locked the document)."""
    now = timezone.now()
    year = timezone.localtime(now, _zone(document.issuer.time_zone)).year
    document.number = next_number(issuer=document.issuer, series=series, year=year)
    document.status = DocumentStatus.FINAL
    document.finalised_at = now


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


INVOICE_SERIES = NumberSeries.INVOICE
CREDIT_NOTE_SERIES = NumberSeries.CREDIT_NOTE
