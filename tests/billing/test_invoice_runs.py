"""Invoice runs over the licence ledger: rated totals, the same period run again, problems reported, resuming."""

from decimal import Decimal

import pytest

from billing.choices import DocumentStatus, RunStatus
from billing.models import Invoice, InvoiceLine, InvoiceRun, NumberCounter
from billing.models.documents import FinalDocumentChanged
from billing.services import runs
from billing.services.runs import invoice_run_create, invoice_run_execute
from bss.exceptions import ApplicationError
from tests.billing.scenario import at, buy, cancel, change_seats, direct_customer

pytestmark = pytest.mark.django_db


def run_june(*, finalise: bool = True) -> InvoiceRun:
    return invoice_run_execute(run_id=invoice_run_create(year=2025, month=6, finalise=finalise).pk)


@pytest.fixture
def contoso(provider, issuer):
    """Orders, a seat increase and a cancellation in June 2025 (Microsoft's worked examples, §3.3)."""
    customer = direct_customer(provider, name="Fabrikam SARL")
    standard = buy(customer, at(2025, 6, 18), 10, price="10.08", cost="8.40")
    change_seats(standard, at(2025, 6, 20), 12)  # 10.08 / 30 x 28 = 9.408 -> 9.40 per seat
    basic = buy(customer, at(2025, 6, 2), 5, price="20.00", cost="16.00", name="Microsoft 365 Business Basic")
    cancel(basic, at(2025, 6, 4))  # 20.00 / 30 x 28 = 18.666 -> 18.66 refunded per seat
    return customer


def test_a_customers_orders_seat_changes_and_cancellation_are_invoiced_with_microsofts_rows(contoso):
    run = run_june()

    assert run.status == RunStatus.FINALISED and run.problems == [] and (run.done, run.total) == (1, 1)
    invoice = Invoice.objects.get(customer=contoso)
    rows = sorted((line.charge_type, line.quantity, line.amount) for line in invoice.lines.all())
    assert rows == sorted([
        ("new", 10, Decimal("100.80")),
        ("addQuantity", 10, Decimal("-94.00")),
        ("addQuantity", 12, Decimal("112.80")),
        ("new", 5, Decimal("100.00")),
        ("cancelImmediate", 5, Decimal("-93.30")),
    ])
    assert invoice.subtotal == Decimal("126.30")
    assert invoice.tax_summary == [{"rate": "20.000", "name": "VAT 20 %", "base": "126.30", "tax": "25.26"}]
    assert (invoice.tax_total, invoice.total) == (Decimal("25.26"), Decimal("151.56"))
    # Microsoft's cost, rated the same way: 84.00 - 78.40 + 94.08 + 80.00 - 74.65.
    assert invoice.cost_total == Decimal("105.03")
    assert invoice.status == DocumentStatus.FINAL and invoice.number == f"INV-{invoice.finalised_at.year}-000001"
    line = invoice.lines.get(charge_type="addQuantity", quantity=12)
    assert (line.charge_start.isoformat(), line.charge_end.isoformat()) == ("2025-06-20", "2025-07-17")
    assert (line.effective_unit_price, line.tax_rate, line.tax_amount) == (
        Decimal("9.40"), Decimal("20"), Decimal("22.56"))


def test_the_same_period_run_again_changes_nothing(contoso):
    first = run_june()
    invoice = Invoice.objects.get(customer=contoso)
    lines = list(InvoiceLine.objects.filter(invoice=invoice).values_list("pk", "amount"))

    second = run_june()

    assert second.status == RunStatus.FINALISED
    assert Invoice.objects.count() == 1
    again = Invoice.objects.get(customer=contoso)
    assert (again.pk, again.number, again.total, again.finalised_at) == (
        invoice.pk, invoice.number, invoice.total, invoice.finalised_at)
    assert list(InvoiceLine.objects.filter(invoice=again).values_list("pk", "amount")) == lines
    assert NumberCounter.objects.get().last_number == 1
    assert first.pk != second.pk
    again.total = Decimal("1.00")
    with pytest.raises(FinalDocumentChanged):
        again.save()
    with pytest.raises(FinalDocumentChanged):
        again.delete()


