"""Downloads of the back office's lists: CSV streamed row by row, Excel written to a temporary file by openpyxl in
write-only mode and then streamed. Both read the rows from a queryset's `.iterator(chunk_size=...)`, so a list of
100,000 rows is never held in memory. A text cell starting with =, +, - or @ gets a leading apostrophe, so that a
spreadsheet reads it as text rather than as a formula (spreadsheet formula injection)."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 2000
FORMULA_STARTS = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], object]


def safe_cell(value: object) -> object:
    """The value as a spreadsheet may read it: numbers and dates as they are, text that would start a formula
    behind an apostrophe."""
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date | dt.datetime):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _rows(qs: QuerySet[Any], columns: Sequence[Column]) -> Iterator[list[object]]:
    for obj in qs.iterator(chunk_size=CHUNK):
        yield [safe_cell(column.value(obj)) for column in columns]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, qs: QuerySet[Any], columns: Sequence[Column]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow([c.header for c in columns])  # BOM: Excel opens it as UTF-8
        for row in _rows(qs, columns):
            yield writer.writerow(["" if v is None else _text(v) for v in row])

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


def xlsx_response(filename: str, qs: QuerySet[Any], columns: Sequence[Column]) -> FileResponse:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=filename[:31])
    sheet.append([c.header for c in columns])
    for row in _rows(qs, columns):
        sheet.append([_xlsx_value(v) for v in row])
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    book.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX)


def export_response(fmt: str, filename: str, qs: QuerySet[Any], columns: Sequence[Column]
                    ) -> StreamingHttpResponse | FileResponse:
    if fmt == "csv":
        return csv_response(filename, qs, columns)
    if fmt == "xlsx":
        return xlsx_response(filename, qs, columns)
    raise Http404("Unknown export format.")


def attr(path: str) -> Callable[[Any], object]:
    """A column reading `a.b.c` (None along the way gives None)."""

    def read(obj: Any) -> object:
        for name in path.split("."):
            obj = getattr(obj, name, None)
            if obj is None:
                return None
        return obj

    return read


def display(name: str) -> Callable[[Model], object]:
    return lambda obj: getattr(obj, f"get_{name}_display")()


# --- The lists' columns -----------------------------------------------------------------------------------------

ORDER_COLUMNS = (
    Column("Order number", attr("number")),
    Column("Status", display("status")),
    Column("Kind", display("kind")),
    Column("Customer", attr("customer.company_name")),
    Column("Tenant", attr("tenant.default_domain")),
    Column("Reseller", attr("reseller.name")),
    Column("Marketplace", attr("marketplace.name")),
    Column("Currency", attr("currency")),
    Column("Placed", attr("created_at")),
    Column("Completed", attr("completed_at")),
    Column("Failure reason", attr("failure_reason")),
)

SUBSCRIPTION_COLUMNS = (
    Column("Subscription", attr("name")),
    Column("Partner Center subscription id", attr("pc_subscription_id")),
    Column("Partner Center order id", attr("pc_order_id")),
    Column("Offer", attr("pc_offer_id")),
    Column("Customer", attr("customer.company_name")),
    Column("Reseller", attr("customer.reseller.name")),
    Column("Tenant", attr("tenant.default_domain")),
    Column("Instance", attr("tenant.instance.name")),
    Column("Product family", attr("product_family")),
    Column("Quantity", attr("quantity")),
    Column("Term", attr("term_duration")),
    Column("Billing cycle", attr("billing_cycle")),
    Column("Status", display("status")),
    Column("Auto-renew", attr("auto_renew")),
    Column("Unit price", attr("order_line.unit_price")),
    Column("Currency", attr("order_line.currency")),
    Column("Start", attr("effective_start_date")),
    Column("Commitment end", attr("commitment_end_date")),
)

CUSTOMER_COLUMNS = (
    Column("Company", attr("company_name")),
    Column("Reseller", attr("reseller.name")),
    Column("Marketplace", attr("marketplace.name")),
    Column("Status", display("status")),
    Column("Contact first name", attr("contact_first_name")),
    Column("Contact last name", attr("contact_last_name")),
    Column("Contact e-mail", attr("contact_email")),
    Column("Phone", attr("contact_phone")),
    Column("Address", attr("address_line1")),
    Column("City", attr("city")),
    Column("State", attr("state")),
    Column("Postal code", attr("postal_code")),
    Column("Country", attr("country")),
    Column("Since", attr("created_at")),
)


def rows_of(columns: Iterable[Column], obj: Any) -> list[object]:
    return [safe_cell(c.value(obj)) for c in columns]
