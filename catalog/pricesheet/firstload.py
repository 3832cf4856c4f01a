
"""First import of a price-list file into an empty catalog (PostgreSQL): streamed straight into the catalog.

When an instance+market has no catalog yet there is nothing to compare with, so the staging table and the
set-based diff (``pricesheet.staging`` + ``pricesheet.diff``) only cost time: every row would be copied twice more
before it lands. Here the price-sheet reader process (``catalog.pricesheet.reader``, mode ``catalog``) parses and
validates the CSV (the rules and messages of every path) and spools it as COPY text, one batch at a time; this
process COPYs each batch's new products, "added" change rows, SKUs and prices straight into their tables while
the reader works on the next one. Primary keys are reserved from the tables' sequences and granted to the reader.

Memory is bounded by the batch size, not the sheet. The load assumes what Microsoft's sheets do: a product's
rows come together and no price key is listed twice. A sheet that breaks either trips a unique constraint
(``catalog_product_unique``, ``catalog_sku_unique``, ``catalog_price_one_current_per_key``); the load then rolls
back to its savepoint and returns ``None``, and the caller stages the sheet instead, which takes any order and
keeps the latest of repeated rows.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import IntegrityError, connection, transaction

from catalog.choices import ChangeKind, Lifecycle, ProductType, RunSource
from catalog.models import CatalogChange, CatalogSyncRun, Price, Product, Sku
from catalog.pricesheet.reader import SheetReader
from catalog.pricesheet.staging import PriceSheetError
from catalog.pricesheet.worker import CHANGE_COLUMNS, PRICE_COLUMNS, PRODUCT_COLUMNS, SKU_COLUMNS

#: Sections of a spooled batch, in the order the reader writes them (sizes come in its message).
SECTIONS = tuple(
    f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    for model, columns in ((Product, PRODUCT_COLUMNS), (CatalogChange, CHANGE_COLUMNS), (Sku, SKU_COLUMNS),
                           (Price, PRICE_COLUMNS))
)


def is_first_import(run: CatalogSyncRun) -> bool:
    """A price-list file into an instance+market without any catalog yet, on PostgreSQL (which has COPY)."""
    return (
        run.source == RunSource.FILE and connection.vendor == "postgresql"
        and not Product.objects.filter(instance_id=run.instance_id, market=run.market).exists()
    )


def _job(run: CatalogSyncRun, path: str | Path) -> dict[str, Any]:
    return {
        "mode": "catalog", "path": os.path.abspath(path), "market": run.market.upper(),
        "instance_id": run.instance_id, "run_id": run.pk, "active": Lifecycle.ACTIVE.value,
        "added": ChangeKind.ADDED.value, "product_type": ProductType.ONLINE_SERVICES_NCE.value,
    }


def load_first_import(run: CatalogSyncRun, path: str | Path, progress: Callable[[int], None]) -> int | None:
    """Load the price-list file at ``path`` into the (empty) catalog of the run's instance+market (PostgreSQL).

    Creates the products and SKUs with their "added" change rows, and the prices (timestamps: the database's
    defaults, the time of each COPY). Returns the number of prices written and sets ``run.rows_read``; ``None``
    when the sheet repeats a price key or does not list a product's rows together (everything of this load is
    rolled back; stage the sheet instead). Raises ``PriceSheetError``.
    Call inside the run's apply transaction, after ``is_first_import`` said yes under the instance lock.
    """
    import psycopg  # only reached on PostgreSQL; its COPY errors come unwrapped by Django

    written = 0
    try:
        with SheetReader() as reader, transaction.atomic():
            reader.start(_job(run, path))
            for message in reader.messages():
                if "need_ids" in message:
                    reader.grant(message["need_ids"])
                elif "batch" in message:
                    reader.copy(message, SECTIONS)
                    written += message["prices"]
                    run.rows_read = message["rows_read"]
                    progress(run.rows_read)
                elif "error" in message:
                    raise PriceSheetError(**message["error"])
                else:
                    run.rows_read = message["done"]
                    break
    except (IntegrityError, psycopg.IntegrityError):
        return None
    return written
