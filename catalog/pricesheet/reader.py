"""Running the price-sheet reader process (``catalog.pricesheet.worker``) and taking its batches.

The reader parses and validates a price-list file in a Python process of its own and spools COPY text; the
importing process streams the batches into PostgreSQL meanwhile, so parsing and writing use two cores (a thread
cannot: it shares the GIL, and measured, slowed the COPYs by as much as it saved). Two uses:

* ``pricesheet.firstload`` (mode ``catalog``): a first import, straight into the catalog tables, with primary keys
  granted here from the tables' sequences;
* ``catalog.pricesheet.staging`` (mode ``stage``): every other file import, typed rows into the staging table.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from django.conf import settings
from django.db import connection

from catalog.models import Product, Sku
from catalog.pricesheet.worker import spooled_name

BATCH = 20_000
FIRST_BATCH = 1_000  # the reader's first batch is small so the COPYs start early
AHEAD = 3  # batches the reader may spool before this process has written them


class SheetReader:
    """The reader process (``catalog.pricesheet.worker.main``), its spool folder and its id grants."""

    def __init__(self) -> None:
        self.spool = tempfile.mkdtemp(prefix="cspbss-catalog-")
        self.errors: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        # The worker imports only the standard library and catalog.pricesheet.format: no site-packages (-S, a faster
        # start), the project put on its path explicitly.
        code = (f"import sys; sys.path.insert(0, {str(settings.BASE_DIR)!r}); "
                "from catalog.pricesheet.worker import main; sys.exit(main())")
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-S", "-c", code], cwd=settings.BASE_DIR, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=self.errors, text=True, encoding="utf-8", bufsize=1,
            )
        except OSError:  # no process to close later: leave nothing behind (the run fails with the reason)
            self.errors.close()
            shutil.rmtree(self.spool, ignore_errors=True)
            raise

    def __enter__(self) -> SheetReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self, job: dict[str, Any]) -> None:
        """Send the job (see ``catalog.pricesheet.worker``); a ``catalog`` job carries a first id grant."""
        job = {"batch": BATCH, "first_batch": FIRST_BATCH, "ahead": AHEAD, **job, "spool": self.spool}
        if job["mode"] == "catalog":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')::regclass::oid, "
                               "pg_get_serial_sequence(%s, 'id')::regclass::oid",
                               [Product._meta.db_table, Sku._meta.db_table])
                product_sequence, sku_sequence = cursor.fetchone()
            self.sequences = {"product": product_sequence, "sku": sku_sequence}
            # The first grant is the size of the reader's first batch: cheap, so the reader is not kept waiting;
            # it asks for the larger grants after that batch.
            job["ids"] = {kind: self.reserve(kind, job["first_batch"]) for kind in self.sequences}
        self.send(job)

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

    def copy(self, message: dict[str, Any], statements: tuple[str, ...]) -> None:
        """COPY a spooled batch (one COPY statement per section), delete its file and tell the reader."""
        path = os.path.join(self.spool, spooled_name(message["batch"]))
        with open(path, "rb") as spooled, connection.cursor() as cursor:
            for sql, size in zip(statements, message["sizes"], strict=True):
                if size:
                    with cursor.copy(sql) as copy:
                        copy.write(spooled.read(size))
        os.unlink(path)
        self.send({"ack": message["batch"]})

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
