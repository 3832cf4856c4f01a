"""CSV (streamed) and Excel (openpyxl, write-only: rows go to the file as they come) downloads of table rows."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> object:
    if isinstance(value, Decimal | int | float | dt.date | dt.datetime) or value is None:
        return value
    text = str(value)
    # A leading =, +, - or @ would be read as a formula by a spreadsheet: keep it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([_cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(filename: str, sheet: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> FileResponse:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    table = book.create_sheet(title=sheet[:31])
    table.append(list(header))
    for row in rows:
        table.append([_xlsx_cell(v) for v in row])
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    book.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX)


def _xlsx_cell(value: object) -> object:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return _cell(value)


def table_response(fmt: str, name: str, header: Sequence[str], rows: Iterable[Sequence[object]]
                   ) -> StreamingHttpResponse | FileResponse:
    if fmt == "xlsx":
        return xlsx_response(f"{name}.xlsx", name, header, rows)
    return csv_response(f"{name}.csv", header, rows)
