"""The API of Microsoft's bill: read-only, for staff with the pages' permission; invoices with their import state,
one invoice's reconciliation summary, its lines with filters and pagination, the one JSON error shape."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reconciliation.money.choices import Outcome
from reconciliation.money.models import ChargeMatch
from tests.backoffice.conftest import staff_with
from tests.factories.bss import CustomerUserFactory
from tests.money.test_pages import READ, Reconciled
from tests.money.test_pages import reconciled as reconciled_fixture

pytestmark = pytest.mark.django_db

BASE = "/api/v1/money/invoices/"
reconciled = reconciled_fixture  # the pages' data: an invoice with one leakage and one charge not made


@pytest.fixture
def staff_client(client):
    client.force_login(staff_with(*READ))
    return client


def test_invoices_list_with_their_period_and_import_state(staff_client, reconciled: Reconciled):
    body = staff_client.get(BASE, {"instance": reconciled.invoice.instance_id}).json()

    ids = {row["invoice_id"] for row in body["results"]}
    assert reconciled.invoice.invoice_id in ids and body["count"] == len(ids)
    [row] = [r for r in body["results"] if r["id"] == reconciled.invoice.pk]
    assert row["period"] == f"{reconciled.invoice.year}-{reconciled.invoice.month:02d}"
    assert (row["kind"], row["status"], row["line_count"]) == ("billed", "imported", len(reconciled.lines))

    one = staff_client.get(BASE, {"period": row["period"]}).json()
    assert [r["id"] for r in one["results"]] == [reconciled.invoice.pk]
    bad = staff_client.get(BASE, {"period": "2026-13"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    assert "period" in bad.json()["extra"]["fields"]


def test_an_invoice_has_its_reconciliation_summary(staff_client, reconciled: Reconciled):
    body = staff_client.get(f"{BASE}{reconciled.invoice.pk}/").json()

    totals = body["summary"]["totals"]
    assert Decimal(totals["microsoft_cost"]) == sum(Decimal(str(line["subtotal"])) for line in reconciled.lines)
    assert Decimal(totals["margin"]) == Decimal(totals["our_revenue"]) - Decimal(totals["microsoft_cost"])
    assert Decimal(totals["leakage"]) == reconciled.leak.difference
    assert totals["open_findings"] == 2
    outcomes = {o["outcome"]: o for o in body["summary"]["outcomes"]}
    assert outcomes["leakage"]["open"] == 1 and Decimal(outcomes["leakage"]["at_stake"]) == reconciled.leak.difference
    assert outcomes["not_charged"]["open"] == 1 and body["summary"]["causes"] == []


def test_the_lines_filter_and_page(staff_client, reconciled: Reconciled, settings):
    url = f"{BASE}{reconciled.invoice.pk}/lines/"
    total = ChargeMatch.objects.filter(instance=reconciled.invoice.instance, year=reconciled.invoice.year,
                                       month=reconciled.invoice.month).count()

    everything = staff_client.get(url).json()
    assert everything["count"] == total
    [leak] = staff_client.get(url, {"outcome": "leakage"}).json()["results"]
    assert (leak["id"], leak["outcome"], leak["pc_subscription_id"]) == (
        reconciled.leak.pk, Outcome.LEAKAGE, reconciled.leak.pc_subscription_id)
    assert Decimal(leak["microsoft_amount"]) == reconciled.leak.microsoft_amount and leak["our_revenue"] is None
    assert leak["customer_name"] == reconciled.books.customer.company_name
    assert leak["reseller"] == reconciled.books.customer.reseller_id
    [gap] = staff_client.get(url, {"outcome": "not_charged", "charge_type": "addQuantity"}).json()["results"]
    assert gap["id"] == reconciled.gap.pk and Decimal(gap["our_cost"]) == Decimal("12.34")
    assert staff_client.get(url, {"customer": reconciled.books.customer.pk + 999}).json()["count"] == 0
    by_sub = staff_client.get(url, {"subscription": reconciled.leak.pc_subscription_id.upper()}).json()
    assert {r["pc_subscription_id"] for r in by_sub["results"]} == {reconciled.leak.pc_subscription_id}

    first = staff_client.get(url, {"page_size": 1, "page": 1}).json()
    assert first["count"] == total and len(first["results"]) == min(total, 50)  # the API's page size
    wrong = staff_client.get(url, {"outcome": "lost"})
    assert wrong.status_code == 400 and "outcome" in wrong.json()["extra"]["fields"]
    assert staff_client.get(url, {"page": 99}).status_code == 404


def test_read_only_and_staff_only(client, reconciled: Reconciled):
    url = f"{BASE}{reconciled.invoice.pk}/"
    assert client.get(BASE).status_code in (401, 403)
    client.force_login(CustomerUserFactory(customer=reconciled.books.customer))
    denied = client.get(BASE)
    assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"
    assert client.get(f"{url}lines/").status_code == 403
    client.force_login(staff_with("billing.view_invoice"))
    assert client.get(url).status_code == 403
    client.force_login(staff_with(*READ))
    assert client.get(url).status_code == 200
    assert client.post(BASE, {}, content_type="application/json").status_code == 405
    assert client.delete(url).status_code == 405
