"""Exports stream: 100,000 subscriptions go out as CSV without being held in memory (peak measured with
tracemalloc while the response is consumed: about the same for 10,000 and 100,000 rows)."""

import tracemalloc
from decimal import Decimal

import pytest
from django.urls import reverse

from backoffice.exports import safe_cell
from bss.models import Subscription
from tests.backoffice.conftest import staff_with
from tests.factories.bss import MicrosoftTenantFactory

pytestmark = pytest.mark.django_db


def _add_subscriptions(tenant, count: int, start: int) -> None:
    batch = 5000
    for offset in range(start, start + count, batch):
        Subscription.objects.bulk_create(
            Subscription(customer_id=tenant.customer_id, tenant=tenant, name=f"Microsoft 365 Business Basic {i}",
                         pc_subscription_id=f"sub-{i:08d}", quantity=1 + i % 50, billing_cycle="monthly",
                         term_duration="P1Y", status="active")
            for i in range(offset, min(offset + batch, start + count))
        )


def _export_peak(client) -> tuple[int, int, int]:
    """(peak bytes, rows, bytes sent) of one CSV export of every subscription, consumed chunk by chunk."""
    tracemalloc.start()
    try:
        response = client.get(reverse("backoffice:subscription_list"), {"format": "csv"})
        rows = sent = 0
        for chunk in response.streaming_content:
            sent += len(chunk)
            rows += chunk.count(b"\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, rows - 1, sent


def test_100k_subscriptions_export_as_csv_with_flat_memory(client):
    tenant = MicrosoftTenantFactory()
    client.force_login(staff_with("bss.view_subscription"))
    _add_subscriptions(tenant, 100, 0)
    _export_peak(client)  # warm up: the first request loads code, templates and caches once
    _add_subscriptions(tenant, 9_900, 100)
    small_peak, small_rows, small_sent = _export_peak(client)
    _add_subscriptions(tenant, 90_000, 10_000)
    large_peak, large_rows, large_sent = _export_peak(client)
    figures = (f"CSV export: {small_rows} rows, {small_sent / 1e6:.1f} MB sent, peak {small_peak / 1e6:.2f} MB; "
               f"{large_rows} rows, {large_sent / 1e6:.1f} MB sent, peak {large_peak / 1e6:.2f} MB")
    print("\n" + figures)  # noqa: T201 - the figures, as the test's output
    assert (small_rows, large_rows) == (10_000, 100_000)
    # Ten times the rows, about the same memory: bounded by the chunk size, not by N (and far below the body).
    assert large_peak < small_peak * 1.5 + 1_000_000
    assert large_peak < large_sent / 4


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+2", "'=1+2"), ("+31 20 123", "'+31 20 123"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
     ("Contoso", "Contoso"), (-5, -5), (Decimal("-1.50"), Decimal("-1.50")), (None, None)],
)
def test_cells_that_would_start_a_formula_are_text(value, expected):
    assert safe_cell(value) == expected
