"""Price-sheet download: the 18 documented columns of the new-commerce licence-based price list as CSV.

Rows come from ``pricesheet.py`` (owned by the catalog engineer) when present, otherwise from the
simulator's built-in catalog.
"""

from __future__ import annotations

import csv
import importlib
import io
from collections.abc import Iterable, Iterator
from typing import Any

from .catalog import Catalog, iter_builtin_pricesheet_rows

COLUMNS = (
    "ProductTitle", "ProductId", "SkuId", "SkuTitle", "Publisher", "SkuDescription", "UnitOfMeasure",
    "TermDuration", "BillingPlan", "Market", "Currency", "UnitPrice", "PricingTierRangeMin",
    "PricingTierRangeMax", "EffectiveStartDate", "EffectiveEndDate", "Tags", "ERP Price",
)


def _csv_lines(rows: Iterable[dict[str, Any] | list[Any] | tuple[Any, ...]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        values = [row.get(c, "") for c in COLUMNS] if isinstance(row, dict) else list(row)
        writer.writerow(values)
        if buffer.tell() > 65536:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def pricesheet_lines(catalog: Catalog, market: str, *, month: str | None = None) -> Iterator[bytes]:
    external = _external_generator()
    if external is not None:
        return external(market=market, month=catalog.month)
    return _csv_lines(iter_builtin_pricesheet_rows(market))


def _external_generator() -> Any:
    try:
        module = importlib.import_module("partnercenter.simulator.pricesheet")
    except ImportError:
        return None
    return getattr(module, "simulator_pricesheet_bytes", None)
