"""The price-sheet reader process: reads, validates and formats a price sheet as COPY text (framework-free).

``pricesheet.reader`` runs this module's ``main`` in a Python process of its own. The reader does all the per-row
Python work (CSV parsing, validation, formatting) and spools finished batches to files; the importing process
streams them into PostgreSQL meanwhile. Only the standard library and ``catalog.pricesheet.format`` are imported, so
the process starts in a few milliseconds. Two modes:

* ``catalog`` (a first import): products, "added" change rows, SKUs and prices, numbered with primary keys the
  importer reserves from the tables' own sequences and grants (so this process needs no database);
* ``stage``: every row typed, in the columns of the staging table (``catalog.pricesheet.staging.TYPED_COLUMNS``).

Protocol, one JSON object per line:

* importer -> worker (stdin): the job first (``catalog.pricesheet.reader.SheetReader.start``), then id grants
  ``{"ids": {"product"|"sku": [[start, stop], ...]}}`` (mode ``catalog``) and acks ``{"ack": n}`` (batch n is in
  the database);
* worker -> importer (stdout): ``{"need_ids": "product"|"sku"}`` when a grant runs low, ``{"batch": n, "sizes":
  [...], "rows_read", "prices"}`` per batch spooled as ``spooled_name(n)`` (sections: products, changes, SKUs,
  prices; or the staged rows), then ``{"done": rows}`` or ``{"error": {"message", "row", "column"}}`` (the sheet
  breaks the format; nothing is to be applied).

At most ``ahead`` batches wait in the spool: memory and disk do not grow with the sheet.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator
from itertools import chain
from operator import itemgetter
from typing import IO, Any

from catalog.pricesheet.format import (
    BILLING_PLAN_TO_CYCLE,
    COLUMNS,
    KNOWN_CURRENCIES,
    NUM_RE,
    TERM_RE,
    SheetFormatError,
    check_price,
    family_for_title,
    map_header,
    parse_us_datetime,
    plain_price_matcher,
)

# Column order of the COPY text per table (``catalog.pricesheet.firstload`` names the tables).
# The timestamps (created, updated, first and last seen) are left to their database default, the COPY's time.
PRODUCT_COLUMNS = (
    "id", "instance_id", "market", "product_id", "title", "description", "product_type", "family", "segment",
    "is_addon", "publisher", "lifecycle", "last_seen_run_id", "first_seen_run_id",
)
CHANGE_COLUMNS = ("run_id", "kind", "product_id", "sku_id", "term_duration", "billing_cycle", "currency",
                  "affected_subscriptions")
SKU_COLUMNS = (
    "id", "product_id", "sku_id", "title", "description", "min_quantity", "max_quantity", "is_trial", "segment",
    "is_addon", "prerequisite_skus", "supported_billing_cycles", "lifecycle", "last_seen_run_id", "first_seen_run_id",
)
PRICE_COLUMNS = (
    "sku_id", "term_duration", "billing_cycle", "currency", "unit_price", "erp_price", "tier_min", "tier_max",
    "effective_start", "effective_end", "is_current", "run_id",
)

_PLAN_KEYS = {plan.lower().replace(" ", ""): cycle for plan, cycle in BILLING_PLAN_TO_CYCLE.items()}
_NULL = "\\N"  # NULL in COPY's text format
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_UNSEEN = object()
#: columns the parser reads, in this order (optional ones may be missing from the header)
_READ = ("product_code", "sku_code", "term_duration", "billing_plan", "market", "currency", "unit_price",
         "erp_price", "tier_min", "tier_max", "effective_start", "effective_end", "product_title", "sku_title",
         "publisher", "sku_description")


def spooled_name(batch: int) -> str:
    """File name of a spooled batch in the spool folder."""
    return f"{batch:06d}.copy"


def _escape(text: str) -> str:
    """A value for COPY's text format (translate only when needed: it is slow)."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_COPY_ESCAPES)
    return text


class _Channel:
    """The JSON-lines conversation with the importer."""

    def __init__(self, incoming: IO[str], outgoing: IO[str]) -> None:
        self.incoming = incoming
        self.outgoing = outgoing
        self.acked = 0
        self.on_ids: dict[str, Callable[[list[list[int]]], None]] = {}

    def send(self, **message: Any) -> None:
        self.outgoing.write(json.dumps(message) + "\n")
        self.outgoing.flush()

    def receive(self) -> dict[str, Any]:
        line = self.incoming.readline()
        if not line:  # the importer is gone (its transaction ended): nothing left to do
            raise SystemExit(0)
        message = json.loads(line)
        for kind, ranges in message.get("ids", {}).items():
            self.on_ids[kind](ranges)
        self.acked = max(self.acked, message.get("ack", 0))
        return message


