"""The API's Azure usage and budgets: the same selectors and services as the pages. A reseller's key reads its
customer's usage and sets a budget (the service's refusal comes back as 400 in the error shape); another reseller's
customer is 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.keys import api_key_create
from reconciliation.usage.models import UsageBudget
from tests.factories.bss import CustomerFactory, MarketplaceFactory, ResellerUserFactory, reseller_of
from tests.factories.usage import UsageImportFactory, UsageLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()


def key_client(reseller_admin) -> APIClient:
    _key, secret = api_key_create(actor=reseller_admin, reseller=reseller_of(reseller_admin), name="usage")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client


@pytest.fixture
def setup():
    admin = ResellerUserFactory(is_reseller_admin=True)
    marketplace = MarketplaceFactory(owner=admin.reseller.parent)
    customer = CustomerFactory(reseller=admin.reseller, marketplace=marketplace)
    imported = UsageImportFactory(month=6, instance=marketplace.instance)
    for day in (1, 2):
        UsageLineFactory(usage_import=imported, customer=customer, usage_date=dt.date(2025, 6, day),
                         billing_total=Decimal("12.34"))
    return admin, customer


def test_usage_and_budgets_through_the_api(setup):
    admin, customer = setup
    client = key_client(admin)
    usage = client.get(f"/api/v1/customers/{customer.pk}/azure-usage/", {"month": "2025-06"})
    assert usage.status_code == 200
    body = usage.json()
    assert body["total"] == "24.68" and body["month"] == "2025-06" and len(body["days"]) == 2
    assert body["rows"][0]["meter_category"] == "Virtual Machines" and body["rows"][0]["amount"] == "24.68"
    for month in ("2025-13", "", "June"):
        assert client.get(f"/api/v1/customers/{customer.pk}/azure-usage/", {"month": month}).status_code == 400

    bad = client.post(f"/api/v1/customers/{customer.pk}/azure-budgets/", {"amount": "0"}, format="json")
    assert bad.status_code == 400
    refused = client.post(f"/api/v1/customers/{customer.pk}/azure-budgets/",
                          {"amount": "100", "thresholds": [50], "spike_factor": None, "entitlement_id": "x" * 64},
                          format="json")
    assert refused.status_code == 200  # an Azure subscription not seen yet may have a budget set in advance
    made = client.post(f"/api/v1/customers/{customer.pk}/azure-budgets/", {"amount": "250.00"}, format="json")
    assert made.status_code == 200 and made.json()["thresholds"] == [50, 80, 100]
    listed = client.get(f"/api/v1/customers/{customer.pk}/azure-budgets/").json()
    assert {b["amount"] for b in listed} == {"100.00", "250.00"}
    gone = client.delete(f"/api/v1/customers/{customer.pk}/azure-budgets/{made.json()['id']}/")
    assert gone.status_code == 204 and UsageBudget.objects.filter(customer=customer).count() == 1


def test_another_resellers_customer_is_not_found(setup):
    _admin, customer = setup
    other = ResellerUserFactory(is_reseller_admin=True)
    MarketplaceFactory(owner=other.reseller.parent)
    client = key_client(other)
    assert client.get(f"/api/v1/customers/{customer.pk}/azure-usage/").status_code == 404
    response = client.post(f"/api/v1/customers/{customer.pk}/azure-budgets/", {"amount": "10"}, format="json")
    assert response.status_code == 404 and "message" in response.json()
