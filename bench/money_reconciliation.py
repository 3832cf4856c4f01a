"""Microsoft's bill benchmark: N of Microsoft's reconciliation lines (gzip JSON Lines, v2 shape) imported and matched
three ways against the BSS (subscriptions, our invoices and invoice lines), against the database's own floors.

Usage (needs PostgreSQL; creates and drops its own database ``test_<name>``):
    DATABASE_URL=postgresql:///money_bench .venv/bin/python bench/money_reconciliation.py [--lines N]

For N/4 and N lines (each case in its own process, so its peak RSS is its own) it generates the lines (a realistic mix
of new-commerce charge types: new, cycleCharge, addQuantity, removeQuantity, cancelImmediate, renew, convert, with
refund rows and ReferenceId pairs) and the matching BSS data, bulk-inserted (not through services), with planted
findings: leakage, price variance, unknown subscription, lines we invoiced that Microsoft did not charge. Then prints:
- import: lines/s of ``reconciliation.money.services.lines`` from the gzip file (decompress, parse, COPY, publish)
  and its ratio to a raw COPY of the same rows (the imported rows, as COPY text, into an unindexed table of the same
  columns; faster of two tries; same run);
- match: seconds of ``match_run`` (resolve subscriptions, pair, write one outcome per line and per unpaired line of
  ours, count) and its ratio to a single hash join of the two line tables writing its pairs (``CREATE TEMP TABLE AS``
  of Microsoft's lines joined to our invoice lines on subscription, charge type, dates and reference);
- peak RSS of the case's process (flat from N/4 to N).
The outcome counts are checked against what was planted (the bench fails if the match is wrong).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

YEAR, MONTH = 2026, 10
PERIOD_START, PERIOD_END = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
LINES_PER_SUBSCRIPTION = 10
SUBSCRIPTIONS_PER_CUSTOMER = 50
#: One subscription's month: (charge type, refund?, day offset of the charge start) — a realistic new-commerce mix.
EVENTS = (
    ("cycleCharge", False, 0), ("new", False, 3), ("addQuantity", False, 5), ("addQuantity", False, 9),
    ("removeQuantity", True, 12), ("cycleCharge", False, 0), ("renew", False, 15), ("convert", False, 18),
    ("cancelImmediate", True, 21), ("cycleCharge", False, 0),
)
SKUS = (("CFQ7TTC0LH18", "0001", "Microsoft 365 Business Basic", Decimal("6.00")),
        ("CFQ7TTC0LFLX", "0002", "Microsoft 365 E3", Decimal("36.00")),
        ("CFQ7TTC0LDPB", "0001", "Microsoft 365 Business Premium", Decimal("22.00")),
        ("CFQ7TTC0LF8Q", "0002", "Dynamics 365 Sales Enterprise", Decimal("105.00")))


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _sub_id(i: int) -> str:
    return str(uuid.UUID(int=(0xB5 << 120) | i))


def _tenant_id(c: int) -> str:
    return str(uuid.UUID(int=(0x7E << 120) | c))


def _ref(i: int, k: int) -> str:
    return str(uuid.UUID(int=(0x4E << 120) | (i << 8) | k))


def planted(n: int) -> str:
    """What line n (0-based) of Microsoft's file is: ok, leak (we did not invoice), price (we expected another
    amount), unknown (subscription not in the BSS). Every 200th line of ours has no Microsoft line (not charged)."""
    r = (n * 7919) % 1000
    if r < 5:
        return "leak"
    if r < 10:
        return "price"
    if r < 12:
        return "unknown"
    return "ok"


def ms_line(n: int) -> dict[str, Any]:
    """Microsoft's line n, as the v2 export writes it (camelCase, the full attribute set)."""
    i, k = divmod(n, LINES_PER_SUBSCRIPTION)
    c = i // SUBSCRIPTIONS_PER_CUSTOMER
    charge_type, refund, offset = EVENTS[k]
    product, sku, name, price = SKUS[i % len(SKUS)]
    qty = 1 + (n % 7)
    start = PERIOD_START + dt.timedelta(days=offset)
    days = (PERIOD_END - start).days + 1
    amount = (price * qty * days / 31).quantize(Decimal("0.01"))
    if refund:
        amount = -amount
    sub = _sub_id(i) if planted(n) != "unknown" else str(uuid.UUID(int=(0xDD << 120) | n))
    order = f"{i:08x}ord{k}"
    stamp = f"{start.isoformat()}T{(n % 24):02d}:00:00Z"
    return {
        "partnerId": "3b33e682-00c3-41ee-9dd2-a548adf56438", "customerId": _tenant_id(c),
        "customerName": f"Customer {c} Ltd", "customerDomainName": f"customer{c}.onmicrosoft.com",
        "customerCountry": "US", "invoiceNumber": "G000000001", "mpnId": "4390934", "resellerMpnId": "",
        "orderId": order, "orderDate": stamp, "productId": product, "skuId": sku, "availabilityId": "CFQ7TTC0K5DJ",
        "skuName": name, "productName": name, "chargeType": charge_type, "unitPrice": float(price), "quantity": qty,
        "subtotal": float(amount), "taxTotal": 0, "totalForCustomer": float(amount), "currency": "USD",
        "priceAdjustmentDescription": "[]", "publisherName": "Microsoft Corporation", "publisherId": "",
        "subscriptionDescription": name, "subscriptionId": sub,
        "chargeStartDate": f"{start.isoformat()}T00:00:00Z", "chargeEndDate": f"{PERIOD_END.isoformat()}T00:00:00Z",
        "termAndBillingCycle": "One-Year commitment for monthly/yearly billing",
        "effectiveUnitPrice": float(price * days / 31 if not refund else -price * days / 31),
        "unitType": "Licenses", "alternateId": order[:12], "billableQuantity": qty, "billingFrequency": "Monthly",
        "pricingCurrency": "USD", "pcToBCExchangeRate": 1, "pcToBCExchangeRateDate": "2026-10-01T00:00:00Z",
        "meterDescription": "", "reservationOrderId": "", "creditReasonCode": "",
        "subscriptionStartDate": "2026-01-01T00:00:00Z", "subscriptionEndDate": "2026-12-31T00:00:00Z",
        "referenceId": _ref(i, k), "productQualifiers": "[]", "promotionId": "",
    }


