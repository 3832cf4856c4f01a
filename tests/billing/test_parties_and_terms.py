"""Who is invoiced at which price, renewals Partner Center confirmed, unbilled charges, and the billing day."""

import datetime as dt
from decimal import Decimal

import pytest

from billing.choices import PartyKind, RunStatus
from billing.models import Invoice, InvoiceRun
from billing.selectors import unbilled_charges
from billing.services.runs import invoice_run_create, invoice_run_execute
from billing.services.schedule import invoice_runs_due
from bss.choices import ResellerKind
from tests.billing.scenario import at, buy, change_seats, direct_customer
from tests.factories.billing import IssuerFactory
from tests.factories.bss import CustomerFactory, MarketplaceFactory, ResellerFactory
from tests.factories.resellerprices import ResellerPriceRuleFactory

pytestmark = pytest.mark.django_db


def run(year, month, *, finalise=True):
    return invoice_run_execute(run_id=invoice_run_create(year=year, month=month, finalise=finalise).pk)


def test_a_tenant_reseller_is_invoiced_at_wholesale_and_invoices_its_own_customer_at_its_sale_price(provider, issuer):
    tenant_reseller = ResellerFactory(name="Adatum", kind=ResellerKind.TENANT, parent=provider, country="FR")
    ResellerPriceRuleFactory(reseller=tenant_reseller, sku=None, percent=Decimal("5"))
    IssuerFactory(reseller=tenant_reseller, name="Adatum SARL", number_prefix="ADT")
    marketplace = MarketplaceFactory(owner=tenant_reseller, currency="EUR")
    customer = CustomerFactory(reseller=tenant_reseller, marketplace=marketplace, company_name="Tailspin", country="FR")
    buy(customer, at(2025, 6, 10), 10, price="15.00", cost="10.00")

    run(2025, 6)

    wholesale = Invoice.objects.get(party_kind=PartyKind.RESELLER)
    sale = Invoice.objects.get(party_kind=PartyKind.CUSTOMER)
    assert (wholesale.issuer.name, wholesale.party_name, wholesale.subtotal) == ("Contoso CSP SAS", "Adatum",
                                                                                 Decimal("105.00"))
    assert (sale.issuer.name, sale.party_name, sale.subtotal) == ("Adatum SARL", "Tailspin", Decimal("150.00"))
    assert wholesale.number.startswith("INV-") and sale.number.startswith("ADT-")
    assert wholesale.lines.get().end_customer_name == "Tailspin"


def test_a_renewal_partner_center_confirmed_bills_the_next_term(provider, issuer):
    sub = buy(direct_customer(provider), at(2025, 5, 10), 10, price="10.08")
    sub.commitment_end_date = dt.date(2025, 7, 9)  # Partner Center renewed the monthly term on 10 Jun
    sub.save(update_fields=["commitment_end_date"])

    run(2025, 6)

    line = Invoice.objects.get().lines.get()
    assert (line.charge_type, line.charge_start, line.charge_end, line.amount) == (
        "renew", dt.date(2025, 6, 10), dt.date(2025, 7, 9), Decimal("100.80"))


def test_unbilled_charges_to_date_are_what_the_customer_has_run_up_this_month(provider, issuer):
    customer = direct_customer(provider)
    sub = buy(customer, at(2025, 6, 3), 5, price="20.00")
    change_seats(sub, at(2025, 6, 20), 6)  # later than "now": not yet

    unbilled = unbilled_charges(customer=customer, now=at(2025, 6, 15, 12))

    assert [(d.charge.charge_type.value, d.charge.amount) for d in unbilled.lines] == [("new", Decimal("100.00"))]
    assert unbilled.total == Decimal("100.00") and not Invoice.objects.exists()


def test_each_issuer_runs_last_month_on_its_billing_day_once(provider, issuer, django_capture_on_commit_callbacks):
    assert invoice_runs_due(now=dt.datetime(2025, 7, 2, 8, tzinfo=dt.UTC)) == []

    with django_capture_on_commit_callbacks(execute=True):
        started = invoice_runs_due(now=dt.datetime(2025, 7, 1, 8, tzinfo=dt.UTC))
    again = invoice_runs_due(now=dt.datetime(2025, 7, 1, 9, tzinfo=dt.UTC))

    assert [(r.year, r.month, r.finalise, r.issuer) for r in started] == [(2025, 6, True, issuer)]
    assert again == [] and InvoiceRun.objects.get().status == RunStatus.FINALISED


def test_charges_are_invoiced_in_advance_monthly_cycles_monthly_annual_upfront_at_their_cycle_date(provider, issuer):
    customer = direct_customer(provider)
    buy(customer, at(2025, 3, 15), 10, price="120.96", term="P1Y", cycle="annual", name="Yearly upfront")
    buy(customer, at(2025, 3, 15), 10, price="10.08", term="P1Y", cycle="monthly", name="Yearly, paid monthly")

    run(2025, 3)
    run(2025, 4)

    march, april = (Invoice.objects.get(month=m) for m in (3, 4))
    assert sorted((line.description, line.charge_type, line.charge_end, line.amount) for line in march.lines.all()) == [
        ("Yearly upfront", "new", dt.date(2026, 3, 14), Decimal("1209.60")),
        ("Yearly, paid monthly", "new", dt.date(2025, 4, 14), Decimal("100.80")),
    ]
    assert [(line.description, line.charge_type, line.charge_start, line.amount) for line in april.lines.all()] == [
        ("Yearly, paid monthly", "cycleCharge", dt.date(2025, 4, 15), Decimal("100.80"))]
