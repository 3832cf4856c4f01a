"""The billing back office: permission gates, invoices and their PDF, CSV and Excel exports, a manual credit note,
runs with their progress, issuer settings, tax rules, unbilled charges, the accounting export and the margin report."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from billing.models import CreditNote, InvoiceRun, TaxRule
from tests.billing.doors import estate, staff
from tests.factories.bss import StaffUserFactory

pytestmark = pytest.mark.django_db

PAGES = ["billing:home", "billing:invoices", "billing:credit_notes", "billing:runs", "billing:issuers",
         "billing:tax_rules", "billing:unbilled", "billing:accounting", "billing:margin"]


@pytest.fixture
def world():
    return estate()


def _csv(response) -> list[list[str]]:
    # the export starts with a BOM so that Excel opens it as UTF-8
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


@pytest.mark.parametrize("name", PAGES)
def test_staff_without_the_billing_permission_get_not_found(client, name):
    client.force_login(StaffUserFactory())

    assert client.get(reverse(name)).status_code == 404


def test_the_tools_page_lists_billing_only_for_staff_who_may_see_invoices(client):
    client.force_login(StaffUserFactory())
    assert "Billing" not in client.get(reverse("backoffice:tools")).content.decode()

    client.force_login(staff("view_invoice"))
    assert reverse("billing:home") in client.get(reverse("backoffice:tools")).content.decode()


def test_staff_list_invoices_open_one_and_download_its_pdf(client, world):
    client.force_login(staff("view_invoice"))

    listing = client.get(reverse("billing:invoices"), {"q": "Northwind"}).content.decode()
    detail = client.get(reverse("billing:invoice_detail", args=[world.invoice.pk])).content.decode()
    pdf = client.get(reverse("billing:invoice_pdf", args=[world.invoice.pk]))

    assert world.invoice.number in listing and world.other_invoice.number not in listing
    assert "120.96 EUR" in detail and "Microsoft 365 Business Standard" in detail
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert world.invoice.number in text and "120.96" in text


def test_invoices_export_as_csv_and_excel(client, world):
    client.force_login(staff("view_invoice"))

    rows = _csv(client.get(reverse("billing:invoices"), {"format": "csv"}))
    xlsx = client.get(reverse("billing:invoices"), {"format": "xlsx", "status": "final"})
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)), read_only=True).active

    assert rows[0][:3] == ["id", "number", "status"] and len(rows) == 5
    assert {r[1] for r in rows[1:]} == {"INV-2026-000001", "INV-2026-000002", "INV-2026-000003", "TW-2026-000001"}
    excel = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert excel[0][1] == "number" and len(excel) == 5
    assert any(r[1] == world.invoice.number and float(r[12]) == 120.96 for r in excel[1:])


def test_a_manual_credit_note_needs_the_permission_and_a_reason(client, world):
    url = reverse("billing:credit_note_create", args=[world.invoice.pk])
    client.force_login(staff("view_invoice"))
    assert client.post(url, {"reason": "Goodwill"}).status_code == 404

    client.force_login(staff("view_invoice", "add_creditnote", "view_creditnote"))
    blank = client.post(url, {"reason": " "}, follow=True)
    assert not CreditNote.objects.exists() and "Give the reason" in blank.content.decode()

    page = client.post(url, {"reason": "Seats never used"}, follow=True).content.decode()
    note = CreditNote.objects.get()
    assert note.total == world.invoice.total and note.reason == "Seats never used" and note.number
    assert f"Credit note {note.number} issued" in page
    again = client.post(url, {"reason": "Twice"}, follow=True).content.decode()
    assert "Nothing is left to credit" in again and CreditNote.objects.count() == 1
    listing = client.get(reverse("billing:credit_notes")).content.decode()
    assert note.number in listing
    assert client.get(reverse("billing:credit_note_pdf", args=[note.pk])).content[:4] == b"%PDF"


def test_a_preview_run_shows_its_progress_and_offers_to_finalise(client, world, django_capture_on_commit_callbacks):
    client.force_login(staff("view_invoicerun", "add_invoicerun", "view_invoice"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("billing:runs"), {"period": "2025-06"})
    run = InvoiceRun.objects.exclude(finalise=True).get()
    page = client.get(response.url).content.decode()
    progress = client.get(reverse("billing:run_progress", args=[run.pk])).json()

    assert response.url == reverse("billing:run_detail", args=[run.pk])
    assert run.status == "previewed" and run.total > 0
    assert progress["done"] == progress["total"] == run.total and progress["percent"] == 100
    assert f"{run.total}</strong> of <strong data-field=\"total\">{run.total}" in page
    assert "Finalise 2025-06" in page and "width: 100%" in page


def test_a_run_cannot_finalise_a_month_that_has_not_ended(client, world):
    client.force_login(staff("view_invoicerun", "add_invoicerun"))

    page = client.post(reverse("billing:runs"), {"period": "2099-01", "finalise": "on"}).content.decode()

    assert "has not ended" in page and not InvoiceRun.objects.filter(year=2099).exists()


def test_issuer_settings_change_through_the_service_which_refuses_a_billing_day_past_28(client, world):
    client.force_login(staff("view_issuer", "change_issuer"))
    url = reverse("billing:issuer_edit", args=[world.issuer.pk])
    data = {"name": world.issuer.name, "address": "2 rue du Bac", "country": "FR", "vat_id": world.issuer.vat_id,
            "time_zone": "Europe/Paris", "billing_day": 31, "number_prefix": "INV", "credit_note_prefix": "CN"}

    refused = client.post(url, data).content.decode()
    world.issuer.refresh_from_db()
    assert world.issuer.billing_day == 1 and "errorlist" in refused

    client.post(url, {**data, "billing_day": 5})
    world.issuer.refresh_from_db()
    assert world.issuer.billing_day == 5 and world.issuer.address == "2 rue du Bac"


def test_a_tax_rule_that_overlaps_one_in_force_is_refused(client, world):
    client.force_login(staff("view_taxrule", "add_taxrule", "change_taxrule"))
    rule = {"issuer_country": "FR", "customer_country": "FR", "scope": "domestic", "name": "VAT 21 %", "rate": "21",
            "effective_from": "2027-01-01"}

    refused = client.post(reverse("billing:tax_rules"), rule).content.decode()
    old = TaxRule.objects.get()
    client.post(reverse("billing:tax_rule_end", args=[old.pk]), {"on": "2027-01-01"})
    client.post(reverse("billing:tax_rules"), rule)

    assert "in force on some of these days" in refused
    assert sorted(TaxRule.objects.values_list("rate", flat=True)) == [20, 21]


def test_a_customers_unbilled_charges(client, world):
    client.force_login(staff("view_invoice"))

    page = client.get(reverse("billing:unbilled"), {"customer": world.customer.pk}).content.decode()

    assert "Unbilled charges of Northwind Traders" in page and "Total so far" in page


def test_the_accounting_export_has_a_row_per_line_with_its_revenue_account(client, world, settings):
    settings.BILLING_REVENUE_ACCOUNTS = {"Microsoft 365|VAT 20 %": "706110", "*|*": "706000"}
    client.force_login(staff("export_accounting"))

    rows = _csv(client.get(reverse("billing:accounting"),
                           {"start": "2025-06", "end": "2025-06", "format": "csv"}))
    header, body = rows[0], rows[1:]
    northwind = next(dict(zip(header, r, strict=True)) for r in body if r[header.index("number")] ==
                     world.invoice.number)

    assert len(body) == 4
    assert northwind["product_family"] == "Microsoft 365" and northwind["tax_code"] == "VAT 20 %"
    assert northwind["revenue_account"] == "706110" and northwind["amount"] == "100.80"
    assert client.get(reverse("billing:accounting"), {"format": "xlsx", "start": "2025-06"}).status_code == 200
    assert "706110" in client.get(reverse("billing:accounting")).content.decode()


def test_the_margin_report_shows_revenue_cost_and_margin_with_an_svg_chart(client, world):
    client.force_login(staff("view_margin_report"))

    page = client.get(reverse("billing:margin"), {"dimension": "customer", "start": "2025-06", "end": "2025-06"})
    body = page.content.decode()
    by_family = _csv(client.get(reverse("billing:margin"), {"dimension": "family", "start": "2025-06",
                                                              "end": "2025-06", "format": "csv"}))

    svg = re.search(r"<svg.*?</svg>", body, re.S).group(0)
    assert "Northwind Traders" in svg and 'class="bar-revenue"' in svg and "style=" not in svg
    assert "<script" not in svg
    assert "100.80 EUR" in body  # Northwind's revenue (net of tax)
    assert by_family[1][0] == "Microsoft 365"
    assert client.get(reverse("billing:margin")).status_code == 200
