"""Two runs of the same period started at once write each invoice once, with gapless numbers.

Each run executes in its own thread with its own database connection. SQLite serialises writers on one file lock
and gives up under contention, so the test runs on PostgreSQL (CI); locally set DATABASE_URL to a PostgreSQL db.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from billing.choices import DocumentStatus, RunStatus
from billing.models import Invoice, NumberCounter
from billing.services.runs import invoice_run_create, invoice_run_execute
from tests.billing.scenario import at, buy, direct_customer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite cannot run two writing transactions at once "
                       "(one file lock); this test runs on PostgreSQL in CI"),
]

CUSTOMERS = 6


def test_two_runs_at_once_yield_one_set_of_invoices_with_gapless_numbers(provider, issuer):
    for n in range(CUSTOMERS):
        buy(direct_customer(provider, name=f"Customer {n}"), at(2025, 6, 3 + n), 1 + n, price="10.00")
    run_ids = [invoice_run_create(year=2025, month=6, finalise=True).pk for _ in range(2)]
    start = threading.Barrier(len(run_ids))
    results, errors = {}, []

    def execute(run_id):
        try:
            start.wait()
            results[run_id] = invoice_run_execute(run_id=run_id).status
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=execute, args=(run_id,)) for run_id in run_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == [] and set(results.values()) == {RunStatus.FINALISED}
    invoices = list(Invoice.objects.order_by("number"))
    assert len(invoices) == CUSTOMERS and {i.status for i in invoices} == {DocumentStatus.FINAL}
    year = invoices[0].finalised_at.year
    assert [i.number for i in invoices] == [f"INV-{year}-{n:06d}" for n in range(1, CUSTOMERS + 1)]
    assert NumberCounter.objects.get().last_number == CUSTOMERS
    assert sum(i.subtotal for i in invoices) == Decimal("10.00") * sum(range(1, CUSTOMERS + 1))
