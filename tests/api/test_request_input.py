"""Request bodies the API must refuse cleanly: a 4xx in the {code, message, extra} shape, never a 500 or HTML."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.keys import api_key_create
from bss.models import Customer, Reseller, Subscription
from provisioning.models import ProvisioningOperation
from tests.factories.bss import MarketplaceFactory, ResellerUserFactory, SubscriptionFactory, reseller_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()


class ResellerClient(APIClient):
    """An API client signed in with one reseller's key; `reseller` is whose key it is."""

    reseller: Reseller


@pytest.fixture
def api():
    admin = ResellerUserFactory(is_reseller_admin=True)
    MarketplaceFactory(owner=admin.reseller.parent)
    _key, secret = api_key_create(actor=admin, reseller=reseller_of(admin), name="PSA sync")
    client = ResellerClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    client.reseller = reseller_of(admin)
    return client


def _error_shape(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == {"code", "message", "extra"}, body
    return body


def test_deeply_nested_json_is_a_400_not_a_500(api):
    body = "[" * 5000 + "]" * 5000
    response = api.post("/api/v1/customers/", body, content_type="application/json")
    assert response.status_code == 400
    error = _error_shape(response)
    assert error["code"] == "parse_error" and "nested" in error["message"]
    assert not Customer.objects.exists()


def test_nesting_under_the_recursion_limit_is_still_refused(api):
    """Deep enough to be absurd for any request of this API, shallow enough for the JSON decoder."""
    body = '{"company_name": "Fourth Coffee", "x": ' + "[" * 200 + "]" * 200 + "}"
    response = api.post("/api/v1/customers/", body, content_type="application/json")
    assert response.status_code == 400 and "nested" in _error_shape(response)["message"]
    assert not Customer.objects.exists()


def test_body_over_the_upload_limit_is_a_json_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = '{"company_name": "' + "x" * (5 * 1024 * 1024) + '"}'
    response = api.post("/api/v1/customers/", body, content_type="application/json")
    assert response.status_code == 413
    error = _error_shape(response)
    assert error["code"] == "request_too_large" and error["extra"]["max_bytes"] == 1024 * 1024
    assert not Customer.objects.exists()


def test_body_over_the_limit_outside_the_api_is_left_to_django(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client.post("/accounts/login/", {"username": "x" * 4096, "password": "y"})
    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("quantity", ["5", 5.0, 5.5, True, None, [5]])
def test_quantity_must_be_a_json_integer(api, quantity):
    subscription = SubscriptionFactory(tenant__customer__reseller=api.reseller, quantity=3)
    response = api.post(f"/api/v1/subscriptions/{subscription.pk}/change-quantity/", {"quantity": quantity},
                        format="json")
    assert response.status_code == 400, response.content
    error = _error_shape(response)
    assert error["code"] == "invalid" and "quantity" in error["extra"]["fields"]
    assert not ProvisioningOperation.objects.exists()
    assert Subscription.objects.get(pk=subscription.pk).quantity == 3


def test_order_line_quantity_must_be_a_json_integer(api):
    body = {"customer_id": 1, "lines": [{"offer_id": 1, "quantity": "5", "term_duration": "P1Y",
                                         "billing_cycle": "monthly"}]}
    response = api.post("/api/v1/orders/place/", body, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    assert response.status_code == 400
    fields = _error_shape(response)["extra"]["fields"]
    assert fields == {"lines": {"0": {"quantity": ["A valid integer is required."]}}}


def test_an_integer_quantity_is_still_accepted(api):
    subscription = SubscriptionFactory(tenant__customer__reseller=api.reseller, quantity=3)
    response = api.post(f"/api/v1/subscriptions/{subscription.pk}/change-quantity/", {"quantity": 5}, format="json")
    assert response.status_code == 202, response.content
    assert ProvisioningOperation.objects.count() == 1
