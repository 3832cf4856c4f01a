"""Streaming generator of Microsoft's new-commerce licence-based price sheet (``updatedlicensebased`` view).

The CSV has exactly the 18 documented columns, every value double-quoted, dates in US format
(``4/1/2025 12:00:00 AM``), ``Tags`` = ``License``. Rows come from a :class:`~.catalog_data.MarketCatalog`
(prices in effect at ``effective_date``, in every requested currency); with ``rows=N`` the sheet has exactly
``N`` data rows: the catalog rows first, then realistic synthetic products (ids starting with ``SIM9``) until
``N`` is reached, generated one row at a time so a sheet of any size never sits in memory.

Framework-free: imports only the simulator's own ``catalog_data``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path

from .catalog_data import (
    BILLING_PLAN_LABEL,
    CATALOG_EPOCH,
    END_OF_TIME,
    FX_RATES,
    ID_ALPHABET,
    PUBLISHER,
    TERM_BILLING_CYCLES,
    MarketCatalog,
    local_monthly_erp,
    opaque_id,
    period_prices,
)

#: The 18 documented columns, in order.
PRICESHEET_COLUMNS: tuple[str, ...] = (
    "ProductTitle", "ProductId", "SkuId", "SkuTitle", "Publisher", "SkuDescription", "UnitOfMeasure",
    "TermDuration", "BillingPlan", "Market", "Currency", "UnitPrice", "PricingTierRangeMin",
    "PricingTierRangeMax", "EffectiveStartDate", "EffectiveEndDate", "Tags", "ERP Price",
)
NEWLINE = "\r\n"


def format_us_datetime(value: dt.datetime) -> str:
    """``2/1/2019 12:00:00 AM`` style (M/D/YYYY h:mm:ss AM|PM)."""
    hour = value.hour % 12 or 12
    half = "AM" if value.hour < 12 else "PM"
    return f"{value.month}/{value.day}/{value.year} {hour}:{value.minute:02d}:{value.second:02d} {half}"


def format_decimal(value: Decimal | None) -> str:
    """``72``, ``57.6``, ``7.2``, ``0`` (no trailing zeros, no exponent)."""
    if value is None:
        return ""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def csv_line(values: Iterable[str], newline: str = NEWLINE) -> str:
    return ",".join(_quote(v) for v in values) + newline


def header_line(newline: str = NEWLINE) -> str:
    return csv_line(PRICESHEET_COLUMNS, newline)


def _as_datetime(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def _catalog_rows(catalog: MarketCatalog, market: str, currencies: tuple[str, ...],
                  at: dt.datetime) -> Iterator[tuple[str, ...]]:
    for price in catalog.prices_in_effect(at, currencies=currencies):
        product = catalog.products[price.product_id]
        sku = catalog.skus[(price.product_id, price.sku_id)]
        yield (
            product.title, product.id, sku.id, sku.title, product.publisher, sku.description, "",
            price.term_duration, BILLING_PLAN_LABEL[price.billing_cycle], market, price.currency,
            format_decimal(price.unit_price), format_decimal(price.tier_min), format_decimal(price.tier_max),
            format_us_datetime(price.effective_start), format_us_datetime(price.effective_end), "License",
            format_decimal(price.erp_price),
        )


# Synthetic padding: realistic product families and variants.
_PAD_FAMILIES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Windows 365 Enterprise", ("2 vCPU, 4 GB, 64 GB", "2 vCPU, 8 GB, 128 GB", "4 vCPU, 16 GB, 256 GB",
                                "8 vCPU, 32 GB, 512 GB", "16 vCPU, 64 GB, 1 TB"), ("", " (Hybrid Benefit)")),
    ("Dynamics 365", ("Sales Professional", "Marketing", "Project Operations", "Supply Chain Management",
                      "Human Resources", "Commerce", "Customer Insights", "Guides", "Remote Assist"),
     ("", " Attach", " Device", " Additional Capacity")),
    ("Microsoft 365", ("F1", "F3", "A1", "A5", "G3", "E5 Security", "E5 Compliance", "Apps for enterprise"),
     ("", " (Education Faculty Pricing)", " (Nonprofit Staff Pricing)", " (Government Pricing)")),
    ("Microsoft Defender", ("for Endpoint P1", "for Endpoint P2", "for Office 365 (Plan 1)",
                            "for Office 365 (Plan 2)", "for Identity", "for Cloud Apps", "Vulnerability Management"),
     ("", " Add-on")),
    ("Power", ("Apps per app", "Automate Premium", "Automate Process", "Pages authenticated users",
               "BI Pro", "Virtual Agents"), ("", " (Education Pricing)", " Capacity add-on")),
    ("Microsoft Teams", ("Rooms Basic", "Rooms Pro", "Shared Devices", "Domestic Calling Plan",
                         "International Calling Plan", "Audio Conferencing Pay-Per-Minute"), ("", " (NCE)")),
    ("Project", ("Plan 1", "Plan 3", "Plan 5", "Online Essentials"), ("", " for faculty", " for nonprofits")),
)
_PAD_DESCRIPTIONS = (
    "Cloud service licensed per user.",
    "Add capacity to an existing subscription.",
    "Per-device licence for shared workstations.",
    "Includes apps, services and device management for frontline workers.",
    "Advanced security and compliance capabilities.",
)
_PAD_TERM_SETS: tuple[tuple[str, ...], ...] = (("P1M", "P1Y"), ("P1M", "P1Y"), ("P1Y",), ("P1M", "P1Y", "P3Y"))


def _padding_rows(market: str, currencies: tuple[str, ...], seed: str) -> Iterator[tuple[str, ...]]:
    """Endless, deterministic stream of synthetic price rows (ids ``SIM9xxxxxxxx``)."""
    rng = random.Random(f"pad:{market}:{seed}")
    start = format_us_datetime(CATALOG_EPOCH)
    end = format_us_datetime(END_OF_TIME)
    index = 0
    while True:
        index += 1
        family, variants, suffixes = _PAD_FAMILIES[rng.randrange(len(_PAD_FAMILIES))]
        title = f"{family} {rng.choice(variants)}{rng.choice(suffixes)}"
        product_id = "SIM9" + opaque_id(f"pad:{market}:{seed}:{index}", 8, ID_ALPHABET)
        description = rng.choice(_PAD_DESCRIPTIONS)
        terms = rng.choice(_PAD_TERM_SETS)
        erp_usd = Decimal(rng.randrange(100, 40000)) / 100
        for sku_number in range(1, rng.randint(1, 3) + 1):
            sku_id = f"{sku_number:04d}"
            sku_title = title if sku_number == 1 else f"{title} - SKU {sku_number}"
            sku_erp = erp_usd * (1 + Decimal(sku_number - 1) / 4)
            for duration in terms:
                for cycle in TERM_BILLING_CYCLES[duration]:
                    for currency in currencies:
                        unit, erp = period_prices(local_monthly_erp(sku_erp, currency), duration, cycle)
                        yield (
                            title, product_id, sku_id, sku_title, PUBLISHER, description, "", duration,
                            BILLING_PLAN_LABEL[cycle], market, currency, format_decimal(unit), "", "",
                            start, end, "License", format_decimal(erp),
                        )


def iter_pricesheet_rows(
    catalog: MarketCatalog,
    *,
    market: str | None = None,
    rows: int | None = None,
    currencies: Iterable[str] | None = None,
    effective_date: dt.date | dt.datetime,
    padding_seed: str = "0",
) -> Iterator[tuple[str, ...]]:
    """Data rows (tuples of 18 strings, no header); exactly ``rows`` of them when given."""
    market_code = (market or catalog.market).upper()
    wanted = tuple(currencies) if currencies is not None else catalog.currencies
    for code in wanted:
        if code not in FX_RATES:
            raise ValueError(f"unknown currency {code!r}")
    at = _as_datetime(effective_date)
    if rows is not None and rows < 0:
        raise ValueError("rows must be >= 0")
    count = 0
    for row in _catalog_rows(catalog, market_code, wanted, at):
        if rows is not None and count >= rows:
            return
        yield row
        count += 1
    if rows is None:
        return
    for row in _padding_rows(market_code, wanted, padding_seed):
        if count >= rows:
            return
        yield row
        count += 1


def iter_pricesheet_lines(
    catalog: MarketCatalog,
    *,
    market: str | None = None,
    rows: int | None = None,
    currencies: Iterable[str] | None = None,
    effective_date: dt.date | dt.datetime,
    newline: str = NEWLINE,
    padding_seed: str = "0",
) -> Iterator[str]:
    """CSV text lines (header first, each ending with ``newline``) of the price sheet for ``market``.

    ``currencies`` defaults to the market's price-sheet currencies (six for European markets). ``rows=N`` gives
    exactly N data rows (catalog rows, then synthetic padding). Deterministic for the same inputs.
    """
    yield header_line(newline)
    for row in iter_pricesheet_rows(catalog, market=market, rows=rows, currencies=currencies,
                                    effective_date=effective_date, padding_seed=padding_seed):
        yield csv_line(row, newline)


def iter_pricesheet_chunks(*args: object, chunk_size: int = 64 * 1024, **kwargs: object) -> Iterator[bytes]:
    """UTF-8 chunks of about ``chunk_size`` bytes (for streaming HTTP responses); same arguments as the lines."""
    buffer: list[str] = []
    size = 0
    for line in iter_pricesheet_lines(*args, **kwargs):  # type: ignore[arg-type]
        buffer.append(line)
        size += len(line)
        if size >= chunk_size:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()


def write_pricesheet(path: str | Path, catalog: MarketCatalog, **kwargs: object) -> int:
    """Write the sheet to ``path`` (streaming); returns the number of data rows written."""
    count = -1
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for line in iter_pricesheet_lines(catalog, **kwargs):  # type: ignore[arg-type]
            fh.write(line)
            count += 1
    return count


class _Sink:
    """A write-only, non-seekable byte sink that ``zipfile`` writes into and the generator drains."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def drain(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def iter_zipped(chunks: Iterable[bytes], member_name: str) -> Iterator[bytes]:
    """The CSV ``chunks`` as a zip archive with one deflated member, streamed (what Microsoft sends when the
    caller asks with ``Accept-Encoding: deflate``)."""
    import zipfile

    sink = _Sink()
    with (
        zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open(member_name, "w", force_zip64=True) as member,
    ):
        for chunk in chunks:
            member.write(chunk)
            data = sink.drain()
            if data:
                yield data
    tail = sink.drain()
    if tail:
        yield tail
