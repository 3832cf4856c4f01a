from __future__ import annotations

import codecs
import csv
import io
import shutil
import tempfile
import zipfile
from collections.abc import Iterator

import requests

from .. import _parse
from .._transport import Transport
from ..errors import ConfigurationError, ResponseValidationError
from ..types import PriceSheetRow

_ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 64 * 1024


class PriceSheetsResource:
    """Price sheets from the Partner API host (App+User; a separate token audience)."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def iter_rows(
        self,
        *,
        market: str,
        view: str = "updatedlicensebased",
        timeline: str = "current",
        month: str | None = None,
        compressed: bool = False,
    ) -> Iterator[PriceSheetRow]:
        """Stream the price sheet CSV row by row; the file (tens of MB) is never held in memory.

        ``compressed=True`` asks for the zipped form (``Accept-Encoding: deflate``); the archive is spooled to a
        temporary file and its CSV member streamed from there.
        """
        base = self._t.price_sheet_base_url
        if not base:
            raise ConfigurationError("this Partner Center instance has no price-sheet (Partner API) host")
        path = f"/v1.0/sales/pricesheets(Market='{market}',PricesheetView='{view}')/$value"
        params = {"timeline": timeline}
        if month:
            params["month"] = month
        # Microsoft zips the sheet when the caller accepts deflate (requests' default does): say exactly what we want.
        headers = {"Accept": "*/*", "Accept-Encoding": "deflate" if compressed else "identity"}
        response = self._t.request(
            "GET",
            path,
            params=params,
            headers=headers,
            base_url=base,
            auth="price_sheet",
            stream=True,
            family="pricesheets",
            operation="get price sheet",
        )
        try:
            yield from _rows(response)
        finally:
            response.close()


def _rows(response: requests.Response) -> Iterator[PriceSheetRow]:
    raw = response.raw
    raw.decode_content = True
    head = raw.read(4)
    if head == _ZIP_MAGIC:
        yield from _zip_rows(head, response)
        return
    # Decode incrementally so a multi-byte character split across chunks stays intact.
    decoder = codecs.getincrementaldecoder("utf-8-sig")()

    def lines() -> Iterator[str]:
        pending = decoder.decode(head)
        for chunk in iter(lambda: raw.read(_CHUNK), b""):
            pending += decoder.decode(chunk)
            *complete, pending = pending.split("\n")
            for line in complete:
                yield line + "\n"
        pending += decoder.decode(b"", final=True)
        if pending:
            yield pending

    yield from _csv_rows(lines())


def _zip_rows(head: bytes, response: requests.Response) -> Iterator[PriceSheetRow]:
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        spool.write(head)
        shutil.copyfileobj(response.raw, spool, _CHUNK)
        spool.seek(0)
        with zipfile.ZipFile(spool) as archive:
            members = [n for n in archive.namelist() if not n.endswith("/")]
            if not members:
                raise ResponseValidationError("price sheet archive is empty")
            with archive.open(members[0]) as member:
                yield from _csv_rows(io.TextIOWrapper(member, encoding="utf-8-sig", newline=""))


def _fix_header_quotes(lines: Iterator[str] | io.TextIOWrapper) -> Iterator[str]:
    # Microsoft's sample header closes "ERP Price with a typographic quote, which would leave the CSV quote open
    # and swallow the following rows; header names never contain quotes, so straighten them there.
    first = True
    for line in lines:
        if first and line.strip():
            line = line.replace("\u201c", '"').replace("\u201d", '"')
            first = False
        yield line


def _csv_rows(lines: Iterator[str] | io.TextIOWrapper) -> Iterator[PriceSheetRow]:
    reader = csv.reader(_fix_header_quotes(lines))
    header: list[str] | None = None
    for values in reader:
        if not values or all(not v.strip() for v in values):
            continue
        if header is None:
            header = [_parse.normalize_csv_header(h) for h in values]
            continue
        yield _parse.price_sheet_row(header, values)
    if header is None:
        raise ResponseValidationError("price sheet is empty (no header row)")
