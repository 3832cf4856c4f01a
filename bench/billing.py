"""Invoice run benchmark: a month of N customers x M subscriptions, invoiced and finalised by `billing.services.runs`.

Usage (needs PostgreSQL; uses the database of DATABASE_URL's server, default postgres@127.0.0.1, creates its own
``test_<name>`` database and drops it at the end):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/billing_bench .venv/bin/python bench/billing.py \
        [--customers 10000] [--subscriptions 10] [--four-n] [--pdf-sample 200] [--long 2000]

The estate is built in bulk (bulk_create, in chunks, so the build's memory stays flat): one provider that issues
invoices (French VAT rule), its marketplace, N direct customers in France with a tenant each, M subscriptions each
(a third billed annually, the rest monthly, all on a one-year term bought in the twelve months before June 2025),
and their licence ledger with the fields `bss.services.ledger.ledger_record` writes (term, cycle and locked prices
on the purchase; a seat change carries the previous entry's prices and term). June 2025's changes: 10 % add seats,
2 % were bought in June and remove seats inside the 168-hour window, 1 % were bought in June and cancelled inside it.

For each size (N/4 and N by default; N and 4N with --four-n) the estate is built in one process and, in another so
the peak RSS is the run's own, a finalising invoice run for June 2025 runs the way the worker does
(`invoice_run_create`, then `invoice_run_execute`; the deliveries the run queues are counted, not sent); it prints
its wall time and CPU time, invoices/s, queries per invoice (all statements of the run, counted with
`connection.execute_wrapper`, plus its COPYs), peak RSS, and the ratio
of a raw set-based ``INSERT ... SELECT`` of the same number of invoice lines (into a copy of the line table with
its indexes, faster of two tries) to the run's time. Then it renders a sample of the run's invoices through the
delivery mapping (`billing.services.delivery.invoice_document`) and `render_pdf`, extrapolates to the whole run,
and renders one 2,000-line invoice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/billing_bench")

YEAR, MONTH = 2025, 6
CHUNK = 500  # customers per bulk chunk
PRODUCTS = (  # name, monthly sale price per seat, Microsoft's cost per seat
    ("Microsoft 365 Business Standard", Decimal("10.08"), Decimal("8.40")),
    ("Microsoft 365 Business Basic", Decimal("4.60"), Decimal("3.83")),
    ("Microsoft 365 E3", Decimal("32.90"), Decimal("27.42")),
)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--subscriptions", type=int, default=10)
    parser.add_argument("--four-n", action="store_true", help="measure N and 4N (default: N/4 and N)")
    parser.add_argument("--pdf-sample", type=int, default=200)
    parser.add_argument("--long", type=int, default=2000)
    parser.add_argument("--case", type=int, help=argparse.SUPPRESS)  # internal: one size in a child process
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)  # internal: its estate, in another one
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL server.")
    if args.build:
        build_case(args.build, args.subscriptions)
        return
    if args.case:
        run_case(args.case, args.subscriptions, args.pdf_sample, args.long)
        return
    from django.test.utils import setup_databases, teardown_databases

    n = args.customers
    sizes = (n, 4 * n) if args.four_n else (max(1, n // 4), n)
    which = "N and 4N" if args.four_n else "N/4 and N, not N and 4N: 4N would not fit the time on this loaded 2-core " \
        "machine; --four-n measures N and 4N"
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; sizes {sizes[0]} and {sizes[1]} customers "
          f"x {args.subscriptions} subscriptions ({which})", flush=True)
    old = setup_databases(verbosity=0, interactive=False)
    results = []
    try:
        s = connection.settings_dict
        url = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        env = {**os.environ, "DATABASE_URL": url}
        for size in sizes:
            # The estate is built in a process of its own, so the run's peak RSS is the run's, not the build's.
            print(subprocess.run([sys.executable, __file__, "--build", str(size), "--subscriptions",
                                  str(args.subscriptions)], env=env, check=True, stdout=subprocess.PIPE,
                                 text=True).stdout, end="", flush=True)
            out = subprocess.run(
                [sys.executable, __file__, "--case", str(size), "--subscriptions", str(args.subscriptions),
                 "--pdf-sample", str(args.pdf_sample), "--long", str(args.long)],
                env=env, check=True, stdout=subprocess.PIPE, text=True,
            ).stdout
            print(out, end="", flush=True)
            results.append(dict(part.split("=", 1) for part in out.strip().splitlines()[-1].split()[1:]))
    finally:
        connection.close()
        teardown_databases(old, verbosity=0)
    small, large = results
    print(f"{'customers':>9} {'invoices':>8} {'lines':>8} {'run s':>7} {'CPU s':>6} {'inv/s':>7} {'q/inv':>6} "
          f"{'RSS MB':>7} {'raw s':>6} {'raw/run':>7} {'PDF/s':>6}")
    for r in results:
        print(f"{r['customers']:>9} {r['invoices']:>8} {r['lines']:>8} {float(r['run_s']):>7.1f} "
              f"{float(r['run_cpu_s']):>6.1f} "
              f"{float(r['inv_per_s']):>7.1f} {float(r['q_per_inv']):>6.2f} {float(r['rss_mb']):>7.0f} "
              f"{float(r['raw_s']):>6.2f} {float(r['ratio']):>7.3f} {float(r['pdf_per_s']):>6.1f}")
    q_small, q_large = float(small["q_per_inv"]), float(large["q_per_inv"])
    rss_small, rss_large = float(small["rss_mb"]), float(large["rss_mb"])
    # A run's queries are a few per run, a few per batch of parties and the per-invoice ones: the fixed part weighs
    # less per invoice at the larger size, so "constant" means it does not grow with N (within 5 % or 0.01).
    constant = q_large <= q_small * 1.05 + 0.01
    print(f"queries per invoice: {q_small:.2f} at {small['customers']}, {q_large:.2f} at {large['customers']} "
          f"({'constant' if constant else 'NOT constant'} in N: does not grow)")
    print(f"peak RSS: {rss_small:.0f} MB at {small['customers']}, {rss_large:.0f} MB at {large['customers']} "
          f"(x{rss_large / rss_small:.2f} for x4 customers; goal: flat)")
    print(f"raw INSERT ... SELECT / run at {large['customers']}: {float(large['ratio']):.3f} (goal >= 0.25)")
    print(f"PDFs: {float(large['pdf_per_s']):.1f}/s (sample of {large['pdf_sample']}, extrapolated to "
          f"{large['invoices']} invoices: {float(large['pdf_total_s']):.0f} s); {args.long}-line invoice "
          f"{float(large['long_s']):.2f} s ({large['long_pages']} pages)")


# -- the estate --------------------------------------------------------------------------------------------------


def _setup():
    from billing.models import Issuer, TaxRule
    from bss.choices import ResellerKind
    from bss.models import Marketplace, PartnerCenterInstance, Reseller

    instance = PartnerCenterInstance.objects.create(name="Bench Partner Center", partner_tenant_id=str(uuid.uuid4()),
                                                    partner_id="4000001")
    provider = Reseller.objects.create(name="Contoso CSP", kind=ResellerKind.PROVIDER, country="FR")
    marketplace = Marketplace.objects.create(owner=provider, name="Contoso France", slug="contoso-fr",
                                             instance=instance, market="FR", currency="EUR")
    issuer = Issuer.objects.create(reseller=provider, name="Contoso CSP SAS", address="1 rue de la Paix\n75002 Paris",
                                   country="FR", vat_id="FR40303265045", time_zone="Europe/Paris",
                                   number_prefix="INV")
    TaxRule.objects.create(issuer_country="FR", customer_country="FR", scope="domestic", name="VAT 20 %",
                           rate=Decimal("20.000"), effective_from=dt.date(2020, 1, 1))
    return instance, provider, marketplace, issuer


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randrange(9 * 3600))


def build(n: int, m: int) -> dict[str, int]:
    """N customers x M subscriptions and their ledger, in chunks of CHUNK customers (bulk inserts)."""
    from billing.rating import Term, term_end_for
    from bss.choices import LedgerEventKind
    from bss.models import Customer, LicenseLedgerEntry, MicrosoftTenant, Subscription

    instance, provider, marketplace, _ = _setup()
    rng = random.Random(20250601)
    first_start, last_start = dt.date(2024, 7, 1), dt.date(2025, 5, 31)
    span = (last_start - first_start).days
    counts = {"added": 0, "reduced": 0, "cancelled": 0, "annual": 0, "ledger": 0}
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        customers = Customer.objects.bulk_create(
            Customer(reseller=provider, marketplace=marketplace, company_name=f"Bench Customer {i:06d} SARL",
                     contact_email=f"billing{i}@bench{i}.example", address_line1=f"{i % 200 + 1} rue de Rivoli",
                     postal_code="75001", city="Paris", country="FR", culture="fr-FR")
            for i in range(lo, hi)
        )
        tenants = MicrosoftTenant.objects.bulk_create(
            MicrosoftTenant(customer=c, instance=instance, pc_customer_id=str(uuid.uuid4()),
                            default_domain=f"bench{c.pk}.onmicrosoft.com", relationship_status="active")
            for c in customers
        )
        subs, plans = [], []
        for customer, tenant in zip(customers, tenants, strict=True):
            for j in range(m):
                name, monthly, cost = PRODUCTS[j % len(PRODUCTS)]
                annual = rng.random() < 1 / 3
                r = rng.random()
                change = "cancel" if r < 0.01 else "reduce" if r < 0.03 else "add" if r < 0.13 else ""
                if change in ("cancel", "reduce"):  # bought in June, changed inside the 168-hour window
                    start = dt.date(YEAR, MONTH, rng.randint(1, 20))
                else:
                    start = first_start + dt.timedelta(days=rng.randrange(span + 1))
                bought = _at(start, rng)
                end = term_end_for(start, Term.P1Y)
                seats = rng.randint(1, 25) + 2
                cycle = "annual" if annual else "monthly"
                price, unit_cost = (monthly * 12, cost * 12) if annual else (monthly, cost)
                after = {"add": seats + rng.randint(1, 5), "reduce": seats - rng.randint(1, 2), "cancel": 0}.get(
                    change, seats)
                subs.append(Subscription(
                    customer=customer, tenant=tenant, pc_subscription_id=str(uuid.uuid4()),
                    pc_order_id=uuid.uuid4().hex, pc_product_id="CFQ7TTC0LDPB", pc_sku_id="0001", name=name,
                    quantity=after, billing_cycle=cycle, term_duration="P1Y",
                    status="deleted" if change == "cancel" else "active", effective_start_date=bought,
                    commitment_end_date=end,
                ))
                when = None
                if change == "add":
                    when = _at(dt.date(YEAR, MONTH, rng.randint(1, 28)), rng)
                elif change:
                    when = bought + dt.timedelta(days=2, hours=rng.randint(0, 20))
                plans.append((bought, start, end, seats, cycle, price, unit_cost, change, when, after))
                counts["annual"] += annual
                if change:
                    counts[{"add": "added", "reduce": "reduced", "cancel": "cancelled"}[change]] += 1
        subs = Subscription.objects.bulk_create(subs, batch_size=2000)
        entries = []
        for sub, (bought, start, end, seats, cycle, price, unit_cost, change, when, after) in zip(
            subs, plans, strict=True
        ):
            # What ledger_record writes: the purchase opens the term with its locked prices; a later event of the
            # same term carries the previous entry's prices, currency and term dates.
            common = {"subscription": sub, "unit_price": price, "unit_cost": unit_cost, "currency": "EUR",
                      "term_duration": "P1Y", "billing_cycle": cycle, "term_start": start, "term_end": end,
                      "partner_id": ""}
            entries.append(LicenseLedgerEntry(kind=LedgerEventKind.PURCHASE, quantity_before=0, quantity_after=seats,
                                              reason="order", effective_at=bought, reference_id=sub.pc_order_id,
                                              **common))
            if change:
                kind = LedgerEventKind.CANCEL if change == "cancel" else LedgerEventKind.SEAT_CHANGE
                entries.append(LicenseLedgerEntry(kind=kind, quantity_before=seats, quantity_after=after,
                                                  reason="deleted" if change == "cancel" else "change",
                                                  effective_at=when, reference_id="", **common))
        LicenseLedgerEntry.objects.bulk_create(entries, batch_size=5000)
        counts["ledger"] += len(entries)
    return counts


# -- one size ----------------------------------------------------------------------------------------------------


def _truncate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE bss_reseller, bss_partnercenterinstance, billing_taxrule, billing_invoicerun, "
                       "billing_numbercounter RESTART IDENTITY CASCADE")


def _raw_insert_seconds() -> float:
    """A set-based INSERT ... SELECT of the run's invoice lines into a copy of the line table (its indexes too)."""
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_lines")
        cursor.execute("CREATE TABLE bench_raw_lines (LIKE billing_invoiceline INCLUDING ALL)")
        for _ in range(2):
            cursor.execute("TRUNCATE bench_raw_lines")
            start = time.perf_counter()
            cursor.execute("INSERT INTO bench_raw_lines SELECT * FROM billing_invoiceline")
            times.append(time.perf_counter() - start)
        cursor.execute("DROP TABLE bench_raw_lines")
    return min(times)


