"""The unbilled preview of the open month: Microsoft's unbilled lines so far (the latest unbilled import) against
what our customers' next invoices will carry (billing's unbilled charges, sale price and expected cost), per
subscription, with a subscription Microsoft charges and we do not flagged."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.rating import Term, term_end_for
from reconciliation.money.choices import InvoiceKind
from reconciliation.money.reports import unbilled_preview
from tests.backoffice.conftest import staff_with
from tests.billing import conftest as billing_fixtures
from tests.billing.scenario import buy, direct_customer
from tests.factories.money import MicrosoftChargeLineFactory, MicrosoftInvoiceFactory

pytestmark = pytest.mark.django_db
provider, issuer = billing_fixtures.provider, billing_fixtures.issuer  # a French provider that issues invoices


@pytest.fixture
def open_month(issuer):
    now = timezone.now()
    start = now.replace(day=1, hour=9, minute=0, second=0, microsecond=0)
    if start >= now:  # the first of the month before nine: an order at midnight
        start = start.replace(hour=0)
    customer = direct_customer(issuer.reseller, name="Fabrikam")
    sub = buy(customer, start, 10, price="12.00", cost="10.08")
    instance = customer.marketplace.instance
    unbilled = MicrosoftInvoiceFactory(instance=instance, kind=InvoiceKind.UNBILLED, year=now.year, month=now.month,
                                       invoice_id=f"unbilled-{now:%Y%m}-EUR", imported_at=now, total=None)
    end = term_end_for(start.date(), Term.P1M)
    MicrosoftChargeLineFactory(invoice=unbilled, pc_subscription_id=sub.pc_subscription_id, charge_start=start.date(),
                               charge_end=end, subtotal=Decimal("100.80"))
    stray = MicrosoftChargeLineFactory(invoice=unbilled, charge_start=start.date(), charge_end=end,
                                       subtotal=Decimal("50.40"), quantity=5)
    return instance, sub, stray


def test_microsoft_s_charges_so_far_against_what_we_will_invoice(open_month):
    instance, sub, stray = open_month

    preview = unbilled_preview(instance)

    rows = {row.pc_subscription_id: row for row in preview.rows}
    ours = rows[sub.pc_subscription_id]
    assert (ours.name, ours.customer) == (sub.name, "Fabrikam")
    assert ours.microsoft == Decimal("100.80")
    assert ours.our_cost > 0 and ours.our_revenue > ours.our_cost
    assert ours.margin == ours.our_revenue - Decimal("100.80")
    assert not ours.leakage
    theirs = rows[stray.pc_subscription_id]
    assert (theirs.microsoft, theirs.our_revenue, theirs.leakage) == (Decimal("50.40"), Decimal(0), True)
    assert theirs.name == "Subscription not in the BSS"
    assert preview.totals["microsoft"] == Decimal("151.20")
    assert preview.totals["our_revenue"] == ours.our_revenue


def test_the_preview_page(client, open_month):
    instance, sub, stray = open_month
    client.force_login(staff_with("money.view_microsoftinvoice"))

    response = client.get(reverse("money:unbilled"), {"instance": instance.pk})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-total="microsoft">151.20<' in html
    assert sub.name in html and stray.pc_subscription_id in html and "not invoiced" in html


def test_without_an_unbilled_import_the_page_says_so(client, issuer):
    customer = direct_customer(issuer.reseller)
    client.force_login(staff_with("money.view_microsoftinvoice", "money.change_microsoftinvoice"))

    response = client.get(reverse("money:unbilled"), {"instance": customer.marketplace.instance.pk})

    html = response.content.decode()
    assert "not imported yet" in html and "Import unbilled" in html
