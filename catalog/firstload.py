
"""First import of a price-list file into an empty catalog (PostgreSQL): streamed straight into the catalog.

When an instance+market has no catalog yet there is nothing to compare with, so the staging table and the
set-based diff (``catalog.staging`` + ``catalog.diff``) only cost time: every row would be copied twice more
before it lands. Here a reader process (``catalog.firstload_worker``) parses and validates the CSV (same rules and
messages as the staged path) and spools it as COPY text, one batch at a time; this process COPYs each batch's new
products, "added" change rows, SKUs and prices straight into their tables while the reader works on the next one.
Primary keys are reserved here from the tables' sequences and granted to the reader.

Memory is bounded by the batch size, not the sheet. The load assumes what Microsoft's sheets do: a product's
rows come together and no price key is listed twice. A sheet that breaks either trips a unique constraint
(``catalog_product_unique``, ``catalog_sku_unique``, ``catalog_price_one_current_per_key``); the load then rolls
back to its savepoint and returns ``None``, and the caller stages the sheet instead, which takes any order and
keeps the latest of repeated rows.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from catalog.choices import ChangeKind, Lifecycle, ProductType, RunSource
from catalog.firstload_worker import CHANGE_COLUMNS, PRICE_COLUMNS, PRODUCT_COLUMNS, SKU_COLUMNS, spooled_name
from catalog.models import CatalogChange, CatalogSyncRun, Price, Product, Sku
from catalog.staging import PriceSheetError

BATCH = 20_000
FIRST_BATCH = 1_000  # the reader's first batch is small so the COPYs start early
AHEAD = 3  # batches the reader may spool before this process has written them
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


class _Reader:
    """The reader process (``catalog.firstload_worker.main``), its spool folder and its id grants."""

    def __init__(self) -> None:
        self.spool = tempfile.mkdtemp(prefix="cspbss-catalog-")
        self.errors: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        # The worker imports only the standard library and catalog.sheetformat: no site-packages (-S, a faster
        # start), the project put on its path explicitly.
        code = (f"import sys; sys.path.insert(0, {str(settings.BASE_DIR)!r}); "
                "from catalog.firstload_worker import main; sys.exit(main())")
        self.process = subprocess.Popen(
            [sys.executable, "-S", "-c", code], cwd=settings.BASE_DIR, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.errors, text=True, encoding="utf-8", bufsize=1,
        )

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self, job: dict[str, Any]) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')::regclass::oid, "
                           "pg_get_serial_sequence(%s, 'id')::regclass::oid",
                           [Product._meta.db_table, Sku._meta.db_table])
            product_sequence, sku_sequence = cursor.fetchone()
        self.sequences = {"product": product_sequence, "sku": sku_sequence}
        # The job carries a first grant the size of the reader's first batch: cheap, so the reader is not kept
        # waiting; it asks for the larger grants after that batch.
        first = {kind: self.reserve(kind, job["first_batch"]) for kind in self.sequences}
        self.send({**job, "spool": self.spool, "ids": first})

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # the reader has stopped: messages() reports why
            self.process.stdin.write(json.dumps(message) + "\n")

    def grant(self, kind: str) -> None:
        self.send({"ids": {kind: self.reserve(kind, 2 * BATCH)}})

    def reserve(self, kind: str, count: int) -> list[list[int]]:
        """Ids from the table's own sequence (safe beside anything else inserting rows), as [start, stop) ranges."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT ARRAY(SELECT nextval(%s::oid) FROM generate_series(1, %s))",
                           [self.sequences[kind], count])
            ids = cursor.fetchone()[0]
        ranges: list[list[int]] = []
        for pk in ids:  # almost always one range: only a concurrent insert splits it
            if ranges and ranges[-1][1] == pk:
                ranges[-1][1] = pk + 1
            else:
                ranges.append([pk, pk + 1])
        return ranges

    def messages(self) -> Iterator[dict[str, Any]]:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            yield json.loads(line)
        self.process.wait()
        self.errors.seek(0)
        detail = self.errors.read().decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"the price-sheet reader stopped (exit code {self.process.returncode}): {detail[0]}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                with contextlib.suppress(BrokenPipeError):  # the reader ended before reading all sent to it
                    pipe.close()
        self.errors.close()
        shutil.rmtree(self.spool, ignore_errors=True)


def _job(run: CatalogSyncRun, path: str | Path) -> dict[str, Any]:
    return {
        "path": os.path.abspath(path), "market": run.market.upper(), "instance_id": run.instance_id, "run_id": run.pk,
        "batch": BATCH, "first_batch": FIRST_BATCH, "ahead": AHEAD,
        "active": Lifecycle.ACTIVE.value, "added": ChangeKind.ADDED.value,
        "product_type": ProductType.ONLINE_SERVICES_NCE.value,
    }


def _copy_batch(spool: str, message: dict[str, Any]) -> None:
    path = os.path.join(spool, spooled_name(message["batch"]))
    with open(path, "rb") as spooled, connection.cursor() as cursor:
        for sql, size in zip(SECTIONS, message["sizes"], strict=True):
            if size:
                with cursor.copy(sql) as copy:
                    copy.write(spooled.read(size))
    os.unlink(path)


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
        with _Reader() as reader, transaction.atomic():
            reader.start(_job(run, path))
            for message in reader.messages():
                if "need_ids" in message:
                    reader.grant(message["need_ids"])
                elif "batch" in message:
                    _copy_batch(reader.spool, message)
                    reader.send({"ack": message["batch"]})
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