class _Ids:
    """Primary keys of one table, granted by the importer as ranges, handed out in order."""

    def __init__(self, kind: str, channel: _Channel, *, ahead: int) -> None:
        self.kind = kind
        self.channel = channel
        self.batches_of_slack = ahead + 1
        self.ranges: deque[tuple[int, int]] = deque()
        self.next = self.stop = self.left = self.left_before = 0
        self.asked = False
        channel.on_ids[kind] = self.grant

    def grant(self, ranges: list[list[int]]) -> None:
        for start, stop in ranges:
            self.ranges.append((start, stop))
            self.left += stop - start
            self.left_before += stop - start
        self.asked = False

    def take(self) -> int:
        if self.next == self.stop:
            while not self.ranges:  # dry: the grant asked for at the last batch is on its way
                self.ask()
                self.channel.receive()
            self.next, self.stop = self.ranges.popleft()
        value = self.next
        self.next += 1
        self.left -= 1
        return value

    def top_up(self) -> None:
        """Between batches: ask for more while enough are left for the batches the importer has yet to write
        (``ahead`` + 1 at the rate of the last one), so the reader does not wait for its grant."""
        used, self.left_before = self.left_before - self.left, self.left
        if self.left < self.batches_of_slack * used:
            self.ask()

    def ask(self) -> None:
        if not self.asked:
            self.asked = True
            self.channel.send(need_ids=self.kind)


class _Batch:
    """One slice of the sheet as COPY text lines, per table (mode ``stage``: the typed rows, in ``prices``)."""

    def __init__(self) -> None:
        self.rows_read = 0
        self.products: list[str] = []
        self.changes: list[str] = []
        self.skus: list[str] = []
        self.prices: list[str] = []


