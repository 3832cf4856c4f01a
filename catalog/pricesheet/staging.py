# ruff: noqa: S608 - identifiers in the SQL are module constants (table names); values are always bound parameters
"""Loading a price sheet into a per-connection staging table, validated, typed and de-duplicated.

Two loaders feed the same staging table ``catalog_stage`` (a TEMP table: no indexes, no WAL, private to the
connection that runs the import):

* ``load_csv`` reads a price-list file. On PostgreSQL the price-sheet reader process (``catalog.pricesheet.reader``,
  mode ``stage``) parses and validates it on a core of its own (first bad row/column reported) while its typed
  batches are COPYed in; elsewhere (SQLite) rows are parsed and validated here and inserted in batches.
* ``load_rows`` takes the Partner Center client's parsed rows (``partnercenter.types.PriceSheetRow``), validates
  them in Python and COPYs (PostgreSQL) or batch-inserts them.

Nothing is held in memory beyond one chunk/batch. A duplicated price key keeps the row with the latest
``EffectiveStartDate`` (Microsoft's rule for corrections).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from itertools import islice
from pathlib import Path
from typing import IO, Any

from django.db import connection

from bss.exceptions import ApplicationError
from catalog.models import HeldPrice
from catalog.pricesheet import format as sheetformat
from catalog.pricesheet.format import (
    BILLING_PLAN_TO_CYCLE,
    COLUMNS,
    KNOWN_CURRENCIES,
    SheetFormatError,
    parse_us_datetime,
)
from catalog.pricesheet.format import NUM_RE as _NUM_RE
from catalog.pricesheet.format import TERM_RE as _TERM_RE
from catalog.pricesheet.reader import SheetReader

STAGE = "catalog_stage"
STAGE_TYPED = "catalog_stage_t"
CHUNK = 1024 * 1024
BATCH = 5000
PROGRESS_EVERY = 20000

TYPED_COLUMNS = (
    "line_no", "product_code", "sku_code", "product_title", "sku_title", "publisher", "sku_description",
    "term_duration", "billing_cycle", "currency", "unit_price", "erp_price", "tier_min", "tier_max",
    "effective_start", "effective_end",
)


def tune_for_bulk() -> None:
    """Give the current transaction room to sort/hash a whole price sheet in memory (PostgreSQL; no-op elsewhere)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")


class PriceSheetError(ApplicationError):
    """The price sheet cannot be used; nothing of the run is applied."""

    code = "catalog_price_sheet_invalid"

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None) -> None:
        where = ", ".join(p for p in (f"row {row}" if row else "", f"column {column}" if column else "") if p)
        super().__init__(f"{where}: {message}" if where else message, extra={"row": row, "column": column})
        self.row = row
        self.column = column

    @classmethod
    def of(cls, exc: SheetFormatError) -> PriceSheetError:
        return cls(exc.message, row=exc.row, column=exc.column)


def map_header(header: list[str]) -> list[str | None]:
    """Internal column name per position (None for extra columns); raises on a missing required column."""
    try:
        return sheetformat.map_header(header)
    except SheetFormatError as exc:
        raise PriceSheetError.of(exc) from None


def _decimal(value: str | None, column: str, row: int, *, required: bool) -> Decimal | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise PriceSheetError("value is empty", row=row, column=COLUMNS[column])
        return None
    if not _NUM_RE.match(text):
        raise PriceSheetError(f"{text!r} is not a number", row=row, column=COLUMNS[column])
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex already rejects it
        raise PriceSheetError(f"{text!r} is not a number", row=row, column=COLUMNS[column]) from None