def test_a_preview_is_a_draft_without_a_number_and_finalising_numbers_it(contoso):
    preview = run_june(finalise=False)
    draft = Invoice.objects.get(customer=contoso)
    assert preview.status == RunStatus.PREVIEWED and draft.status == DocumentStatus.DRAFT and draft.number == ""
    assert draft.total == Decimal("151.56")

    run_june()

    final = Invoice.objects.get(customer=contoso)
    assert final.pk == draft.pk and final.status == DocumentStatus.FINAL and final.number.endswith("-000001")


def test_a_subscription_with_no_known_price_is_reported_not_billed_at_zero(provider, issuer):
    customer = direct_customer(provider, name="Northwind")
    buy(customer, at(2025, 6, 3), 4, price="12.00", cost="10.00")
    unknown = buy(customer, at(2025, 6, 5), 7, price=None, name="Visio Plan 2")

    run = run_june()

    assert [p["customer"] for p in run.problems] == ["Northwind"]
    assert "Visio Plan 2" in run.problems[0]["subscription"] and "no known price" in run.problems[0]["message"]
    invoice = Invoice.objects.get(customer=customer)
    assert not invoice.lines.filter(subscription=unknown).exists()
    assert invoice.subtotal == Decimal("48.00")


def test_a_run_that_stops_half_way_leaves_no_partial_invoice_and_resumes(provider, issuer, monkeypatch):
    first = direct_customer(provider, name="A Customer")
    second = direct_customer(provider, name="B Customer")
    buy(first, at(2025, 6, 3), 2, price="10.00")
    buy(second, at(2025, 6, 3), 3, price="10.00")
    write = runs._write_invoice

    def crash_on_b(run, plan, invoice, manual):
        lines = write(run, plan, invoice, manual)
        if plan.bill.customer == second:
            raise RuntimeError("worker lost")
        return lines

    monkeypatch.setattr(runs, "_write_invoice", crash_on_b)
    run = run_june()

    assert run.status == RunStatus.FAILED and "B Customer" in run.error and run.done == 1
    assert list(Invoice.objects.values_list("party_name", "status")) == [("A Customer", DocumentStatus.FINAL)]
    assert not InvoiceLine.objects.filter(invoice__customer=second).exists()

    monkeypatch.setattr(runs, "_write_invoice", write)
    resumed = invoice_run_execute(run_id=run.pk)

    assert resumed.status == RunStatus.FINALISED and (resumed.done, resumed.total) == (2, 2)
    numbers = dict(Invoice.objects.values_list("party_name", "number"))
    assert sorted(n[-6:] for n in numbers.values()) == ["000001", "000002"]


def test_a_period_is_finalised_only_once_it_has_ended(issuer):
    with pytest.raises(ApplicationError, match="has not ended"):
        invoice_run_create(year=2999, month=1, finalise=True)


def test_a_light_resellers_customers_are_invoiced_to_the_reseller_at_wholesale_grouped_per_customer(provider, issuer):
    from tests.factories.bss import CustomerFactory, MarketplaceFactory, ResellerFactory

    reseller = ResellerFactory(name="Litware", parent=provider, country="FR")
    marketplace = MarketplaceFactory(owner=provider, currency="EUR")
    for name in ("Zeta GmbH", "Alpha SA"):
        customer = CustomerFactory(reseller=reseller, marketplace=marketplace, company_name=name, country="FR")
        buy(customer, at(2025, 6, 10), 10, price="12.00", cost="10.00")

    run_june()

    invoice = Invoice.objects.get()
    assert (invoice.party_kind, invoice.reseller, invoice.party_name) == ("reseller", reseller, "Litware")
    # Microsoft's cost 10.00 + the default wholesale 10 % = 11.00 a seat (not the customers' 12.00).
    assert [(line.end_customer_name, line.amount) for line in invoice.lines.all()] == [
        ("Alpha SA", Decimal("110.00")), ("Zeta GmbH", Decimal("110.00"))]