def _long_invoice(lines: int):
    """A draft invoice of `lines` lines for the first customer, in May (outside the run's period)."""
    from billing.models import Invoice, InvoiceLine
    from billing.services.documents import set_totals

    template = InvoiceLine.objects.select_related("invoice").order_by("pk").first()
    assert template is not None
    source = template.invoice
    invoice = Invoice.objects.create(
        party_key=source.party_key, issuer=source.issuer, year=YEAR, month=MONTH - 1, party_kind=source.party_kind,
        customer=source.customer, party_name=source.party_name, party_country=source.party_country,
        currency=source.currency,
    )
    names = [f.attname for f in InvoiceLine._meta.concrete_fields if f.attname not in ("id", "invoice_id")]
    values = {name: getattr(template, name) for name in names}
    made = InvoiceLine.objects.bulk_create(
        InvoiceLine(invoice=invoice, **{**values, "end_customer_name": f"{source.party_name} site {i // 40 + 1}"})
        for i in range(lines)
    )
    set_totals(invoice, made)
    invoice.save()
    return invoice


def build_case(n: int, m: int) -> None:
    _truncate()
    started = time.perf_counter()
    counts = build(n, m)
    build_s = time.perf_counter() - started
    print(f"[{n} customers] estate: {n * m} subscriptions ({counts['annual']} annual), {counts['ledger']} ledger "
          f"entries; June: {counts['added']} add seats, {counts['reduced']} remove inside the window, "
          f"{counts['cancelled']} cancel; built in {build_s:.1f} s (in a process of its own; peak RSS "
          f"{_peak_rss_mb():.0f} MB)", flush=True)


