"""Storefront invoices: a customer sees and downloads its own invoices; a tenant reseller sees those made out to it
and those it issues; a foreign invoice is a 404; the subscription page shows the next charge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.selectors_doors import next_charge
from tests.billing.doors import estate
from tests.billing.scenario import buy
from tests.factories.bss import CustomerUserFactory, ResellerUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return estate()


def test_a_customer_sees_and_downloads_only_its_own_invoices(client, world):
    client.force_login(CustomerUserFactory(customer=world.customer))

    page = client.get(reverse("invoices:list")).content.decode()
    detail = client.get(reverse("invoices:detail", args=[world.invoice.pk])).content.decode()
    pdf = client.get(reverse("invoices:pdf", args=[world.invoice.pk]))

    assert world.invoice.number in page and world.other_invoice.number not in page
    assert "120.96 EUR" in detail and "Microsoft 365 Business Standard" in detail
    assert pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
    assert client.get(reverse("invoices:detail", args=[world.other_invoice.pk])).status_code == 404
    assert client.get(reverse("invoices:pdf", args=[world.other_invoice.pk])).status_code == 404


def test_a_tenant_reseller_sees_its_invoices_and_the_ones_it_issues(client, world):
    client.force_login(ResellerUserFactory(reseller=world.tenant))

    page = client.get(reverse("invoices:list")).content.decode()

    own, issued = page.split("Invoices you issue to your customers")
    assert world.wholesale_invoice.number in own and world.tenant_issued_invoice.number in issued
    assert world.invoice.number not in page
    assert client.get(reverse("invoices:pdf", args=[world.tenant_issued_invoice.pk])).status_code == 200


def test_the_invoices_page_needs_a_sign_in(client, world):
    response = client.get(reverse("invoices:list"))

    assert response.status_code == 302 and "login" in response.url


def test_the_subscription_page_shows_the_next_charge(client, world):
    now = timezone.now()
    sub = buy(world.customer, now - dt.timedelta(days=2), 5, price="10.08", cost="8.06")
    sub.auto_renew = True
    sub.save(update_fields=["auto_renew"])
    client.force_login(CustomerUserFactory(customer=world.customer))

    charge = next_charge(sub)
    page = client.get(reverse("workspace:subscription", args=[sub.pk])).content.decode()

    assert charge is not None and charge.on > now.date() and charge.amount > 0
    assert f"{charge.amount} EUR on {charge.on:%Y-%m-%d}" in page
