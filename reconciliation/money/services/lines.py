"""Writing Microsoft's reconciliation lines into the database as they stream in: PostgreSQL's ``COPY`` (psycopg 3
``cursor.copy()``), ``bulk_create`` in batches elsewhere. Nothing holds more than one batch: a million lines take the
memory of a few thousand.

Each batch commits on its own (the invoice's progress shows while it runs); the lines belong to a new `generation`
that becomes the invoice's current one only when every blob is in (`generation_publish`), in one transaction that
also deletes the previous generation. A crash half-way leaves the old lines current and the partial ones to be
swept by the next attempt."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import fields
from decimal import Decimal
from itertools import islice
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from partnercenter.billing_types import ReconLineItem
from reconciliation.money.choices import ImportStatus
from reconciliation.money.models import MicrosoftChargeLine, MicrosoftInvoice
from reconciliation.money.services import rows

BATCH = 5000
COPY_BATCH = 50_000
#: Lines per write to the COPY stream.
COPY_CHUNK = 1000

#: The columns written per line, in order (the COPY column list and the model fields alike).
COLUMNS = (
    "invoice_id", "generation", "instance_id", "year", "month", "line_no", "fingerprint", "customer_tenant_id",
    "customer_name", "pc_subscription_id", "order_id", "product_id", "sku_id", "sku_name", "charge_type",
    "charge_start", "charge_end", "order_date", "quantity", "unit_price", "effective_unit_price", "subtotal", "total",
    "currency", "pricing_currency", "exchange_rate", "reference_id", "promotion_id", "attributes", "matched_by",
)
#: Attributes kept as columns; the others go to `attributes` (JSON).
_AS_COLUMNS = frozenset({
    "customer_id", "customer_name", "subscription_id", "order_id", "product_id", "sku_id", "sku_name", "charge_type",
    "charge_start_date", "charge_end_date", "order_date", "billable_quantity", "quantity", "unit_price",
    "effective_unit_price", "subtotal", "total_for_customer", "currency", "pricing_currency",
    "pc_to_bc_exchange_rate", "reference_id", "promotion_id", "extra",
})


_FIELDS = tuple(f.name for f in fields(ReconLineItem))
_REST = tuple(name for name in _FIELDS if name not in _AS_COLUMNS)


def _text(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.astimezone(dt.UTC).date() if value is not None else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def fingerprint(item: ReconLineItem) -> str:
    """What identifies a line whatever the export: subscription, charge, dates, event, reference and direction.
    Money is left out on purpose (a re-rated line is the same line with another amount)."""
    sign = "-" if item.is_refund else "+"
    parts = (
        (item.subscription_id or "").lower(), item.charge_type or "", str(_day(item.charge_start_date)),
        str(_day(item.charge_end_date)), item.order_date.isoformat() if item.order_date else "",
        (item.reference_id or "").lower(), sign, str(item.billable_quantity or item.quantity or ""),
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def line_values(invoice: MicrosoftInvoice, generation: int, line_no: int, item: ReconLineItem) -> tuple[Any, ...]:
    """One line as a row of `COLUMNS`."""
    rest = {name: value for name in _REST if (value := getattr(item, name)) not in (None, "", ())}
    rest.update(item.extra or {})
    return (
        invoice.pk, generation, invoice.instance_id, invoice.year, invoice.month, line_no, fingerprint(item),
        _text(item.customer_id, 64).lower(), _text(item.customer_name, 255), _text(item.subscription_id, 64).lower(),
        _text(item.order_id, 64), _text(item.product_id, 40), _text(item.sku_id, 20), _text(item.sku_name, 255),
        _text(item.charge_type, 32), _day(item.charge_start_date), _day(item.charge_end_date), item.order_date,
        item.billable_quantity if item.billable_quantity is not None else item.quantity, item.unit_price,
        item.effective_unit_price, item.subtotal, item.total_for_customer, _text(item.currency, 3).upper(),
        _text(item.pricing_currency, 3).upper(), item.pc_to_bc_exchange_rate, _text(item.reference_id, 100).lower(),
        _text(item.promotion_id, 100), _jsonable(rest), "",
    )


def _batches(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def _copy(rows: Iterator[tuple[Any, ...]], limit: int) -> int:
    """Up to `limit` rows in one COPY, taken from the iterator as they come (none held); returns how many."""
    table = MicrosoftChargeLine._meta.db_table
    attributes = COLUMNS.index("attributes")
    statement = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"
    written = 0
    with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in islice(rows, limit):
            values = list(row)
            values[attributes] = json.dumps(values[attributes])
            copy.write_row(values)
            written += 1
    return written


def _bulk(batch: list[tuple[Any, ...]]) -> None:
    MicrosoftChargeLine.objects.bulk_create(
        [MicrosoftChargeLine(**dict(zip(COLUMNS, row, strict=True))) for row in batch], batch_size=BATCH
    )


def lines_write(invoice: MicrosoftInvoice, generation: int, items: Iterable[ReconLineItem], *, start: int = 0) -> int:
    """Write `items` as lines of `generation`, committing per batch; returns how many were written."""
    rows = (line_values(invoice, generation, start + n, item) for n, item in enumerate(items, start=1))
    written = 0
    while True:
        if connection.vendor == "postgresql":
            count = _copy(rows, COPY_BATCH)
        else:
            batch = next(_batches(rows, BATCH), [])
            _bulk(batch)
            count = len(batch)
        if not count:
            return written
        written += count
        MicrosoftInvoice.objects.filter(pk=invoice.pk).update(line_count=start + written, updated_at=timezone.now())


def generation_discard_partial(invoice: MicrosoftInvoice) -> None:
    """Delete lines of any generation but the current one (an import that stopped half-way)."""
    MicrosoftChargeLine.objects.filter(invoice=invoice).exclude(generation=invoice.generation).delete()


@transaction.atomic
def generation_publish(invoice: MicrosoftInvoice, generation: int, *, etag: str = "") -> MicrosoftInvoice:
    """Make `generation` the invoice's lines, drop the others, mark the invoice imported (one transaction)."""
    invoice = MicrosoftInvoice.objects.select_for_update().get(pk=invoice.pk)
    MicrosoftChargeLine.objects.filter(invoice=invoice).exclude(generation=generation).delete()
    lines = MicrosoftChargeLine.objects.filter(invoice=invoice, generation=generation)
    invoice.generation = generation
    invoice.line_count = lines.count()
    invoice.lines_total = lines.aggregate(total=Sum("total"))["total"]
    invoice.status = ImportStatus.IMPORTED
    invoice.operation_url = ""
    invoice.retry_at = None
    invoice.error = ""
    invoice.manifest_etag = etag[:200]
    invoice.imported_at = timezone.now()
    invoice.save()
    return invoice