class _Parser:
    """Reads, validates and types the sheet (same rules and messages as ``catalog.pricesheet.staging``) into batches.

    A new product or SKU is one whose id differs from the previous row's: Microsoft lists a product's rows
    together. A sheet that does not (a SKU listed again further down) trips the unique constraint on products or
    SKUs when written, and the importer falls back to staging, which takes any order.
    """

    def __init__(self, names: list[str | None], job: dict[str, Any], products: _Ids | None, skus: _Ids | None,
                 ) -> None:
        self.width = len(names)
        at = {name: i for i, name in enumerate(names) if name is not None}
        self.get = itemgetter(*(at.get(name, self.width) for name in _READ))  # missing -> the "" appended
        self.pad = any(name not in at for name in _READ)
        self.market = job["market"]
        self.product_ids = products
        self.sku_ids = skus
        self.batch_size = job["batch"]
        self.first_batch = job["first_batch"]
        self.stage = job["mode"] == "stage"
        if not self.stage:  # the catalog rows' constant columns around the per-row values
            run, active = job["run_id"], job["active"]
            self.product_line = (f"{{pk}}\t{job['instance_id']}\t{self.market}\t{{code}}\t{{title}}\t\t"
                                 f"{job['product_type']}\t{{family}}\t\tf\t{{publisher}}\t{active}\t{run}\t{run}\n")
            self.change_line = f"{run}\t{job['added']}\t{{}}\t{_NULL}\t\t\t\t0\n"
            self.sku_line = (f"{{pk}}\t{{product}}\t{{code}}\t{{title}}\t{{description}}\t1\t0\tf\t\tf\t[]\t[]\t"
                             f"{active}\t{run}\t{run}\n")
            self.price_tail = f"\tt\t{run}\n"
        # raw -> ("term\tcycle\tcurrency", the currency's plain-price test, currency)
        self.combos: dict[tuple[str, str, str, str], tuple[str, Callable[[str], object], str]] = {}
        self.dates: dict[str, str | None] = {}  # raw -> ISO text (None: open end)

    def combo(self, row: int, term_raw: str, plan_raw: str, market_raw: str, currency_raw: str,
              ) -> tuple[str, Callable[[str], object], str]:
        term = term_raw.strip().upper()
        if not TERM_RE.match(term):
            raise SheetFormatError(f"unknown term duration {term!r}", row=row, column="TermDuration")
        plan = plan_raw.strip()
        cycle = _PLAN_KEYS.get(plan.lower().replace(" ", ""))
        if cycle is None:
            raise SheetFormatError(f"unknown billing plan {plan!r}", row=row, column="BillingPlan")
        market = market_raw.strip().upper()
        if market != self.market:
            raise SheetFormatError(f"market {market!r} does not match the run's market {self.market}", row=row,
                                   column="Market")
        currency = currency_raw.strip().upper()
        if currency not in KNOWN_CURRENCIES:
            raise SheetFormatError(f"unknown currency {currency!r}", row=row, column="Currency")
        found = self.combos[(term_raw, plan_raw, market_raw, currency_raw)] = (
            f"{term}\t{cycle}\t{currency}", plain_price_matcher(currency), currency)
        return found

    def date(self, row: int, raw: str, name: str) -> str | None:
        try:
            parsed = parse_us_datetime(raw)
        except ValueError:
            raise SheetFormatError(f"{raw.strip()!r} is not a date like 4/1/2025 12:00:00 AM", row=row,
                                   column=COLUMNS[name]) from None
        text = None if parsed is None else parsed.isoformat(" ")
        if len(self.dates) < 4096:  # a sheet has a handful of distinct dates; never let the cache grow with N
            self.dates[raw] = text
        return text

    @staticmethod
    def number(row: int, raw: str, name: str) -> str:
        text = raw.strip()
        if not text:
            raise SheetFormatError("value is empty", row=row, column=COLUMNS[name])
        if not NUM_RE.match(text):
            raise SheetFormatError(f"{text!r} is not a number", row=row, column=COLUMNS[name])
        return text

    def batches(self, reader: Iterator[list[str]]) -> Iterator[_Batch]:
        get, width, pad, combos, dates, number_of = self.get, self.width, self.pad, self.combos, self.dates, self.number
        is_number = NUM_RE.match
        stage = self.stage
        if not stage:
            assert self.product_ids is not None and self.sku_ids is not None
            take_product, take_sku = self.product_ids.take, self.sku_ids.take
            product_line, change_line, sku_line, price_tail = (self.product_line, self.change_line, self.sku_line,
                                                               self.price_tail)
        product = sku = product_raw = sku_raw = None
        product_pk = sku_pk = row = 0
        texts: tuple[str, ...] = ()  # stage: the raw text values behind ``head``
        head = ""  # stage: the row's ids and texts as COPY text
        # A small first batch gets the importer writing early; batches then grow no faster than the importer
        # writes them (its COPYs take a little longer per row than parsing), so it never waits for the next one.
        limit = self.first_batch
        batch = _Batch()
        prices = batch.prices
        try:
            for values in reader:
                if not values:
                    continue
                row += 1
                if len(values) != width:
                    raise SheetFormatError(
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
                        raise SheetFormatError("value is empty", row=row,
                                               column=COLUMNS["sku_code" if code else "product_code"])
                    if stage:
                        product = code
                        sku = sku_code
                        texts = ()
                    elif code != product:
                        product = code
                        product_pk = take_product()
                        title = product_title.strip()[:255]
                        batch.products.append(product_line.format(
                            pk=product_pk, code=_escape(code), title=_escape(title),
                            family=_escape(family_for_title(title)), publisher=_escape(publisher.strip()[:120])))
                        batch.changes.append(change_line.format(product_pk))
                        sku = None
                    if not stage and sku_code != sku:
                        sku = sku_code
                        sku_pk = take_sku()
                        batch.skus.append(sku_line.format(
                            pk=sku_pk, product=product_pk, code=_escape(sku_code),
                            title=_escape(sku_title.strip()[:255]), description=_escape(description.strip())))
                terms, is_plain_price, currency = combos.get((term_raw, plan_raw, market_raw, currency_raw)) or \
                    self.combo(row, term_raw, plan_raw, market_raw, currency_raw)
                if not is_plain_price(unit_price):  # the price rule of every path: catalog.pricesheet.format
                    unit_price = check_price(unit_price, currency, row=row, column="UnitPrice")
                if not is_plain_price(erp_price):
                    erp_price = check_price(erp_price, currency, row=row, column="ERP Price")
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
                    raise SheetFormatError("start date missing", row=row, column="EffectiveStartDate")
                end = dates.get(end_raw, _UNSEEN)
                if end is _UNSEEN:
                    end = self.date(row, end_raw, "effective_end")
                if not stage:
                    prices.append(f"{sku_pk}\t{terms}\t{unit_price}\t{erp_price}\t{tier_min}\t{tier_max}\t{start}\t"
                                  f"{end or _NULL}{price_tail}")
                else:  # every row as it is (staging keeps the latest of repeated keys), in TYPED_COLUMNS order
                    if (product_title, sku_title, publisher, description) != texts:
                        assert product is not None and sku is not None  # set by the first row (ids always change)
                        texts = (product_title, sku_title, publisher, description)
                        head = (f"{_escape(product)}\t{_escape(sku)}\t{_escape(product_title.strip()[:255])}\t"
                                f"{_escape(sku_title.strip()[:255])}\t{_escape(publisher.strip()[:120])}\t"
                                f"{_escape(description.strip())}")
                    prices.append(f"{row}\t{head}\t{terms}\t{unit_price}\t{erp_price}\t{tier_min}\t{tier_max}\t"
                                  f"{start}\t{end or _NULL}\n")
                if len(prices) >= limit:
                    batch.rows_read = row
                    yield batch
                    batch = _Batch()
                    prices = batch.prices
                    limit = min(self.batch_size, limit + limit // 4)
        except csv.Error as exc:
            raise SheetFormatError(f"malformed CSV ({exc}); is the file truncated?", row=row + 1) from None
        except UnicodeDecodeError:
            raise SheetFormatError("the file is not UTF-8 text", row=row + 1) from None
        if row == 0:
            raise SheetFormatError("the price sheet has no rows (empty or truncated download)")
        if prices:
            batch.rows_read = row
            yield batch


def _records(text: Iterator[str], width: int) -> Iterator[list[str]]:
    """The CSV records after the header, read as the csv module would, only faster.

    A line that is plainly one record, every value quoted and none containing a quote (how Microsoft writes the
    sheet) or no quote at all, is split directly: a third of the csv module's time. Any other line (escaped
    quotes, a value spanning lines, stray quoting, a wrong value count) goes through the csv module, which reads on
    from the same lines, so the records and the errors are the ones it gives.
    """
    quoted = 2 * width
    for line in text:
        body = line.rstrip("\r\n")
        quotes = body.count('"')
        if quotes == quoted and body[:1] == '"' and body[-1:] == '"':
            values = body[1:-1].split('","')
            if len(values) == width:  # so no value holds a quote: every one was exactly "..."
                yield values
                continue
        elif quotes == 0 and body:
            values = body.split(",")
            if len(values) == width:
                yield values
                continue
        yield next(csv.reader(chain([line], text), strict=True), [])


def _read(stream: IO[bytes], job: dict[str, Any], channel: _Channel) -> Iterator[_Batch]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        header = next(csv.reader(text, strict=True), None)
    except UnicodeDecodeError:
        raise SheetFormatError("the file is not UTF-8 text (its header row cannot be read)") from None
    except csv.Error as exc:
        raise SheetFormatError(f"unreadable header ({exc})") from None
    if not header or not "".join(header).strip():
        raise SheetFormatError("the file is empty (no header row)")
    if job["mode"] == "stage":
        yield from _Parser(map_header(header), job, None, None).batches(_records(text, len(header)))
        return
    products, skus = _Ids("product", channel, ahead=job["ahead"]), _Ids("sku", channel, ahead=job["ahead"])
    products.grant(job["ids"]["product"])
    skus.grant(job["ids"]["sku"])
    for batch in _Parser(map_header(header), job, products, skus).batches(_records(text, len(header))):
        yield batch
        products.top_up()
        skus.top_up()


def run(job: dict[str, Any], channel: _Channel) -> int:
    """Spool the sheet's batches for the importer; returns the number of data rows read."""
    rows = 0
    with open(job["path"], "rb") as stream:
        for number, batch in enumerate(_read(stream, job, channel), start=1):
            while number - channel.acked > job["ahead"]:  # bounded run-ahead: wait for the importer
                channel.receive()
            sections = (batch.prices,) if job["mode"] == "stage" else (
                batch.products, batch.changes, batch.skus, batch.prices)
            blobs = ["".join(lines).encode() for lines in sections]
            with open(os.path.join(job["spool"], spooled_name(number)), "wb") as spooled:
                for blob in blobs:
                    spooled.write(blob)
            channel.send(batch=number, sizes=[len(blob) for blob in blobs], rows_read=batch.rows_read,
                         prices=len(batch.prices))
            rows = batch.rows_read
    return rows


def main() -> int:
    channel = _Channel(sys.stdin, sys.stdout)
    job = json.loads(sys.stdin.readline())
    try:
        rows = run(job, channel)
    except SheetFormatError as exc:
        channel.send(error={"message": exc.message, "row": exc.row, "column": exc.column})
    else:
        channel.send(done=rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