def write_file(path: Path, lines: int) -> None:
    with gzip.open(path, "wb", compresslevel=1) as fh:
        for n in range(lines):
            fh.write(json.dumps(ms_line(n), separators=(",", ":")).encode() + b"\n")


def _template(cursor: Any, table: str, pk: int) -> tuple[list[str], list[Any]]:
    cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])
    names = [d.name for d in cursor.description]
    return names, list(cursor.fetchone())


def _copy_clones(table: str, pk: int, rows: Iterator[dict[str, Any]]) -> int:
    """COPY rows into `table`: each a copy of row `pk` with some columns changed (bulk, no services)."""
    from django.db import connection

    written = 0
    with connection.cursor() as cursor:
        names, values = _template(cursor, table, pk)
        names, values = names[1:], values[1:]  # not the id
        at = {name: n for n, name in enumerate(names)}
        with cursor.cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
            for changes in rows:
                row = list(values)
                for name, value in changes.items():
                    row[at[name]] = value
                copy.write_row(row)
                written += 1
    return written


def build_bss(lines: int) -> tuple[Any, dict[str, int]]:
    """The instance, its customers, tenants, subscriptions, our invoices and invoice lines; returns the instance and
    the outcome counts the match must report."""
    from django.db import connection

    from bss.models import Subscription
    from tests.factories.billing import InvoiceFactory, InvoiceLineFactory, IssuerFactory
    from tests.factories.bss import (
        CustomerFactory,
        MicrosoftTenantFactory,
        PartnerCenterInstanceFactory,
        ProviderFactory,
        SubscriptionFactory,
    )

    instance = PartnerCenterInstanceFactory(name=f"bench money {lines}")
    provider = ProviderFactory()
    issuer = IssuerFactory(reseller=provider)
    subscriptions = -(-lines // LINES_PER_SUBSCRIPTION)
    customers = -(-subscriptions // SUBSCRIPTIONS_PER_CUSTOMER)
    tenants, invoices = [], []
    for c in range(customers):
        customer = CustomerFactory(reseller=provider, marketplace__owner=provider)
        tenants.append(MicrosoftTenantFactory(customer=customer, instance=instance, pc_customer_id=_tenant_id(c)))
        invoices.append(InvoiceFactory(issuer=issuer, customer=customer, year=YEAR, month=MONTH, currency="USD",
                                       party_country="US"))
    first = SubscriptionFactory(tenant=tenants[0], pc_subscription_id=_sub_id(0), quantity=1)
    _copy_clones("bss_subscription", first.pk, (
        {"tenant_id": tenants[i // SUBSCRIPTIONS_PER_CUSTOMER].pk, "pc_subscription_id": _sub_id(i)}
        for i in range(1, subscriptions)))
    sub_pk = dict(Subscription.objects.filter(tenant__instance=instance).values_list("pc_subscription_id", "pk"))
    template = InvoiceLineFactory(invoice=invoices[0], subscription=first, end_customer=tenants[0].customer,
                                  charge_type="cycleCharge", quantity=1, amount=Decimal("1.00"),
                                  charge_start=PERIOD_START, charge_end=PERIOD_END,
                                  order_at=dt.datetime(YEAR, MONTH, 1, tzinfo=dt.UTC))
    expected = {"matched": 0, "variance": 0, "leakage": 0, "unknown_subscription": 0, "not_charged": 0}

    def ours() -> Iterator[dict[str, Any]]:
        for n in range(lines):
            kind = planted(n)
            line = ms_line(n)
            if kind == "unknown":
                expected["unknown_subscription"] += 1
                continue
            if kind == "leak":
                expected["leakage"] += 1
                continue
            i = n // LINES_PER_SUBSCRIPTION
            cost = Decimal(str(line["subtotal"]))
            expected["variance" if kind == "price" else "matched"] += 1
            if kind == "price":
                cost += Decimal("1.00") if cost > 0 else Decimal("-1.00")
            row = {
                "invoice_id": invoices[i // SUBSCRIPTIONS_PER_CUSTOMER].pk,
                "end_customer_id": tenants[i // SUBSCRIPTIONS_PER_CUSTOMER].customer_id,
                "subscription_id": sub_pk[line["subscriptionId"]], "pc_subscription_id": line["subscriptionId"],
                "description": line["skuName"], "charge_type": line["chargeType"], "quantity": line["quantity"],
                "unit_price": Decimal(str(line["unitPrice"])) * Decimal("1.2"),
                "amount": (cost * Decimal("1.2")).quantize(Decimal("0.01")),
                "unit_cost": Decimal(str(line["unitPrice"])),
                "cost_amount": cost, "charge_start": line["chargeStartDate"][:10],
                "charge_end": line["chargeEndDate"][:10], "order_at": line["orderDate"],
                "reference_id": line["referenceId"],
            }
            yield row
            if n % 200 == 7:  # a charge of ours Microsoft never made
                expected["not_charged"] += 1
                yield {**row, "charge_type": "addQuantity", "charge_start": "2026-10-30", "reference_id": f"ours-{n}"}

    _copy_clones("billing_invoiceline", template.pk, ours())
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM billing_invoiceline WHERE id = %s", [template.pk])
        cursor.execute("ANALYZE billing_invoiceline")
        cursor.execute("ANALYZE bss_subscription")
    return instance, expected


def _raw_copy_seconds(invoice_pk: int, tmp: Path) -> float:
    """The imported rows, as COPY text, into an unindexed table of the same columns: the faster of two tries."""
    from django.db import connection

    from reconciliation.money.services.lines import COLUMNS

    cols = ", ".join(COLUMNS)
    dump = tmp / "rows.copy"
    with connection.cursor() as cursor:
        with open(dump, "wb") as fh, cursor.cursor.copy(
                f"COPY (SELECT {cols} FROM money_microsoftchargeline WHERE invoice_id = {invoice_pk}) TO STDOUT"
        ) as copy:
            for chunk in copy:
                fh.write(chunk)
        os.sync()
        best = float("inf")
        for _ in range(2):
            cursor.execute("DROP TABLE IF EXISTS bench_raw_copy")
            cursor.execute(f"CREATE TABLE bench_raw_copy AS SELECT {cols} FROM money_microsoftchargeline LIMIT 0")
            start = time.perf_counter()
            with open(dump, "rb") as fh, cursor.cursor.copy(f"COPY bench_raw_copy ({cols}) FROM STDIN") as copy:
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
            best = min(best, time.perf_counter() - start)
        cursor.execute("DROP TABLE bench_raw_copy")
    dump.unlink()
    return best


def _hash_join_seconds() -> float:
    """One hash join of Microsoft's lines and our invoice lines, writing its pairs: the faster of two tries."""
    from django.db import connection

    best = float("inf")
    with connection.cursor() as cursor:
        cursor.execute("SET enable_mergejoin = off")
        cursor.execute("SET enable_nestloop = off")
        for _ in range(2):
            cursor.execute("DROP TABLE IF EXISTS bench_pairs")
            start = time.perf_counter()
            cursor.execute("""
                CREATE TEMP TABLE bench_pairs AS
                SELECT l.id AS ms_id, o.id AS our_id, l.subtotal - o.cost_amount AS difference
                FROM money_microsoftchargeline l JOIN billing_invoiceline o
                  ON o.subscription_id = l.subscription_id AND o.charge_type = l.charge_type
                 AND o.charge_start = l.charge_start AND o.charge_end = l.charge_end
                 AND o.reference_id = l.reference_id""")
            best = min(best, time.perf_counter() - start)
        cursor.execute("DROP TABLE bench_pairs")
        cursor.execute("RESET enable_mergejoin")
        cursor.execute("RESET enable_nestloop")
    return best


def run_case(lines: int) -> None:
    from django.db import connection

    from partnercenter.resources.reconciliation import iter_gzip_lines
    from reconciliation.money.choices import InvoiceKind
    from reconciliation.money.models import ChargeMatch, MicrosoftInvoice
    from reconciliation.money.services import lines as lines_service
    from reconciliation.money.services.matching import match_run

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "recon.jsonl.gz"
        start = time.perf_counter()
        write_file(path, lines)
        gen_s = time.perf_counter() - start
        start = time.perf_counter()
        instance, expected = build_bss(lines)
        bss_s = time.perf_counter() - start
        invoice = MicrosoftInvoice.objects.create(
            instance=instance, invoice_id="G000000001", kind=InvoiceKind.BILLED, year=YEAR, month=MONTH,
            currency="USD")
        os.sync()

        def raw_lines() -> Iterator[bytes]:
            with open(path, "rb") as fh:
                for line in iter_gzip_lines(iter(lambda: fh.read(1 << 16), b"")):
                    if line := line.strip():
                        yield line

        start = time.perf_counter()
        written = lines_service.lines_write_json(invoice, 1, raw_lines())
        invoice = lines_service.generation_publish(invoice, 1)
        import_s = time.perf_counter() - start
        assert written == lines == invoice.line_count, (written, invoice.line_count)
        rss_import = _peak_rss_mb()
        copy_s = _raw_copy_seconds(invoice.pk, tmp)

        start = time.perf_counter()
        run = match_run(instance=instance, year=YEAR, month=MONTH)
        match_s = time.perf_counter() - start
        got = {k: run.counts.get(k, 0) for k in expected}
        assert got == expected, (got, expected)
        assert ChargeMatch.objects.filter(instance=instance, year=YEAR, month=MONTH).count() == sum(expected.values())
        join_s = _hash_join_seconds()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_total_relation_size('money_microsoftchargeline')")
            table_mb = cursor.fetchone()[0] / 1e6
        print(f"{lines:>9} {path.stat().st_size / 1e6:>7.1f} {gen_s + bss_s:>7.0f} {lines / copy_s:>9.0f} "
              f"{lines / import_s:>10.0f} {copy_s / import_s:>6.2f} {join_s:>7.1f} {match_s:>7.1f} "
              f"{match_s / join_s:>6.1f} {rss_import:>9.0f} {_peak_rss_mb():>8.0f} {table_mb:>8.0f}", flush=True)


HEADER = (f"{'lines':>9} {'gz MB':>7} {'setup s':>7} {'COPY l/s':>9} {'import l/s':>10} {'ratio':>6} "
          f"{'join s':>7} {'match s':>7} {'m/join':>6} {'RSS imp':>9} {'RSS MB':>8} {'table MB':>8}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--case", type=int, help=argparse.SUPPRESS)  # internal: one size in a child process
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    if args.case:
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)  # the case before it left its rows
        run_case(args.case)
        return
    from django.test.utils import setup_databases, teardown_databases

    old = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    try:
        s = connection.settings_dict
        host = f"{s['USER'] or ''}@{s['HOST']}:{s['PORT'] or 5432}" if s["HOST"] else ""
        url = f"postgresql://{host}/{s['NAME']}"
        env = {**os.environ, "DATABASE_URL": url}
        print(HEADER, flush=True)
        for lines in (args.lines // 4, args.lines):
            subprocess.run([sys.executable, __file__, "--case", str(lines)], env=env, check=True)
    finally:
        connection.close()
        teardown_databases(old, verbosity=0)
    print("ratio = import rate / raw COPY rate of the same rows (goal >= 0.5); m/join = match time / one hash join "
          "writing its pairs (goal <= 3); RSS imp = peak RSS after the import, RSS MB = after the match "
          "(goal: flat from N/4 to N).")


if __name__ == "__main__":
    main()