def run_case(n: int, m: int, pdf_sample: int, long_lines: int) -> None:
    import logging

    import psycopg
    from django.db import connection

    from billing import delivery_tasks, tasks
    from billing.documents.pdf import render_pdf
    from billing.models import CreditNote, Invoice, InvoiceLine
    from billing.services.delivery import invoice_document
    from billing.services.runs import invoice_run_create, invoice_run_execute

    logging.disable(logging.WARNING)
    queued: list[int] = []
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    real_copy = psycopg.Cursor.copy

    def counted_copy(self, *args, **kwargs):  # a COPY (the run's bulk line insert) bypasses execute_wrapper
        nonlocal queries
        queries += 1
        return real_copy(self, *args, **kwargs)

    # The worker's path: the run is recorded, its task queued after commit; the worker executes it. Queued tasks
    # (the run, then one delivery per finalised invoice) are counted here, not sent to a broker.
    # (plain callables, not mocks: a mock would keep every call, and the peak RSS with it).
    with mock.patch.object(tasks.invoice_run_task, "delay", new=queued.append), \
            mock.patch.object(delivery_tasks.invoice_deliver_task, "delay", new=queued.append), \
            mock.patch.object(psycopg.Cursor, "copy", counted_copy), connection.execute_wrapper(count):
        began, cpu_began = time.perf_counter(), time.process_time()
        run = invoice_run_create(year=YEAR, month=MONTH, finalise=True)
        run = invoice_run_execute(run_id=queued[0])
        run_s, run_cpu_s = time.perf_counter() - began, time.process_time() - cpu_began
    rss = _peak_rss_mb()
    invoices = Invoice.objects.filter(run=run).count()
    lines = InvoiceLine.objects.count()
    notes = CreditNote.objects.count()
    q_per_inv = queries / max(invoices, 1)
    print(f"[{n} customers] run #{run.pk}: {run.status}, {run.done}/{run.total} parties, {len(run.problems)} problems, "
          f"{invoices} invoices, {lines} lines, {notes} credit notes, {len(queued) - 1} deliveries queued; "
          f"{run_s:.1f} s ({run_cpu_s:.1f} s CPU in this process: less sensitive to the machine's load), "
          f"{invoices / run_s:.1f} invoices/s, {queries} queries = {q_per_inv:.2f} per invoice, "
          f"peak RSS {rss:.0f} MB", flush=True)
    assert run.status == "finalised", (run.status, run.error)

    raw_s = _raw_insert_seconds()
    ratio = raw_s / run_s
    print(f"[{n} customers] raw INSERT ... SELECT of {lines} lines: {raw_s:.2f} s; raw/run {ratio:.3f}", flush=True)

    pks = list(Invoice.objects.filter(run=run).order_by("pk").values_list("pk", flat=True))
    sample = pks[:: max(1, len(pks) // pdf_sample)][:pdf_sample]
    mapping_s = render_s = 0.0
    for pk in sample:
        t0 = time.perf_counter()
        doc = invoice_document(Invoice.objects.select_related("issuer", "customer").get(pk=pk))
        t1 = time.perf_counter()
        render_pdf(doc)
        mapping_s, render_s = mapping_s + t1 - t0, render_s + time.perf_counter() - t1
    per_pdf = (mapping_s + render_s) / len(sample)
    print(f"[{n} customers] PDFs: {len(sample)} sampled evenly over the run: {1 / per_pdf:.1f} PDFs/s "
          f"(mapping {mapping_s / len(sample) * 1000:.1f} ms + render {render_s / len(sample) * 1000:.1f} ms each); "
          f"extrapolated {per_pdf * invoices:.0f} s for the run's {invoices} invoices", flush=True)
    long = _long_invoice(long_lines)
    t0 = time.perf_counter()
    pdf = render_pdf(invoice_document(Invoice.objects.select_related("issuer", "customer").get(pk=long.pk)))
    long_s = time.perf_counter() - t0
    pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page ")
    print(f"[{n} customers] {long_lines}-line invoice: {long_s:.2f} s ({pages} pages, {len(pdf) / 1024:.0f} KiB)")
    print(f"RESULT customers={n} invoices={invoices} lines={lines} run_s={run_s:.3f} run_cpu_s={run_cpu_s:.3f} "
          f"inv_per_s={invoices / run_s:.2f} q_per_inv={q_per_inv:.3f} rss_mb={rss:.1f} raw_s={raw_s:.4f} "
          f"ratio={ratio:.4f} pdf_per_s={1 / per_pdf:.2f} pdf_sample={len(sample)} "
          f"pdf_total_s={per_pdf * invoices:.1f} long_s={long_s:.3f} long_pages={pages}", flush=True)


if __name__ == "__main__":
    main()
