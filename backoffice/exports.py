"""Downloads of the back office's lists: CSV streamed row by row, Excel written to a temporary file by openpyxl in
write-only mode and then streamed. Both read the rows from a queryset's `.iterator(chunk_size=...)`, so a list of
100,000 rows is never held in memory. A text cell starting with =, +, - or @ gets a leading apostrophe, so that a
spreadsheet reads it as text rather than as a formula (spreadsheet formula injection)."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone

from bss.choices import CustomerStatus, OrderKind, OrderStatus, SubscriptionStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 2000
FORMULA_STARTS = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Column:
    """One column: its header, the field it reads (a `values_list` path, e.g. "customer__company_name"), and the
    labels of its choices when the list shows a label rather than the stored value."""

    header: str
    field: str
    labels: Mapping[str, str] | None = None

    def value(self, raw: object) -> object:
        return self.labels.get(str(raw), raw) if self.labels is not None and raw is not None else raw


def safe_cell(value: object) -> object:
    """The value as a spreadsheet may read it: numbers and dates as they are, text that would start a formula
    behind an apostrophe."""
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date | dt.datetime):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _rows(qs: QuerySet[Any], columns: Sequence[Column]) -> Iterator[list[object]]:
    """Rows as tuples straight from the database (no model instances), `CHUNK` rows at a time."""
    values = qs.values_list(*(c.field for c in columns))
    for raw in values.iterator(chunk_size=CHUNK):
        yield [column.value(v) for column, v in zip(columns, raw, strict=True)]


class _Echo:
    def write(self, value: str) -> str:
        return value


def rows_csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> StreamingHttpResponse:
    """Any rows (already computed, or generated lazily) as a streamed CSV download."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)  # BOM: Excel opens it as UTF-8
        for row in rows:
            yield writer.writerow(["" if v is None else _text(safe_cell(v)) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _text(value: object) -> object:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(sep=" ", timespec="seconds") if timezone.is_aware(value) else value
    return value


def _xlsx_value(value: object) -> object:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def rows_xlsx_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> FileResponse:
    """Any rows as an Excel download, written by openpyxl in write-only mode to a temporary file, then streamed."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=filename[:31])
    sheet.append(list(header))
    for row in rows:
        sheet.append([_xlsx_value(safe_cell(v)) for v in row])
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    book.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX)


def rows_export_response(fmt: str, filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
                         ) -> StreamingHttpResponse | FileResponse:
    if fmt == "csv":
        return rows_csv_response(filename, header, rows)
    if fmt == "xlsx":
        return rows_xlsx_response(filename, header, rows)
    raise Http404("Unknown export format.")


def export_response(fmt: str, filename: str, qs: QuerySet[Any], columns: Sequence[Column]
                    ) -> StreamingHttpResponse | FileResponse:
    """A list's queryset as CSV or Excel, read `CHUNK` rows at a time."""
    return rows_export_response(fmt, filename, [c.header for c in columns], _rows(qs, columns))


# --- The lists' columns -----------------------------------------------------------------------------------------

def _labels(choices: Any) -> dict[str, str]:
    return {str(value): str(label) for value, label in choices.choices}


ORDER_COLUMNS = (
    Column("Order number", "number"),
    Column("Status", "status", _labels(OrderStatus)),
    Column("Kind", "kind", _labels(OrderKind)),
    Column("Customer", "customer__company_name"),
    Column("Tenant", "tenant__default_domain"),
    Column("Reseller", "reseller__name"),
    Column("Marketplace", "marketplace__name"),
    Column("Currency", "currency"),
    Column("Placed", "created_at"),
    Column("Completed", "completed_at"),
    Column("Failure reason", "failure_reason"),
)

SUBSCRIPTION_COLUMNS = (
    Column("Subscription", "name"),
    Column("Partner Center subscription id", "pc_subscription_id"),
    Column("Partner Center order id", "pc_order_id"),
    Column("Offer", "pc_offer_id"),
    Column("Customer", "customer__company_name"),
    Column("Reseller", "customer__reseller__name"),
    Column("Tenant", "tenant__default_domain"),
    Column("Instance", "tenant__instance__name"),
    Column("Product family", "product_family"),
    Column("Quantity", "quantity"),
    Column("Term", "term_duration"),
    Column("Billing cycle", "billing_cycle"),
    Column("Status", "status", _labels(SubscriptionStatus)),
    Column("Auto-renew", "auto_renew"),
    Column("Unit price", "order_line__unit_price"),
    Column("Currency", "order_line__currency"),
    Column("Start", "effective_start_date"),
    Column("Commitment end", "commitment_end_date"),
)

CUSTOMER_COLUMNS = (
    Column("Company", "company_name"),
    Column("Reseller", "reseller__name"),
    Column("Marketplace", "marketplace__name"),
    Column("Status", "status", _labels(CustomerStatus)),
    Column("Contact first name", "contact_first_name"),
    Column("Contact last name", "contact_last_name"),
    Column("Contact e-mail", "contact_email"),
    Column("Phone", "contact_phone"),
    Column("Address", "address_line1"),
    Column("City", "city"),
    Column("State", "state"),
    Column("Postal code", "postal_code"),
    Column("Country", "country"),
    Column("Since", "created_at"),
)