def _copy_json(invoice: MicrosoftInvoice, generation: int, lines: Iterator[bytes], start: int, limit: int) -> int:
    """Up to `limit` of Microsoft's JSON lines in one COPY (rendered by `rows.copy_line`, written in chunks)."""
    table = MicrosoftChargeLine._meta.db_table
    prefix = rows.copy_prefix(invoice.pk, generation, invoice.instance_id, invoice.year, invoice.month)
    written, chunk = 0, []
    with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for line in islice(lines, limit):
            written += 1
            chunk.append(rows.copy_line(prefix, start + written, line))
            if len(chunk) == COPY_CHUNK:
                copy.write("".join(chunk))
                chunk.clear()
        if chunk:
            copy.write("".join(chunk))
    return written


def lines_write_json(invoice: MicrosoftInvoice, generation: int, lines: Iterable[bytes], *, start: int = 0) -> int:
    """Write Microsoft's JSON lines (a blob's, decompressed) as lines of `generation`, committing per batch; returns
    how many were written. On PostgreSQL each line goes straight to COPY text (`rows`); elsewhere through the
    client's typed line."""
    if connection.vendor != "postgresql":
        from partnercenter._parse import recon_line_item

        items = (recon_line_item(json.loads(line, parse_float=Decimal)) for line in lines)
        return lines_write(invoice, generation, items, start=start)
    it = iter(lines)
    written = 0
    while count := _copy_json(invoice, generation, it, start + written, COPY_BATCH):
        written += count
        MicrosoftInvoice.objects.filter(pk=invoice.pk).update(line_count=start + written, updated_at=timezone.now())
    return written
