
"""First import of a price-list file into an empty catalog (PostgreSQL): streamed straight into the catalog.

When an instance+market has no catalog yet there is nothing to compare with, so the staging table and the
set-based diff (``catalog.staging`` + ``catalog.diff``) only cost time: every row would be copied twice more
before it lands. Here the CSV is read and validated in Python (same rules and messages as the staged path), one
batch at a time, and each batch's new products, SKUs, "added" change rows and prices are COPYed straight into
their tables, with primary keys reserved from the tables' sequences first.

(A parser thread beside the writer was measured and dropped: with the GIL shared, the two did not overlap.)

Memory is bounded by the batch size, not the sheet. The load assumes what Microsoft's sheets do: a product's
rows come together and no price key is listed twice. A sheet that breaks either trips a unique constraint
(``catalog_product_unique``, ``catalog_sku_unique``, ``catalog_price_one_current_per_key``); the load then rolls
back to its savepoint and returns ``None``, and the caller stages the sheet instead, which takes any order and
keeps the latest of repeated rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import IO, Any

from django.db import IntegrityError, connection, transaction

from catalog.choices import (
    BILLING_PLAN_TO_CYCLE,
    KNOWN_CURRENCIES,
    ChangeKind,
    Lifecycle,
    RunSource,
    family_for_title,
)
from catalog.models import CatalogChange, CatalogSyncRun, Price, Product, Sku
from catalog.staging import _NUM_RE, _TERM_RE, COLUMNS, PriceSheetError, map_header, parse_us_datetime

BATCH = 20_000
PRODUCT_COLUMNS = (
    "id", "instance_id", "market", "product_id", "title", "description", "product_type", "family", "segment",
    "is_addon", "publisher", "lifecycle", "first_seen_at", "last_seen_at", "last_seen_run_id", "first_seen_run_id",
    "created_at", "updated_at",
)
SKU_COLUMNS = (
    "id", "product_id", "sku_id", "title", "description", "min_quantity", "max_quantity", "is_trial", "segment",
    "is_addon", "prerequisite_skus", "supported_billing_cycles", "lifecycle", "first_seen_at", "last_seen_at",
    "last_seen_run_id", "first_seen_run_id", "created_at", "updated_at",
)
CHANGE_COLUMNS = ("run_id", "kind", "product_id", "sku_id", "term_duration", "billing_cycle", "currency",
                  "affected_subscriptions")
PRICE_COLUMNS = (
    "sku_id", "term_duration", "billing_cycle", "currency", "unit_price", "erp_price", "tier_min", "tier_max",
    "effective_start", "effective_end", "is_current", "run_id",
)
_PLAN_KEYS = {plan.lower().replace(" ", ""): cycle for plan, cycle in BILLING_PLAN_TO_CYCLE.items()}
_NULL = "\\N"  # NULL in COPY's text format
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_UNSEEN = object()


def _escape(text: str) -> str:
    """A value for COPY's text format (translate only when needed: it is slow)."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_COPY_ESCAPES)
    return text


#: columns the parser reads, in this order (optional ones may be missing from the header)
_READ = ("product_code", "sku_code", "term_duration", "billing_plan", "market", "currency", "unit_price",
         "erp_price", "tier_min", "tier_max", "effective_start", "effective_end", "product_title", "sku_title",
         "publisher", "sku_description")


def is_first_import(run: CatalogSyncRun) -> bool:
    """A price-list file into an instance+market without any catalog yet, on PostgreSQL (which has COPY)."""
    return (
        run.source == RunSource.FILE and connection.vendor == "postgresql"
        and not Product.objects.filter(instance_id=run.instance_id, market=run.market).exists()
    )


@dataclass
class _Batch:
    """One slice of the sheet as COPY text tails (the primary keys are prepended by the writer).

    Products and SKUs are numbered in order of appearance (ordinals, counted over the whole sheet).
    """

    rows_read: int
    first_product: int
    first_sku: int
    products: list[str] = field(default_factory=list)  # ordinal = first_product + index
    skus: list[tuple[int, str]] = field(default_factory=list)  # (product ordinal, tail); ordinal = first_sku + index
    prices: list[tuple[int, str]] = field(default_factory=list)  # (SKU ordinal, tail)


