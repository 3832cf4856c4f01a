"""Catalog import benchmark: price sheet of N rows -> PostgreSQL, against a plain COPY of the same file.

Usage (needs PostgreSQL; creates and drops its own database ``<name>_bench``):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/catalog_bench .venv/bin/python bench/catalog_import.py [--rows N]

Prints for N and 4N, for one single-currency market (US) and one six-currency European market (DE):
rows/s of the first import (into an empty catalog: ``catalog.pricesheet.firstload``), of a no-change resync (digest
shortcut, and forced full diff), of a raw COPY of the file into an unindexed table (same run, faster of two
tries), the ratios, and the peak RSS of the process that ran the case or of its price-sheet reader process,
whichever is larger (each market x size case runs in its own process so the peak is not carried over from a
smaller or larger case).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def _peak_rss_mb() -> float:
    """Peak RSS of this process or of its largest child (the first import's price-sheet reader), whichever is more."""
    return max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=150_000)
    parser.add_argument("--markets", default="US,DE")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: one market:rows case in a child process
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    if args.case:
        market, rows = args.case.split(":")
        run_case(market, int(rows))
        return
    from django.test.utils import setup_databases, teardown_databases

    old = setup_databases(verbosity=0, interactive=False)
    try:
        # Each case runs in a fresh process on the bench database, so its peak RSS is its own (ru_maxrss never
        # goes down within a process).
        s = connection.settings_dict
        url = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        env = {**os.environ, "DATABASE_URL": url}
        print(HEADER, flush=True)
        for market in args.markets.split(","):
            for rows in (args.rows, 4 * args.rows):
                subprocess.run([sys.executable, __file__, "--case", f"{market}:{rows}"], env=env, check=True)
    finally:
        connection.close()
        teardown_databases(old, verbosity=0)
    print("Goals: import/COPY >= 0.33 (aim 0.5); first/resync(sc) >= 3; peak RSS flat from N to 4N.")


HEADER = (
    f"{'market':6} {'rows':>8} {'MB':>6} {'COPY r/s':>10} {'import r/s':>11} {'ratio':>6} "
    f"{'resync(sc) r/s':>15} {'first/sc':>8} {'resync(full) r/s':>17} {'first/full':>10} {'peak RSS MB':>11}"
)


def _raw_copy_seconds(path: Path) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_copy")
        cursor.execute("CREATE TABLE bench_raw_copy (" + ", ".join(f"c{i} text" for i in range(18)) + ")")
        start = time.perf_counter()
        copy_sql = "COPY bench_raw_copy FROM STDIN (FORMAT csv, HEADER true)"
        with open(path, "rb") as fh, cursor.copy(copy_sql) as copy:
            for chunk in iter(functools.partial(fh.read, 1024 * 1024), b""):
                copy.write(chunk)
        seconds = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_raw_copy")
    return seconds


def run_case(market: str, rows: int) -> None:

    from catalog.services import pricesheet_import_file
    from partnercenter.simulator import catalog_data as cd
    from partnercenter.simulator.pricesheet import write_pricesheet
    from tests.factories.bss import PartnerCenterInstanceFactory

    at = dt.date(2025, 6, 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{market}-{rows}.csv"
        write_pricesheet(path, cd.catalog_for_market(market), rows=rows, effective_date=at)
        size_mb = path.stat().st_size / 1e6
        os.sync()  # the generated file is on disk: its write-back does not slow what is timed next
        # raw COPY of the same file into an unindexed table, same database, same run; the faster of two tries,
        # so the baseline is never flattered by a slow first pass
        copy_s = min(_raw_copy_seconds(path) for _ in range(2))
        instance = PartnerCenterInstanceFactory(name=f"bench {market} {rows}")
        start = time.perf_counter()
        first = pricesheet_import_file(instance=instance, market=market, path=path)
        first_s = time.perf_counter() - start
        assert first.status == "succeeded", first.error
        start = time.perf_counter()
        again = pricesheet_import_file(instance=instance, market=market, path=path)
        shortcut_s = time.perf_counter() - start
        start = time.perf_counter()
        full = pricesheet_import_file(instance=instance, market=market, path=path, allow_shortcut=False)
        full_s = time.perf_counter() - start
        assert again.change_count == 0 and full.change_count == 0, (again.change_count, full.change_count)
        assert again.shortcut and not full.shortcut
        print(f"{market:6} {rows:>8} {size_mb:>6.1f} {rows / copy_s:>10.0f} {rows / first_s:>11.0f} "
              f"{copy_s / first_s:>6.2f} {rows / shortcut_s:>15.0f} {first_s / shortcut_s:>8.1f} "
              f"{rows / full_s:>17.0f} {first_s / full_s:>10.2f} {_peak_rss_mb():>11.0f}", flush=True)


if __name__ == "__main__":
    main()
