"""Billing reports (reads): the accounting export (one row per invoice or credit-note line, with its revenue
account) and the margin report (revenue, cost and margin by customer, reseller, product family or month).

Revenue accounts are configured in the setting `BILLING_REVENUE_ACCOUNTS`: a mapping of "<product family>|<tax code>"
to an account, where either half may be "*"; the most specific entry wins (family and tax code, then family, then
tax code, then "*|*"). Without the setting every line goes to `DEFAULT_REVENUE_ACCOUNTS`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from billing.choices import DocumentStatus, PartyKind
from billing.models import CreditNoteLine, InvoiceLine
from catalog.pricesheet.format import family_for_title

DEFAULT_REVENUE_ACCOUNTS = {"*|*": "706000"}
ZERO = Decimal(0)

ACCOUNTING_HEADER = (
    "document", "document_type", "number", "issue_date", "issuer", "party", "party_country", "party_vat_id",
    "period", "currency", "end_customer", "description", "product_family", "charge_type", "pc_subscription_id",
    "quantity", "amount", "tax_code", "tax_rate", "tax_amount", "revenue_account",
)


def tax_code(tax_name: str, tax_rate: Decimal | None) -> str:
    """A line's tax code for the ledger: its tax's name (e.g. "VAT 20 %"), or NONE when no tax applies."""
    if tax_rate is None:
        return "NONE"
    return tax_name or f"RATE {tax_rate.normalize()}"


def revenue_accounts() -> dict[str, str]:
    """The configured mapping ("<product family>|<tax code>" -> account), or the default one."""
    return getattr(settings, "BILLING_REVENUE_ACCOUNTS", None) or DEFAULT_REVENUE_ACCOUNTS


def revenue_account(family: str, code: str) -> str:
    accounts = revenue_accounts()
    for key in (f"{family}|{code}", f"{family}|*", f"*|{code}", "*|*"):
        if key in accounts:
            return accounts[key]
    return ""


def _between(prefix: str, start: tuple[int, int], end: tuple[int, int]) -> Q:
    """Documents of the months start..end (inclusive), (year, month) each."""
    after = Q(**{f"{prefix}year__gt": start[0]}) | Q(**{f"{prefix}year": start[0], f"{prefix}month__gte": start[1]})
    before = Q(**{f"{prefix}year__lt": end[0]}) | Q(**{f"{prefix}year": end[0], f"{prefix}month__lte": end[1]})
    return after & before


def accounting_rows(*, start: tuple[int, int], end: tuple[int, int], issuer_id: int | None = None
                    ) -> Iterator[tuple[object, ...]]:
    """Every line of the final invoices and credit notes of the months start..end; credit notes negative."""
    sources = (
        ("invoice", InvoiceLine.objects.select_related("invoice__issuer"), "invoice__", Decimal(1)),
        ("credit_note", CreditNoteLine.objects.select_related("credit_note__issuer"), "credit_note__", Decimal(-1)),
    )
    for kind, lines, prefix, sign in sources:
        lines = lines.filter(_between(prefix, start, end), **{f"{prefix}status": DocumentStatus.FINAL})
        if issuer_id is not None:
            lines = lines.filter(**{f"{prefix}issuer_id": issuer_id})
        for line in lines.order_by(f"{prefix}number", "id").iterator(chunk_size=2000):
            doc = line.invoice if kind == "invoice" else line.credit_note  # type: ignore[union-attr]
            family = family_for_title(line.description)
            code = tax_code(line.tax_name, line.tax_rate)
            yield (
                doc.pk, kind, doc.number, doc.finalised_at.date().isoformat() if doc.finalised_at else "",
                doc.issuer.name, doc.party_name, doc.party_country, doc.party_vat_id, f"{doc.year}-{doc.month:02d}",
                doc.currency, line.end_customer_name, line.description, family, line.charge_type,
                line.pc_subscription_id, line.quantity, sign * line.amount, code,
                "" if line.tax_rate is None else line.tax_rate, sign * line.tax_amount, revenue_account(family, code),
            )


# -- margin ---------------------------------------------------------------------------------------------------------

DIMENSIONS = {
    "customer": "Customer",
    "reseller": "Reseller",
    "family": "Product family",
    "month": "Month",
}


@dataclass
class MarginRow:
    key: str
    currency: str
    revenue: Decimal = ZERO
    cost: Decimal = ZERO
    cost_unknown: int = 0

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def margin_percent(self) -> Decimal | None:
        if not self.revenue:
            return None
        return (self.margin * 100 / self.revenue).quantize(Decimal("0.1"))


def _key(dimension: str, doc: object, line: InvoiceLine | CreditNoteLine) -> str:
    if dimension == "customer":
        return line.end_customer_name or getattr(doc, "party_name", "")
    if dimension == "reseller":
        return getattr(doc, "party_name", "") if getattr(doc, "party_kind", "") == PartyKind.RESELLER else "Direct"
    if dimension == "family":
        return family_for_title(line.description)
    return f"{getattr(doc, 'year', 0)}-{getattr(doc, 'month', 0):02d}"


def margin_report(*, dimension: str, start: tuple[int, int], end: tuple[int, int], issuer_id: int | None = None
                  ) -> list[MarginRow]:
    """Revenue (billed amounts, credit notes deducted), cost (what Microsoft charges us) and margin per value of
    `dimension`, over the final documents of the months start..end, one row per key and currency."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    rows: dict[tuple[str, str], MarginRow] = {}
    sources = (
        (InvoiceLine.objects.select_related("invoice"), "invoice", Decimal(1)),
        (CreditNoteLine.objects.select_related("credit_note"), "credit_note", Decimal(-1)),
    )
    for lines, name, sign in sources:
        lines = lines.filter(_between(f"{name}__", start, end), **{f"{name}__status": DocumentStatus.FINAL})
        if issuer_id is not None:
            lines = lines.filter(**{f"{name}__issuer_id": issuer_id})
        for line in lines.iterator(chunk_size=2000):
            doc = getattr(line, name)
            key = _key(dimension, doc, line)
            row = rows.setdefault((key, doc.currency), MarginRow(key=key, currency=doc.currency))
            row.revenue += sign * line.amount
            if line.cost_amount is None:
                row.cost_unknown += 1
            else:
                row.cost += sign * line.cost_amount
    ordered = sorted(rows.values(), key=lambda r: (r.key, r.currency))
    if dimension != "month":
        ordered.sort(key=lambda r: r.revenue, reverse=True)
    return ordered


def month_span(months: int = 12, *, today: dt.date | None = None) -> tuple[tuple[int, int], tuple[int, int]]:
    """The last `months` calendar months up to this one."""
    today = today or dt.datetime.now(dt.UTC).date()
    index = today.year * 12 + today.month - 1 - (months - 1)
    return (index // 12, index % 12 + 1), (today.year, today.month)


def totals(rows: list[MarginRow]) -> dict[str, MarginRow]:
    """Sum of the rows per currency."""
    by_currency: dict[str, MarginRow] = defaultdict(lambda: MarginRow(key="Total", currency=""))
    for row in rows:
        total = by_currency[row.currency]
        total.currency = row.currency
        total.revenue += row.revenue
        total.cost += row.cost
        total.cost_unknown += row.cost_unknown
    return dict(by_currency)