class _Parser:
    """Reads, validates and types the sheet (same rules and messages as ``catalog.staging``) into batches.

    A new product or SKU is one whose id differs from the previous row's: Microsoft lists a product's rows
    together. A sheet that does not (a SKU listed again further down) trips the unique constraint on products or
    SKUs when written, and the caller falls back to staging, which takes any order.
    """

    def __init__(self, names: list[str | None], *, run: CatalogSyncRun, now: dt.datetime) -> None:
        self.width = len(names)
        at = {name: i for i, name in enumerate(names) if name is not None}
        self.get = itemgetter(*(at.get(name, self.width) for name in _READ))  # missing -> the "" appended
        self.pad = any(name not in at for name in _READ)
        self.market = run.market.upper()
        stamp = now.isoformat(" ")
        self.product_tail = (f"{run.instance_id}\t{self.market}\t{{code}}\t{{title}}\t\tOnlineServicesNCE\t"
                             f"{{family}}\t\tf\t{{publisher}}\t{Lifecycle.ACTIVE}\t{stamp}\t{stamp}\t{run.pk}\t{run.pk}\t"
                             f"{stamp}\t{stamp}\n")
        self.sku_tail = (f"{{code}}\t{{title}}\t{{description}}\t1\t0\tf\t\tf\t[]\t[]\t{Lifecycle.ACTIVE}\t{stamp}\t"
                         f"{stamp}\t{run.pk}\t{run.pk}\t{stamp}\t{stamp}\n")
        self.price_tail = f"\tt\t{run.pk}\n"
        self.combos: dict[tuple[str, str, str, str], str] = {}  # raw -> "term\tcycle\tcurrency"
        self.dates: dict[str, str | None] = {}  # raw -> ISO text (None: open end)

    def combo(self, row: int, term_raw: str, plan_raw: str, market_raw: str, currency_raw: str) -> str:
        term = term_raw.strip().upper()
        if not _TERM_RE.match(term):
            raise PriceSheetError(f"unknown term duration {term!r}", row=row, column="TermDuration")
        plan = plan_raw.strip()
        cycle = _PLAN_KEYS.get(plan.lower().replace(" ", ""))
        if cycle is None:
            raise PriceSheetError(f"unknown billing plan {plan!r}", row=row, column="BillingPlan")
        market = market_raw.strip().upper()
        if market != self.market:
            raise PriceSheetError(f"market {market!r} does not match the run's market {self.market}", row=row,
                                  column="Market")
        currency = currency_raw.strip().upper()
        if currency not in KNOWN_CURRENCIES:
            raise PriceSheetError(f"unknown currency {currency!r}", row=row, column="Currency")
        found = self.combos[(term_raw, plan_raw, market_raw, currency_raw)] = f"{term}\t{cycle}\t{currency}"
        return found

    def date(self, row: int, raw: str, name: str) -> str | None:
        try:
            parsed = parse_us_datetime(raw)
        except ValueError:
            raise PriceSheetError(f"{raw.strip()!r} is not a date like 4/1/2025 12:00:00 AM", row=row,
                                  column=COLUMNS[name]) from None
        text = None if parsed is None else parsed.isoformat(" ")
        if len(self.dates) < 4096:  # a sheet has a handful of distinct dates; never let the cache grow with N
            self.dates[raw] = text
        return text

    @staticmethod
    def number(row: int, raw: str, name: str) -> str:
        text = raw.strip()
        if not text:
            raise PriceSheetError("value is empty", row=row, column=COLUMNS[name])
        if not _NUM_RE.match(text):
            raise PriceSheetError(f"{text!r} is not a number", row=row, column=COLUMNS[name])
        return text

    def batches(self, reader: Iterator[list[str]]) -> Iterator[_Batch]:
        get, width, pad, combos, dates, number_of = self.get, self.width, self.pad, self.combos, self.dates, self.number
        is_number = _NUM_RE.match
        product = sku = product_raw = sku_raw = None
        products = skus = row = 0
        batch = _Batch(rows_read=0, first_product=1, first_sku=1)
        prices = batch.prices
        try:
            for values in reader:
                if not values:
                    continue
                row += 1
                if len(values) != width:
                    raise PriceSheetError(
                        f"expected {width} values, found {len(values)} (malformed or truncated row)", row=row
                    )
                if pad:
                    values.append("")
                (code, sku_code, term_raw, plan_raw, market_raw, currency_raw, unit_price, erp_price, tier_min,
                 tier_max, start_raw, end_raw, product_title, sku_title, publisher, description) = get(values)
                if code != product_raw or sku_code != sku_raw:  # the previous row's ids are valid already
                    product_raw, sku_raw = code, sku_code
                    code, sku_code = code.strip(), sku_code.strip()
                    if not code or not sku_code:
                        raise PriceSheetError("value is empty", row=row,
                                              column=COLUMNS["sku_code" if code else "product_code"])
                    if code != product:
                        product = code
                        products += 1
                        title = product_title.strip()[:255]
                        batch.products.append(self.product_tail.format(
                            code=_escape(code), title=_escape(title), family=_escape(family_for_title(title)),
                            publisher=_escape(publisher.strip()[:120])))
                        sku = None
                    if sku_code != sku:
                        sku = sku_code
                        skus += 1
                        batch.skus.append((products, self.sku_tail.format(
                            code=_escape(sku_code), title=_escape(sku_title.strip()[:255]),
                            description=_escape(description.strip()))))
                terms = combos.get((term_raw, plan_raw, market_raw, currency_raw)) or self.combo(
                    row, term_raw, plan_raw, market_raw, currency_raw)
                if not is_number(unit_price):
                    unit_price = number_of(row, unit_price, "unit_price")
                if not is_number(erp_price):
                    erp_price = number_of(row, erp_price, "erp_price")
                if not tier_min:
                    tier_min = _NULL
                elif not is_number(tier_min):
                    tier_min = number_of(row, tier_min, "tier_min") if tier_min.strip() else _NULL
                if not tier_max:
                    tier_max = _NULL
                elif not is_number(tier_max):
                    tier_max = number_of(row, tier_max, "tier_max") if tier_max.strip() else _NULL
                start = dates.get(start_raw, _UNSEEN)
                if start is _UNSEEN:
                    start = self.date(row, start_raw, "effective_start")
                if start is None:
                    raise PriceSheetError("start date missing", row=row, column="EffectiveStartDate")
                end = dates.get(end_raw, _UNSEEN)
                if end is _UNSEEN:
                    end = self.date(row, end_raw, "effective_end")
                prices.append((skus, f"\t{terms}\t{unit_price}\t{erp_price}\t{tier_min}\t{tier_max}\t{start}\t"
                                     f"{end or _NULL}{self.price_tail}"))
                if len(prices) >= BATCH:
                    batch.rows_read = row
                    yield batch
                    batch = _Batch(rows_read=row, first_product=products + 1, first_sku=skus + 1)
                    prices = batch.prices
        except csv.Error as exc:
            raise PriceSheetError(f"malformed CSV ({exc}); is the file truncated?", row=row + 1) from None
        except UnicodeDecodeError:
            raise PriceSheetError("the file is not UTF-8 text", row=row + 1) from None
        if row == 0:
            raise PriceSheetError("the price sheet has no rows (empty or truncated download)")
        if prices:
            batch.rows_read = row
            yield batch


