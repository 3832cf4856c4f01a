"""The core REST API: keys, scoping, errors, idempotency, throttling."""

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.keys import api_key_create, api_key_revoke
from api.throttling import PerKeyRateThrottle
from bss.models import AuditEvent, Customer
from tests.factories.bss import (
    CustomerUserFactory,
    MarketplaceFactory,
    ResellerUserFactory,
    SubscriptionFactory,
    reseller_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()


@pytest.fixture
def reseller_a():
    admin = ResellerUserFactory(is_reseller_admin=True)
    MarketplaceFactory(owner=admin.reseller.parent)
    _key, secret = api_key_create(actor=admin, reseller=reseller_of(admin), name="PSA sync")
    return admin, secret


def _client(secret: str | None = None) -> APIClient:
    client = APIClient()
    if secret:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client


def test_key_sees_only_its_resellers_objects(reseller_a):
    admin, secret = reseller_a
    own = SubscriptionFactory(tenant__customer__reseller=admin.reseller)
    foreign = SubscriptionFactory()
    api = _client(secret)

    customers = api.get("/api/v1/customers/").json()
    assert [c["id"] for c in customers["results"]] == [own.customer_id]
    assert api.get(f"/api/v1/customers/{own.customer_id}/").status_code == 200
    for url in [f"/api/v1/customers/{foreign.customer_id}/", f"/api/v1/subscriptions/{foreign.pk}/"]:
        response = api.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    subs = api.get("/api/v1/subscriptions/").json()["results"]
    assert [s["pc_subscription_id"] for s in subs] == [own.pc_subscription_id]


def test_anonymous_bad_and_revoked_keys_are_refused(reseller_a):
    admin, secret = reseller_a
    anonymous = _client().get("/api/v1/customers/")
    assert anonymous.status_code == 401 and set(anonymous.json()) == {"code", "message", "extra"}
    assert _client(secret[:-2] + "xx").get("/api/v1/customers/").status_code == 401
    api_key_revoke(actor=admin, key=admin.reseller.api_keys.get())
    revoked = _client(secret).get("/api/v1/customers/")
    assert revoked.status_code == 401 and "revoked" in revoked.json()["message"]


def test_customer_user_session_sees_only_its_customer():
    sub = SubscriptionFactory()
    SubscriptionFactory(tenant__customer__reseller=sub.customer.reseller)
    api = APIClient()
    api.force_authenticate(CustomerUserFactory(customer=sub.customer))
    assert [c["id"] for c in api.get("/api/v1/customers/").json()["results"]] == [sub.customer_id]


def test_create_customer_validates_and_audits(reseller_a):
    admin, secret = reseller_a
    api = _client(secret)
    bad = api.post("/api/v1/customers/", {"company_name": "", "country": "USA"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["extra"]["fields"]) == {"company_name", "country"}
    assert not Customer.objects.exists()

    created = api.post("/api/v1/customers/", {"company_name": "Fourth Coffee", "country": "gb"}, format="json")
    assert created.status_code == 201 and created.json()["country"] == "GB"
    customer = Customer.objects.get(company_name="Fourth Coffee")
    assert customer.reseller == admin.reseller
    event = AuditEvent.objects.get(action="customer.create")
    assert event.actor_label.startswith("api-key:")


def test_idempotency_key_replays_and_rejects_a_different_body(reseller_a):
    _admin, secret = reseller_a
    api = _client(secret)
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": "create-fourth-coffee"}
    first = api.post("/api/v1/customers/", {"company_name": "Fourth Coffee"}, format="json", **headers)
    again = api.post("/api/v1/customers/", {"company_name": "Fourth Coffee"}, format="json", **headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    assert Customer.objects.filter(company_name="Fourth Coffee").count() == 1
    other = api.post("/api/v1/customers/", {"company_name": "Fifth Coffee"}, format="json", **headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


def test_requests_are_throttled_per_key(reseller_a, monkeypatch):
    _admin, secret = reseller_a
    monkeypatch.setattr(PerKeyRateThrottle, "THROTTLE_RATES", {"per_key": "3/min"})
    api = _client(secret)
    statuses = [api.get("/api/v1/customers/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = api.get("/api/v1/customers/")
    assert throttled.json()["code"] == "throttled" and "Retry-After" in throttled


def test_reseller_admin_manages_keys_in_the_storefront(client):
    admin = ResellerUserFactory(is_reseller_admin=True)
    client.force_login(admin)
    page = client.post("/store/api-keys/", {"name": "ERP"})
    key = admin.reseller.api_keys.get()
    body = page.content.decode()
    assert key.prefix in body and "will not be shown again" in body
    assert key.secret_hash not in body
    assert client.get("/store/api-keys/").content.decode().count(key.prefix + ".") == 0  # never shown again
    client.post(f"/store/api-keys/{key.pk}/revoke/")
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_non_admin_reseller_user_cannot_manage_keys(client):
    client.force_login(ResellerUserFactory(is_reseller_admin=False))
    assert client.get("/store/api-keys/").status_code == 404
