"""Azure usage import benchmark: N daily-rated usage rows (gzip JSON Lines in the shape of the simulator's usage
export, PascalCase columns) streamed into the database by ``reconciliation.usage.services.lines`` (gunzip, parse to
typed ``UsageLineItem``, COPY in batches, publish the generation), against a raw COPY of the same rows.

Usage (needs PostgreSQL; creates and drops its own database ``test_<name>``):
    DATABASE_URL=postgresql:///usage_bench .venv/bin/python bench/usage_import.py [--lines N]

Prints, for N/4 and N rows: import rows/s, the raw COPY rows/s of the same rows as COPY text into an unindexed table
of the same columns (faster of two tries), their ratio (goal >= 0.1: parsing JSON into Decimals and typed rows
is Python, COPY is C), and the peak RSS of the process (goal: flat from N/4 to N: nothing holds more than one
batch). The machine may be shared: the figures are noisy; the ratio, taken in the same run, is the one to compare.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import io
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

CATEGORIES = ("Virtual Machines", "Storage", "Bandwidth", "Azure App Service", "SQL Database", "Log Analytics")


def _row(n: int) -> dict[str, Any]:
    day = dt.date(2026, 10, 1) + dt.timedelta(days=n % 31)
    entitlement = str(uuid.UUID(int=(0xE1 << 120) | (n // 186)))
    quantity = round(1 + (n * 7919 % 10_000) / 100, 6)
    return {
        "PartnerId": "7d2e1f0a-4c8b-4d3e-8a71-2b3c4d5e6f12",
        "CustomerId": str(uuid.UUID(int=(0x7E << 120) | n // 1860)),
        "CustomerName": "Bench Customer", "InvoiceNumber": "", "ProductId": "DZH318Z0BPS6", "SkuId": "0001",
        "SkuName": "Microsoft Azure plan", "SubscriptionId": str(uuid.UUID(int=(0xA2 << 120) | n // 1860)),
        "ChargeStartDate": "2026-10-01T00:00:00Z", "ChargeEndDate": "2026-11-01T00:00:00Z",
        "UsageDate": f"{day.isoformat()}T00:00:00Z", "MeterType": "1 Hour", "MeterCategory": CATEGORIES[n % 6],
        "MeterId": str(uuid.UUID(int=(0x3E << 120) | n % 6)), "MeterSubCategory": "Dsv5 Series",
        "MeterName": "D2s v5", "MeterRegion": "US East", "Unit": "1 Hour", "ResourceLocation": "eastus",
        "ConsumedService": "Microsoft.Compute", "ResourceGroup": "rg-production",
        "ResourceURI": f"/subscriptions/{entitlement}/resourceGroups/rg-production/providers/Microsoft.Compute/vm",
        "ChargeType": "new", "UnitPrice": 0.096, "Quantity": quantity, "UnitType": "1 Hour",
        "BillingPreTaxTotal": round(quantity * 0.0816, 2), "BillingCurrency": "USD",
        "PricingPreTaxTotal": round(quantity * 0.0816, 2), "PricingCurrency": "USD", "EffectiveUnitPrice": 0.0816,
        "PCToBCExchangeRate": 1, "PCToBCExchangeRateDate": "2026-09-28T00:00:00Z", "EntitlementId": entitlement,
        "EntitlementDescription": "Production", "PartnerEarnedCreditPercentage": 15, "CreditPercentage": 0,
        "CreditType": "Credit Not Applied", "BenefitType": "",
    }


def write_file(path: Path, lines: int) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for n in range(lines):
            out.write(json.dumps(_row(n), separators=(",", ":")) + "\n")


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as raw:
        while chunk := raw.read(64 * 1024):
            yield chunk


def _raw_copy_seconds(import_pk: int) -> float:
    """The imported rows as COPY text into an unindexed table of the same columns (faster of two tries)."""
    from django.db import connection

    from reconciliation.usage.services.lines import COLUMNS

    columns = ", ".join(COLUMNS)
    with connection.cursor() as cursor:
        buffer = io.BytesIO()
        with cursor.cursor.copy(f"COPY (SELECT {columns} FROM usage_usageline WHERE usage_import_id = {import_pk}) "
                                "TO STDOUT") as copy:
            for data in copy:
                buffer.write(data)
        text = buffer.getvalue()
        best = float("inf")
        for _ in range(2):
            cursor.execute("DROP TABLE IF EXISTS bench_raw")
            cursor.execute("CREATE UNLOGGED TABLE bench_raw AS SELECT * FROM usage_usageline WITH NO DATA")
            started = time.perf_counter()
            with cursor.cursor.copy(f"COPY bench_raw ({columns}) FROM STDIN") as copy:
                copy.write(text)
            best = min(best, time.perf_counter() - started)
        cursor.execute("DROP TABLE bench_raw")
    return best


def run_case(lines: int, tmp: Path) -> tuple[float, float, float]:
    import json as _json
    from decimal import Decimal

    from partnercenter.resources.reconciliation import iter_gzip_lines
    from partnercenter.resources.usage import usage_line_item
    from reconciliation.usage.choices import UsageImportKind
    from reconciliation.usage.models import UsageImport
    from reconciliation.usage.services.lines import generation_publish, lines_write
    from tests.factories.bss import PartnerCenterInstanceFactory

    path = tmp / f"usage-{lines}.json.gz"
    write_file(path, lines)
    row = UsageImport.objects.create(instance=PartnerCenterInstanceFactory(), import_id=f"bench-{lines}",
                                     kind=UsageImportKind.UNBILLED, year=2026, month=10, currency="USD")
    started = time.perf_counter()
    items = (usage_line_item(_json.loads(line, parse_float=Decimal)) for line in iter_gzip_lines(_chunks(path))
             if line.strip())
    written = lines_write(row, 1, items, {})
    generation_publish(row, 1)
    seconds = time.perf_counter() - started
    assert written == lines, (written, lines)
    raw = _raw_copy_seconds(row.pk)
    return lines / seconds, lines / raw, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    old = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    try:
        print(f"{'rows':>9} {'import rows/s':>14} {'raw COPY rows/s':>16} {'ratio':>6} {'RSS MB':>7}", flush=True)
        with tempfile.TemporaryDirectory() as folder:
            for lines in (args.lines // 4, args.lines):
                rate, raw, rss = run_case(lines, Path(folder))
                print(f"{lines:>9} {rate:>14,.0f} {raw:>16,.0f} {rate / raw:>6.2f} {rss:>7.0f}", flush=True)
    finally:
        connection.close()
        teardown_databases(old, verbosity=0)
    print("ratio = import rate / raw COPY rate of the same rows (goal >= 0.1); RSS MB = peak RSS of the process "
          "after the case (goal: flat from N/4 to N).")


if __name__ == "__main__":
    main()
