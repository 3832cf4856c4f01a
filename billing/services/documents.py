"""Writing a document's lines and totals (invoices and credit notes alike), and finalising it with its number.

An invoice run writes a batch of documents at once: `insert_lines` (PostgreSQL's COPY, `bulk_create` elsewhere) and
`update_documents` (one UPDATE ... FROM VALUES on PostgreSQL, `bulk_update` elsewhere)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from billing.choices import DocumentStatus, NumberSeries
from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from billing.services.bills import LineDraft
from billing.services.numbering import next_numbers
from billing.services.tax import TaxDecision, tax_amount, tax_summary

ZERO = Decimal(0)
#: Rows per statement where COPY is not available (PostgreSQL: at most 65,535 parameters per statement).
WRITE_BATCH = 1000


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
    finalise_many([document], series=series)


def finalise_many(documents: Sequence[Invoice | CreditNote], *, series: str) -> None:
    """Number and freeze documents in their order, one block of numbers per issuer (issuers' counters locked in
    issuer order, so concurrent batches queue instead of deadlocking); the caller saves them in the same
    transaction."""
    now = timezone.now()
    per_issuer: dict[int, list[Invoice | CreditNote]] = {}
    for document in documents:
        per_issuer.setdefault(document.issuer_id, []).append(document)
    for issuer_id in sorted(per_issuer):
        batch = per_issuer[issuer_id]
        issuer = batch[0].issuer
        year = timezone.localtime(now, _zone(issuer.time_zone)).year
        numbers = next_numbers(issuer=issuer, series=series, year=year, count=len(batch))
        for document, number in zip(batch, numbers, strict=True):
            document.number = number
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


# -- writing many at once ------------------------------------------------------------------------------------------


def insert_lines(lines: Sequence[InvoiceLine]) -> None:
    """Insert invoice lines in one COPY on PostgreSQL (ids are not read back), in batches elsewhere."""
    if not lines:
        return
    if connection.vendor != "postgresql":
        InvoiceLine.objects.bulk_create(lines, batch_size=WRITE_BATCH)
        return
    fields = [f for f in InvoiceLine._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    statement = f"COPY {connection.ops.quote_name(InvoiceLine._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for line in lines:
            copy.write_row([getattr(line, f.attname) for f in fields])


def update_documents(documents: Sequence[Model], names: Sequence[str]) -> None:
    """Save these fields of existing rows of one model in one statement (PostgreSQL: UPDATE ... FROM VALUES, each
    value cast to its column's type), `bulk_update` elsewhere. No save() and no signal: the caller sends them."""
    if not documents:
        return
    model = type(documents[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(documents, list(names), batch_size=WRITE_BATCH)
        return
    meta, quote = model._meta, connection.ops.quote_name
    by_name = {f.name: f for f in meta.concrete_fields}
    fields = [by_name[name] for name in names]
    pk = by_name[meta.pk.name]  # every model has one
    columns = [quote(str(f.column)) for f in (pk, *fields)]
    row = "(" + ", ".join(f"%s::{f.db_type(connection) if f is not pk else pk.rel_db_type(connection)}"
                          for f in (pk, *fields)) + ")"
    sets = ", ".join(f"{c} = v.{c}" for c in columns[1:])
    for start in range(0, len(documents), WRITE_BATCH):
        chunk = documents[start:start + WRITE_BATCH]
        params: list[Any] = []
        for document in chunk:
            params.append(document.pk)
            params.extend(f.get_db_prep_save(getattr(document, f.attname), connection) for f in fields)
        values = ", ".join([row] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} AS t SET {sets} FROM (VALUES {values}) "  # noqa: S608 - identifiers
                f"AS v({', '.join(columns)}) WHERE t.{columns[0]} = v.{columns[0]}",  # from the model; values bound
                params,
            )
