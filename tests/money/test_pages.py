"""Back office > Microsoft's bill with real imported data: Microsoft's invoices served by the simulator, imported and
matched with our invoices, one charge left uninvoiced (leakage) and one charge Microsoft never made (not charged).
The pages show the invoices, the totals, the drill-down and filters; the export carries the filtered rows; accept and
bill it go through the page; a user without the permission does not see any of it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import InvoiceLine
from bss.models import AuditEvent
from reconciliation.money.choices import InvoiceKind, Outcome, Resolution
from reconciliation.money.models import ChargeMatch, MicrosoftInvoice
from reconciliation.money.services.matching import match_run
from tests.backoffice.conftest import staff_with
from tests.money.conftest import Books, import_all

pytestmark = pytest.mark.django_db

READ = ("money.view_microsoftinvoice",)
SETTLE = (*READ, "money.change_chargematch")


@dataclass
class Reconciled:
    books: Books
    invoice: MicrosoftInvoice
    leak: ChargeMatch
    gap: ChargeMatch
    lines: list[dict]


@pytest.fixture
def reconciled(sim, books) -> Reconciled:
    by_period: dict[str, list[dict]] = {}
    for line in sim.control.billing_lines():
        if line["invoiceNumber"]:
            by_period.setdefault(line["period"], []).append(line)
    period = next(p for p, lines in sorted(by_period.items()) if len(lines) >= 2)
    missed, *rest = by_period[period]
    for p, lines in by_period.items():
        books.bill_all(rest if p == period else lines)
    books.bill(rest[0], charge_type="addQuantity", quantity=2, cost_amount=Decimal("12.34"))  # Microsoft never did
    instance = books.estate.instance
    import_all(instance)
    year, month = int(period[:4]), int(period[4:])
    match_run(instance=instance, year=year, month=month)
    invoice = MicrosoftInvoice.objects.get(instance=instance, year=year, month=month, kind=InvoiceKind.BILLED)
    leak = ChargeMatch.objects.get(instance=instance, year=year, month=month, outcome=Outcome.LEAKAGE)
    gap = ChargeMatch.objects.get(instance=instance, year=year, month=month, outcome=Outcome.NOT_CHARGED)
    assert leak.pc_subscription_id == missed["subscriptionId"].lower()
    return Reconciled(books, invoice, leak, gap, by_period[period])


def _page(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return response


def test_the_invoices_of_the_instance_show_with_their_import_state_and_the_monthly_chart(client, reconciled):
    response = _page(client, staff_with(*READ), reverse("money:home"))

    html = response.content.decode()
    invoices = MicrosoftInvoice.objects.filter(instance=reconciled.books.estate.instance)
    assert invoices.count() >= 1
    for invoice in invoices:
        assert invoice.invoice_id in html
    assert "Imported" in html
    assert "Margin per month" in html and "Leakage found per month" in html
    label = f"{reconciled.invoice.year}-{reconciled.invoice.month:02d}"
    assert f"{label}: leakage {reconciled.leak.difference}" in html
    assert "Import now" not in html  # reading only


def test_the_reconciliation_shows_cost_revenue_margin_leakage_and_the_outcomes(client, reconciled):
    response = _page(client, staff_with(*READ), reverse("money:invoice", args=[reconciled.invoice.pk]))

    summary = response.context["summary"]
    ms_total = sum(Decimal(str(line["subtotal"])) for line in reconciled.lines)
    revenue = sum((line.amount for line in InvoiceLine.objects.filter(
        invoice__year=reconciled.invoice.year, invoice__month=reconciled.invoice.month)), Decimal(0))
    assert summary.totals["microsoft_cost"] == ms_total
    assert summary.totals["our_revenue"] == revenue
    assert summary.margin == revenue - ms_total
    assert summary.totals["leakage"] == reconciled.leak.difference > 0
    assert summary.totals["open_findings"] == 2
    outcomes = {o["outcome"]: o for o in summary.outcomes}
    assert outcomes[Outcome.LEAKAGE]["open"] == 1 and outcomes[Outcome.NOT_CHARGED]["open"] == 1
    assert outcomes[Outcome.MATCHED]["lines"] == len(reconciled.lines) - 1
    html = response.content.decode()
    assert f'data-total="leakage">{reconciled.leak.difference}<' in html
    assert "Microsoft charged, we did not invoice" in html


def test_the_drill_down_goes_reseller_customer_subscription_line(client, reconciled):
    user = staff_with(*READ)
    url = reverse("money:invoice", args=[reconciled.invoice.pk])
    customer = reconciled.books.customer

    by_reseller = _page(client, user, url).context
    assert by_reseller["level"] == "reseller"
    assert [g["key"] for g in by_reseller["groups"]] == [customer.reseller_id]

    by_customer = _page(client, user, url, reseller=customer.reseller_id).context
    assert by_customer["level"] == "customer"
    assert [(g["key"], g["name"]) for g in by_customer["groups"]] == [(customer.pk, customer.company_name)]

    by_subscription = _page(client, user, url, reseller=customer.reseller_id, customer=customer.pk).context
    assert by_subscription["level"] == "subscription"
    [leaking] = [g for g in by_subscription["groups"] if g["leakage"]]
    assert (leaking["key"], leaking["leakage"]) == (reconciled.leak.pc_subscription_id, reconciled.leak.difference)

    lines = _page(client, user, url, customer=customer.pk, subscription=leaking["key"]).context
    assert lines["level"] == "line" and lines["groups"] == []
    assert reconciled.leak.pk in [m.pk for m in lines["page"]]
    assert {m.pc_subscription_id for m in lines["page"]} == {leaking["key"]}


def test_filters_narrow_the_lines(client, reconciled):
    user = staff_with(*READ)
    url = reverse("money:invoice", args=[reconciled.invoice.pk])

    leakage = _page(client, user, url, outcome="leakage").context["page"]
    assert [m.pk for m in leakage] == [reconciled.leak.pk]
    not_charged = _page(client, user, url, outcome="not_charged", charge_type="addQuantity").context["page"]
    assert [m.pk for m in not_charged] == [reconciled.gap.pk]
    assert list(_page(client, user, url, outcome="variance").context["page"]) == []
    other_reseller = _page(client, user, url, reseller=reconciled.books.customer.reseller_id + 999).context
    assert list(other_reseller["page"]) == []  # not one of this invoice's: no line
    wrong = _page(client, user, url, outcome="leakage", cause="weather")
    assert "weather is not one of the available choices" in wrong.content.decode()
    assert [m.pk for m in wrong.context["page"]] == [reconciled.leak.pk]  # the valid filters still apply
    matched = _page(client, user, url, outcome="matched").context["page"]
    assert len(matched) == len(reconciled.lines) - 1


def test_the_export_carries_the_filtered_lines(client, reconciled):
    client.force_login(staff_with(*READ))
    url = reverse("money:invoice", args=[reconciled.invoice.pk])

    response = client.get(url, {"outcome": "leakage", "format": "csv"})

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = [row.split(",") for row in text.strip().splitlines()]
    assert rows[0][:3] == ["id", "outcome", "cause"]
    assert len(rows) == 2
    assert rows[1][0] == str(reconciled.leak.pk) and reconciled.leak.pc_subscription_id in rows[1]
    assert str(reconciled.leak.difference) in rows[1]

    excel = client.get(url, {"format": "xlsx"})
    assert excel.status_code == 200 and excel["Content-Disposition"].endswith('.xlsx"')
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(b"".join(excel.streaming_content))).active
    assert sheet.max_row == 1 + ChargeMatch.objects.filter(
        instance=reconciled.invoice.instance, year=reconciled.invoice.year, month=reconciled.invoice.month).count()


def test_accepting_needs_a_reason_and_bill_it_puts_the_charge_on_the_next_invoice(client, reconciled):
    user = staff_with(*SETTLE)
    client.force_login(user)
    url = reverse("money:invoice", args=[reconciled.invoice.pk])
    html = client.get(url).content.decode()
    assert "Bill it" in html and "Why accept it?" in html

    refused = client.post(reverse("money:finding_accept", args=[reconciled.gap.pk]), {"reason": " ", "next": url},
                          follow=True)
    assert "Say why the difference is accepted." in refused.content.decode()
    assert ChargeMatch.objects.get(pk=reconciled.gap.pk).resolution == Resolution.OPEN

    client.post(reverse("money:finding_accept", args=[reconciled.gap.pk]),
                {"reason": "Goodwill seats", "next": url})
    gap = ChargeMatch.objects.get(pk=reconciled.gap.pk)
    assert (gap.resolution, gap.reason, gap.resolved_by) == (Resolution.ACCEPTED, "Goodwill seats", user)

    billed = client.post(reverse("money:finding_bill", args=[reconciled.leak.pk]), {"next": url}, follow=True)
    leak = ChargeMatch.objects.get(pk=reconciled.leak.pk)
    assert leak.resolution == Resolution.BILLED and leak.billed_line.amount == leak.microsoft_amount
    assert "billed to the customer" in billed.content.decode()
    assert AuditEvent.objects.filter(action="money.finding_bill", object_id=str(leak.pk), actor=user).exists()

    again = client.post(reverse("money:finding_bill", args=[reconciled.leak.pk]), {"next": url}, follow=True)
    assert "already billed to the customer" in again.content.decode()
    page = client.get(url).context
    assert page["summary"].totals["open_findings"] == 0 and page["summary"].totals["leakage"] == 0


def test_running_the_match_again_from_the_page_finds_nothing_new(client, reconciled):
    client.force_login(staff_with(*READ, "money.add_matchrun"))

    response = client.post(reverse("money:invoice_match", args=[reconciled.invoice.pk]), follow=True)

    assert "2 finding(s), 0 new" in response.content.decode()


def test_without_the_permission_the_pages_are_not_there(client, reconciled):
    invoice_url = reverse("money:invoice", args=[reconciled.invoice.pk])
    urls = [reverse("money:home"), invoice_url, reverse("money:unbilled"),
            reverse("money:invoice_progress", args=[reconciled.invoice.pk])]
    for url in urls:
        assert client.get(url).status_code == 302  # signed out: to the sign-in page
    client.force_login(staff_with("billing.view_invoice"))
    for url in urls:
        assert client.get(url).status_code == 404
    client.force_login(staff_with(*READ))
    assert client.post(reverse("money:finding_bill", args=[reconciled.leak.pk])).status_code == 404
    assert client.post(reverse("money:invoice_match", args=[reconciled.invoice.pk])).status_code == 404
    assert ChargeMatch.objects.get(pk=reconciled.leak.pk).resolution == Resolution.OPEN


def test_the_live_progress_of_an_import(client, reconciled):
    client.force_login(staff_with(*READ))
    data = client.get(reverse("money:invoice_progress", args=[reconciled.invoice.pk])).json()
    assert (data["status"], data["active"], data["line_count"]) == ("imported", False, len(reconciled.lines))