def normalize_values(row: int, v: dict[str, Any], *, market: str) -> tuple[Any, ...]:
    """Validate one row (strings or already-typed client values) -> typed tuple in ``TYPED_COLUMNS`` order."""
    for name in ("product_code", "sku_code"):
        if not str(v.get(name) or "").strip():
            raise PriceSheetError("value is empty", row=row, column=COLUMNS[name])
    term = str(v.get("term_duration") or "").strip().upper()
    if not _TERM_RE.match(term):
        raise PriceSheetError(f"unknown term duration {term!r}", row=row, column="TermDuration")
    plan = str(v.get("billing_plan") or "").strip()
    cycle = BILLING_PLAN_TO_CYCLE.get(plan.lower().replace(" ", ""))
    if cycle is None:
        raise PriceSheetError(f"unknown billing plan {plan!r}", row=row, column="BillingPlan")
    row_market = str(v.get("market") or "").strip().upper()
    if row_market != market:
        raise PriceSheetError(f"market {row_market!r} does not match the run's market {market}", row=row,
                              column="Market")
    currency = str(v.get("currency") or "").strip().upper()
    if currency not in KNOWN_CURRENCIES:
        raise PriceSheetError(f"unknown currency {currency!r}", row=row, column="Currency")
    prices: list[Decimal | None] = []
    try:  # the price rule of every path (the reader process too): catalog.pricesheet.format
        for name in ("unit_price", "erp_price"):
            value = v.get(name)
            prices.append(
                sheetformat.check_price_value(value, currency, row=row, column=COLUMNS[name])
                if isinstance(value, Decimal)
                else Decimal(sheetformat.check_price(str(value or ""), currency, row=row, column=COLUMNS[name]))
            )
    except SheetFormatError as exc:
        raise PriceSheetError.of(exc) from None
    for name in ("tier_min", "tier_max"):
        value = v.get(name)
        prices.append(value if isinstance(value, Decimal) else _decimal(value, name, row, required=False))
    dates: list[dt.datetime | None] = []
    for name in ("effective_start", "effective_end"):
        value = v.get(name)
        if isinstance(value, dt.datetime):
            dates.append(None if value.year >= 9999 else value)
            continue
        try:
            dates.append(parse_us_datetime(str(value or "")))
        except ValueError:
            raise PriceSheetError(f"{value!r} is not a date like 4/1/2025 12:00:00 AM", row=row,
                                  column=COLUMNS[name]) from None
    if dates[0] is None:
        raise PriceSheetError("start date missing", row=row, column="EffectiveStartDate")
    return (
        row, str(v["product_code"]).strip(), str(v["sku_code"]).strip(), str(v.get("product_title") or "")[:255],
        str(v.get("sku_title") or "")[:255], str(v.get("publisher") or "")[:120], str(v.get("sku_description") or ""),
        term, cycle, currency, prices[0], prices[1], prices[2], prices[3], dates[0], dates[1],
    )


