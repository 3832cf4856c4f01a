"""An invoice run's queries do not grow with the number of parties or subscriptions it bills: parties are rated and
written in batches, the catalog's answers shared within a batch (bench/billing.py measures the figures at scale)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.choices import DocumentStatus, PartyKind, RunStatus
from billing.models import Invoice
from billing.services.runs import invoice_run_create, invoice_run_execute
from bss.choices import ResellerKind
from tests.billing.scenario import at, buy, direct_customer
from tests.factories.billing import IssuerFactory
from tests.factories.bss import CustomerFactory, MarketplaceFactory, ResellerFactory
from tests.factories.resellerprices import ResellerPriceRuleFactory

pytestmark = pytest.mark.django_db


def _month_of_orders(provider, tenant_reseller, marketplace, month, customers):
    for n in range(customers):
        direct = direct_customer(provider, name=f"Direct {month}-{n}")
        buy(direct, at(2025, month, 3 + n), 2 + n, price="10.00", cost="8.00")
        buy(direct, at(2025, month, 3 + n), 1, price="30.00", cost="25.00", name="Microsoft 365 E3")
        theirs = CustomerFactory(reseller=tenant_reseller, marketplace=marketplace, company_name=f"Theirs {month}-{n}",
                                 country="FR")
        buy(theirs, at(2025, month, 3 + n), 3, price="12.00", cost="8.00")


def _run(month):
    with CaptureQueriesContext(connection) as queries:
        run = invoice_run_execute(run_id=invoice_run_create(year=2025, month=month, finalise=True).pk)
    assert run.status == RunStatus.FINALISED, (run.error, run.problems)
    return len(queries)


def test_a_run_four_times_larger_takes_no_more_queries(provider, issuer):
    tenant_reseller = ResellerFactory(name="Adatum", kind=ResellerKind.TENANT, parent=provider, country="FR")
    ResellerPriceRuleFactory(reseller=tenant_reseller, sku=None, percent=Decimal("5"))
    IssuerFactory(reseller=tenant_reseller, name="Adatum SARL", number_prefix="ADT")
    marketplace = MarketplaceFactory(owner=tenant_reseller, currency="EUR")

    _month_of_orders(provider, tenant_reseller, marketplace, 6, customers=2)
    june = _run(6)
    _month_of_orders(provider, tenant_reseller, marketplace, 7, customers=8)
    july = _run(7)

    # June: 2 direct customers, the reseller at wholesale, the reseller's 2 customers; July: 8, 1 and 8.
    invoiced = {m: Invoice.objects.filter(month=m, status=DocumentStatus.FINAL).count() for m in (6, 7)}
    assert invoiced == {6: 5, 7: 17}
    wholesale = Invoice.objects.get(month=7, party_kind=PartyKind.RESELLER)
    assert wholesale.subtotal == Decimal("8.40") * 3 * 8 and wholesale.lines.count() == 8
    assert july <= june, (june, july)
