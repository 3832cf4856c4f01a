"""The billing API per role: a customer sees only its invoices, a reseller its own and the ones it issues to its
customers, staff with the billing permission all of them; a foreign document is a 404 in the one error shape."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from billing.services.credit_notes import credit_note_issue
from tests.billing.doors import CUSTOMER_VAT_ID, estate, staff
from tests.billing.scenario import buy
from tests.factories.bss import CustomerUserFactory, ResellerUserFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

LINE_KEYS = {"charge_type", "subscription", "pc_subscription_id", "quantity", "unit_price", "effective_unit_price",
             "amount", "charge_start", "charge_end", "tax_rate", "tax_amount"}


@pytest.fixture
def world():
    return estate()


def _as(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _numbers(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["number"] for row in response.json()["results"]}


def test_a_customer_sees_only_its_own_invoices(world):
    client = _as(CustomerUserFactory(customer=world.customer))

    assert _numbers(client.get("/api/v1/invoices/")) == {world.invoice.number}
    foreign = client.get(f"/api/v1/invoices/{world.other_invoice.pk}/")
    assert foreign.status_code == 404 and set(foreign.json()) == {"code", "message", "extra"}
    assert client.get(f"/api/v1/invoices/{world.other_invoice.pk}/pdf").status_code == 404


def test_an_invoice_carries_its_lines_in_partner_center_terms(world):
    client = _as(CustomerUserFactory(customer=world.customer))

    body = client.get(f"/api/v1/invoices/{world.invoice.pk}/").json()

    assert body["total"] == "120.96" and body["party_vat_id"] == CUSTOMER_VAT_ID and body["period"] == "2025-06"
    line = body["lines"][0]
    assert set(line) >= LINE_KEYS
    sub = world.invoice.lines.get().subscription
    assert line["subscription"] == sub.pk and line["pc_subscription_id"] == sub.pc_subscription_id
    assert (line["quantity"], line["unit_price"], line["amount"]) == (10, "10.080000", "100.80")
    assert (line["tax_rate"], line["tax_amount"]) == ("20.000", "20.16")
    assert line["charge_start"] == "2025-06-18"


def test_the_pdf_is_the_invoice(world):
    response = _as(CustomerUserFactory(customer=world.customer)).get(f"/api/v1/invoices/{world.invoice.pk}/pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert world.invoice.number in text and "120.96" in text and CUSTOMER_VAT_ID in text


def test_a_tenant_reseller_sees_its_own_invoice_and_the_ones_it_issues(world):
    client = _as(ResellerUserFactory(reseller=world.tenant))

    assert _numbers(client.get("/api/v1/invoices/")) == {world.wholesale_invoice.number,
                                                         world.tenant_issued_invoice.number}
    assert client.get(f"/api/v1/invoices/{world.invoice.pk}/").status_code == 404
    by_customer = client.get("/api/v1/invoices/", {"customer": world.tenant_customer.pk})
    assert _numbers(by_customer) == {world.wholesale_invoice.number, world.tenant_issued_invoice.number}


def test_another_reseller_sees_none(world):
    assert _numbers(_as(ResellerUserFactory()).get("/api/v1/invoices/")) == set()


def test_staff_see_every_invoice_with_the_permission_and_none_without(world):
    everything = _numbers(_as(staff("view_invoice")).get("/api/v1/invoices/"))
    without = _as(StaffUserFactory())

    assert len(everything) == 4
    assert _numbers(without.get("/api/v1/invoices/")) == set()
    assert without.get(f"/api/v1/invoices/{world.invoice.pk}/").status_code == 404


def test_invoices_filter_by_customer_period_and_status(world):
    client = _as(staff("view_invoice"))

    assert _numbers(client.get("/api/v1/invoices/", {"customer": world.other_customer.pk})) == {
        world.other_invoice.number}
    assert len(_numbers(client.get("/api/v1/invoices/", {"period": "2025-06", "status": "final"}))) == 4
    assert _numbers(client.get("/api/v1/invoices/", {"period": "2025-07"})) == set()
    bad = client.get("/api/v1/invoices/", {"period": "June"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"


def test_credit_notes_follow_the_same_scoping(world):
    note = credit_note_issue(invoice=world.invoice, reason="Goodwill", actor=StaffUserFactory())

    mine = _as(CustomerUserFactory(customer=world.customer))
    other = _as(CustomerUserFactory(customer=world.other_customer))

    assert _numbers(mine.get("/api/v1/credit-notes/")) == {note.number}
    body = mine.get(f"/api/v1/credit-notes/{note.pk}/").json()
    assert body["reason"] == "Goodwill" and body["invoice"] == world.invoice.pk and set(body["lines"][0]) >= LINE_KEYS
    assert mine.get(f"/api/v1/credit-notes/{note.pk}/pdf").content[:4] == b"%PDF"
    assert _numbers(other.get("/api/v1/credit-notes/")) == set()
    assert other.get(f"/api/v1/credit-notes/{note.pk}/").status_code == 404
    assert other.get(f"/api/v1/credit-notes/{note.pk}/pdf").status_code == 404


def test_unbilled_charges_are_the_next_invoices_lines(world):
    sub = buy(world.customer, timezone.now() - dt.timedelta(hours=1), 4, price="10.08", cost="8.06")
    client = _as(CustomerUserFactory(customer=world.customer))

    body = client.get(f"/api/v1/customers/{world.customer.pk}/unbilled-charges/").json()

    assert body["currency"] == "EUR" and len(body["lines"]) == 1
    line = body["lines"][0]
    assert set(line) >= LINE_KEYS and line["subscription"] == sub.pk and line["tax_rate"] == "20.000"
    assert Decimal(body["total"]) == Decimal(body["subtotal"]) + Decimal(body["tax_total"]) > 0
    assert _as(CustomerUserFactory(customer=world.other_customer)).get(
        f"/api/v1/customers/{world.customer.pk}/unbilled-charges/").status_code == 404
    assert _as(StaffUserFactory()).get(f"/api/v1/customers/{world.customer.pk}/unbilled-charges/").status_code == 404
    assert _as(staff("view_invoice")).get(f"/api/v1/customers/{world.customer.pk}/unbilled-charges/").status_code == 200