class Stager:
    """Owns the staging tables of one run on the current connection."""

    def __init__(self, *, market: str, progress: Callable[[int], None] | None = None) -> None:
        self.market = market.upper()
        self.progress = progress or (lambda rows: None)
        self.rows_read = 0
        self.digest = hashlib.sha256()
        self.is_postgres = connection.vendor == "postgresql"

    # --- tables ------------------------------------------------------------------------------------------
    def _typed_ddl(self, table: str) -> str:
        ts = "timestamptz" if self.is_postgres else "datetime"
        return (
            f"CREATE TEMP TABLE {table} (line_no bigint, product_code text, sku_code text, product_title text, "
            "sku_title text, publisher text, sku_description text, term_duration text, billing_cycle text, "
            "currency text, unit_price numeric, erp_price numeric, tier_min numeric, tier_max numeric, "
            f"effective_start {ts}, effective_end {ts})"
        )

    def drop(self) -> None:
        with connection.cursor() as cursor:
            for table in (STAGE_TYPED, STAGE, "catalog_stage_k"):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")

    # --- loaders -----------------------------------------------------------------------------------------
    def load_csv(self, path: str | Path) -> None:
        """Stage the price-list file at ``path``: on PostgreSQL through the reader process, elsewhere in Python."""
        self.drop()
        tune_for_bulk()
        if self.is_postgres:
            self._read_in_reader_process(path)
            return
        with open(path, "rb") as stream:
            first = stream.readline()
            try:
                header_text = codecs.decode(first, "utf-8-sig").strip("\r\n")
            except UnicodeDecodeError:  # same words as the reader process
                raise PriceSheetError("the file is not UTF-8 text (its header row cannot be read)") from None
            if not header_text.strip():
                raise PriceSheetError("the file is empty (no header row)")
            self._python_csv(stream, map_header(next(csv.reader([header_text]))))

    def load_rows(self, rows: Iterable[Any]) -> None:
        """Rows from ``partnercenter`` (``PriceSheetRow``); validated in Python."""
        self.drop()
        tune_for_bulk()
        with connection.cursor() as cursor:
            cursor.execute(self._typed_ddl(STAGE_TYPED))
        self._insert_typed(self._typed_from_client(rows))
        self._dedupe(STAGE_TYPED)

    def _typed_from_client(self, rows: Iterable[Any]) -> Iterator[tuple[Any, ...]]:
        for number, row in enumerate(rows, start=1):
            values = {
                "product_title": row.product_title, "product_code": row.product_id, "sku_code": row.sku_id,
                "sku_title": row.sku_title, "publisher": row.publisher, "sku_description": row.sku_description,
                "term_duration": row.term_duration, "billing_plan": row.billing_plan, "market": row.market,
                "currency": row.currency, "unit_price": row.unit_price, "erp_price": row.erp_price,
                "tier_min": row.pricing_tier_range_min, "tier_max": row.pricing_tier_range_max,
                "effective_start": row.effective_start_date, "effective_end": row.effective_end_date,
            }
            if values["unit_price"] is None:
                raise PriceSheetError("value is empty", row=number, column="UnitPrice")
            if values["erp_price"] is None:
                raise PriceSheetError("value is empty", row=number, column="ERP Price")
            if values["effective_start"] is None:
                raise PriceSheetError("value is empty", row=number, column="EffectiveStartDate")
            typed = normalize_values(number, values, market=self.market)
            self.digest.update(repr(typed[1:]).encode())
            yield typed

    def _python_csv(self, stream: IO[bytes], names: list[str | None]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(self._typed_ddl(STAGE_TYPED))
        width = len(names)

        def lines() -> Iterator[str]:
            decoder = codecs.getincrementaldecoder("utf-8")()
            pending = ""
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                pending += decoder.decode(chunk)
                *complete, pending = pending.split("\n")
                for line in complete:
                    yield line + "\n"
            pending += decoder.decode(b"", final=True)
            if pending:
                yield pending

        def typed() -> Iterator[tuple[Any, ...]]:
            reader = csv.reader(lines(), strict=True)
            number = 0
            try:
                for values in reader:
                    if not values:
                        continue
                    number += 1
                    if len(values) != width:
                        raise PriceSheetError(
                            f"expected {width} values, found {len(values)} (malformed or truncated row)", row=number
                        )
                    named = {name: value for name, value in zip(names, values, strict=True) if name is not None}
                    yield normalize_values(number, named, market=self.market)
            except csv.Error as exc:
                raise PriceSheetError(f"malformed CSV ({exc}); is the file truncated?", row=number + 1) from None
            except UnicodeDecodeError:  # same words as the reader process
                raise PriceSheetError("the file is not UTF-8 text", row=number + 1) from None

        self._insert_typed(typed())
        self._dedupe(STAGE_TYPED)

    def _insert_typed(self, rows: Iterator[tuple[Any, ...]]) -> None:
        columns = ", ".join(TYPED_COLUMNS)
        with connection.cursor() as cursor:
            if self.is_postgres:
                # One COPY per batch, never one COPY around the whole iterator: producing rows may use this same
                # connection (the Partner Center client stores a rotated refresh token when it signs in for the
                # price-sheet download), and a query issued while a COPY is open on the connection waits forever.
                while batch_rows := list(islice(rows, BATCH)):
                    with cursor.copy(f"COPY {STAGE_TYPED} ({columns}) FROM STDIN") as copy:
                        for row in batch_rows:
                            copy.write_row(row)
                    self._tick(len(batch_rows))
                return
            ops = connection.ops
            sql = f"INSERT INTO {STAGE_TYPED} ({columns}) VALUES ({', '.join(['%s'] * len(TYPED_COLUMNS))})"
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append((
                    *row[:10], *(None if d is None else str(d) for d in row[10:14]),
                    ops.adapt_datetimefield_value(row[14]), ops.adapt_datetimefield_value(row[15]),
                ))
                self._tick()
                if len(batch) >= BATCH:
                    cursor.executemany(sql, batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)

    def _tick(self, count: int = 1) -> None:
        before = self.rows_read
        self.rows_read += count
        if before // PROGRESS_EVERY != self.rows_read // PROGRESS_EVERY:
            self.progress(self.rows_read)

    def hold(self, run_id: int) -> None:
        """Keep the staged rows as ``HeldPrice`` rows of the run (it waits for a person's confirmation)."""
        columns = ", ".join(TYPED_COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {HeldPrice._meta.db_table} (run_id, {columns}) SELECT %s, {columns} "
                           f"FROM {STAGE}", [run_id])

    def load_held(self, run_id: int) -> None:
        """Stage the rows held for the run (``hold``) again, as they were."""
        self.drop()
        tune_for_bulk()
        columns = ", ".join(TYPED_COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(self._typed_ddl(STAGE))
            cursor.execute(f"INSERT INTO {STAGE} ({columns}) SELECT {columns} FROM {HeldPrice._meta.db_table} "
                           "WHERE run_id = %s", [run_id])
            cursor.execute(f"SELECT count(*) FROM {STAGE}")
            (self.rows_read,) = cursor.fetchone()
        if self.rows_read == 0:
            raise PriceSheetError("the price rows held for this run are gone")

    # --- PostgreSQL --------------------------------------------------------------------------------------
    def _read_in_reader_process(self, path: str | Path) -> None:
        """The reader process parses and validates the rows (its own core) while this one COPYs them in."""
        with connection.cursor() as cursor:
            cursor.execute(self._typed_ddl(STAGE_TYPED))
        statements = (f"COPY {STAGE_TYPED} ({', '.join(TYPED_COLUMNS)}) FROM STDIN",)
        with SheetReader() as reader:
            reader.start({"mode": "stage", "path": os.path.abspath(path), "market": self.market})
            for message in reader.messages():
                if "batch" in message:
                    reader.copy(message, statements)
                    self.rows_read = message["rows_read"]
                    self.progress(self.rows_read)
                elif "error" in message:
                    raise PriceSheetError(**message["error"])
                else:
                    self.rows_read = message["done"]
                    break
        self._dedupe(STAGE_TYPED)

    def _dedupe(self, source: str) -> None:
        """Materialize the typed rows as ``catalog_stage``, one row per price key (latest start date wins).

        Microsoft's sheets rarely repeat a key, so a hash aggregate first checks for duplicates; only then is the
        (sorting) window-function pass paid for.
        """
        columns = ", ".join(TYPED_COLUMNS)
        key = "product_code, sku_code, term_duration, billing_cycle, currency, coalesce(tier_min, -1)"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
            if source == STAGE_TYPED:
                cursor.execute(f"SELECT 1 FROM {STAGE_TYPED} GROUP BY {key} HAVING count(*) > 1 LIMIT 1")
                duplicates = cursor.fetchone() is not None
                if not duplicates:
                    cursor.execute(f"ALTER TABLE {STAGE_TYPED} RENAME TO {STAGE}")
            else:
                duplicates = True
            if duplicates:
                cursor.execute(
                    f"CREATE TEMP TABLE {STAGE} AS SELECT {columns} FROM (SELECT {columns}, ROW_NUMBER() OVER ("
                    f"PARTITION BY {key} ORDER BY effective_start DESC, line_no DESC) AS rn FROM {source} src) d "
                    "WHERE rn = 1"
                )
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE_TYPED}")
            cursor.execute(f"SELECT count(*) FROM {STAGE}")
            (count,) = cursor.fetchone()
        if count == 0:
            raise PriceSheetError("the price sheet has no rows (empty or truncated download)")

    @property
    def hexdigest(self) -> str:
        """Digest of the client rows ``load_rows`` staged (a file's digest is the file's own: ``_file_digest``)."""
        return self.digest.hexdigest()