def _batches(stream: IO[bytes], *, run: CatalogSyncRun, now: dt.datetime) -> Iterator[_Batch]:
    reader = csv.reader(io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""), strict=True)
    try:
        header = next(reader, None)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise PriceSheetError(f"unreadable header ({exc})") from None
    if not header or not "".join(header).strip():
        raise PriceSheetError("the file is empty (no header row)")
    yield from _Parser(map_header(header), run=run, now=now).batches(reader)


def _copy_sql(model: type[Any], columns: tuple[str, ...]) -> str:
    return f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"


class _Writer:
    """COPYs each batch's products, "added" change rows, SKUs and prices, with ids reserved up front."""

    def __init__(self, run: CatalogSyncRun) -> None:
        self.run = run
        self.product_pks: dict[int, int] = {}  # ordinal -> pk: this batch's, plus the last one of the batch before
        self.sku_pks: dict[int, int] = {}
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')::regclass::oid, "
                           "pg_get_serial_sequence(%s, 'id')::regclass::oid",
                           [Product._meta.db_table, Sku._meta.db_table])
            self.sequences = cursor.fetchone()

    @staticmethod
    def _number(pks: dict[int, int], first: int, ids: list[int]) -> dict[int, int]:
        numbered = {first - 1: pks[first - 1]} if first - 1 in pks else {}
        numbered.update(zip(range(first, first + len(ids)), ids, strict=True))
        return numbered

    def write(self, batch: _Batch) -> None:
        with connection.cursor() as cursor:
            # primary keys from the tables' own sequences: safe beside anything else inserting products/SKUs
            cursor.execute(
                "SELECT ARRAY(SELECT nextval(%s::oid) FROM generate_series(1, %s)), "
                "ARRAY(SELECT nextval(%s::oid) FROM generate_series(1, %s))",
                [self.sequences[0], len(batch.products), self.sequences[1], len(batch.skus)],
            )
            product_ids, sku_ids = cursor.fetchone()
            self.product_pks = product_pks = self._number(self.product_pks, batch.first_product, product_ids)
            self.sku_pks = sku_pks = self._number(self.sku_pks, batch.first_sku, sku_ids)
            if product_ids:
                with cursor.copy(_copy_sql(Product, PRODUCT_COLUMNS)) as copy:
                    copy.write("".join([f"{pk}\t{tail}" for pk, tail in zip(product_ids, batch.products,
                                                                             strict=True)]))
                added = f"{self.run.pk}\t{ChangeKind.ADDED}\t{{}}\t{_NULL}\t\t\t\t0\n"
                with cursor.copy(_copy_sql(CatalogChange, CHANGE_COLUMNS)) as copy:
                    copy.write("".join([added.format(pk) for pk in product_ids]))
            if sku_ids:
                with cursor.copy(_copy_sql(Sku, SKU_COLUMNS)) as copy:
                    copy.write("".join([f"{pk}\t{product_pks[product]}\t{tail}"
                                        for pk, (product, tail) in zip(sku_ids, batch.skus, strict=True)]))
            with cursor.copy(_copy_sql(Price, PRICE_COLUMNS)) as copy:
                copy.write("".join([f"{sku_pks[sku]}{tail}" for sku, tail in batch.prices]))


def load_first_import(
    run: CatalogSyncRun, stream: IO[bytes], now: dt.datetime, progress: Callable[[int], None]
) -> int | None:
    """Load the price sheet of ``stream`` into the (empty) catalog of the run's instance+market (PostgreSQL).

    Creates the products and SKUs with their "added" change rows, and the prices. Returns the number of prices
    written and sets ``run.rows_read``; ``None`` when the sheet repeats a price key or does not list a product's
    rows together (everything of this load is rolled back; stage the sheet instead). Raises ``PriceSheetError``.
    Call inside the run's apply transaction, after ``is_first_import`` said yes under the instance lock.
    """
    import psycopg  # only reached on PostgreSQL; its COPY errors come unwrapped by Django

    writer = _Writer(run)
    written = 0
    try:
        with transaction.atomic():
            for batch in _batches(stream, run=run, now=now):
                writer.write(batch)
                written += len(batch.prices)
                run.rows_read = batch.rows_read
                progress(batch.rows_read)
    except (IntegrityError, psycopg.IntegrityError):
        return None
    return written
