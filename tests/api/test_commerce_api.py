"""Ordering and subscription changes through the API, against the Partner Center simulator over HTTPS."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.keys import api_key_create
from api.models import IdempotencyRecord
from bss.models import Order, Subscription
from catalog.models import Sku
from catalog.services import catalog_sync_run, offer_publish
from tests.factories.bss import MarketplaceFactory, ProviderFactory, ResellerUserFactory, reseller_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(sim_instance, pc_sim, settings):
    settings.PARTNER_CENTER_MAX_RETRIES = 0
    pc_sim.control.configure(order_provisioning_seconds=0)
    assert catalog_sync_run(instance=sim_instance, market="US").status == "succeeded"
    provider = ProviderFactory()
    marketplace = MarketplaceFactory(owner=provider, instance=sim_instance, market="US", currency="USD")
    sku = Sku.objects.get(product__instance=sim_instance, product__product_id="CFQ7TTC0LH18", sku_id="0001")
    offer_publish(marketplace=marketplace, sku=sku, actor=None)
    return marketplace


def _api_for(marketplace):
    admin = ResellerUserFactory(is_reseller_admin=True, reseller__parent=marketplace.owner)
    _key, secret = api_key_create(actor=admin, reseller=reseller_of(admin), name="integration")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client


def _order_body(offer_id, *, mca=True, prefix="apicoffee"):
    body = {
        "new_customer": {
            "company_name": "Fourth Coffee",
            "domain_prefix": prefix,
            "contact_first_name": "Ana",
            "contact_last_name": "Bowman",
            "contact_email": "ana@fourthcoffee.example",
            "contact_phone": "4255550100",
            "address_line1": "1 Microsoft Way",
            "city": "Redmond",
            "state": "WA",
            "postal_code": "98052",
            "country": "US",
        },
        "lines": [{"offer_id": offer_id, "quantity": 5, "term_duration": "P1Y", "billing_cycle": "monthly"}],
    }
    if mca:
        body["mca"] = {
            "signatory_first_name": "Ana",
            "signatory_last_name": "Bowman",
            "signatory_email": "ana@fourthcoffee.example",
            "accepted_at": timezone.now().isoformat(),
        }
    return body


def test_an_integration_orders_then_changes_the_subscription(shop, pc_sim, django_capture_on_commit_callbacks):
    api = _api_for(shop)
    [offer] = api.get("/api/v1/catalog/offers/").json()["offers"]
    body = _order_body(offer["offer_id"])

    with django_capture_on_commit_callbacks(execute=True):  # provisioning starts once the order is committed
        placed = api.post("/api/v1/orders/place/", body, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    assert placed.status_code == 201, placed.json()
    assert placed.json()["status"] == "pending"
    assert api.get(f"/api/v1/orders/{placed.json()['id']}/").json()["status"] == "completed"
    replay = api.post("/api/v1/orders/place/", body, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    assert replay.json() == placed.json() and Order.objects.count() == 1
    other = api.post(
        "/api/v1/orders/place/", {**body, "lines": body["lines"] * 2}, format="json", HTTP_IDEMPOTENCY_KEY="order-1"
    )
    assert other.status_code == 422

    subscription = Subscription.objects.get()
    assert subscription.quantity == 5 and subscription.pc_subscription_id
    with django_capture_on_commit_callbacks(execute=True):
        changed = api.post(f"/api/v1/subscriptions/{subscription.pk}/change-quantity/", {"quantity": 8}, format="json")
    assert changed.status_code == 202
    operation = api.get(f"/api/v1/operations/{changed.json()['id']}/").json()
    assert operation["status"] == "succeeded" and operation["kind"] == "change_quantity"
    subscription.refresh_from_db()
    assert subscription.quantity == 8
    pc_sub = pc_sim.app.state.partner(pc_sim.partners.direct.tenant_id).subscriptions[subscription.pc_subscription_id]
    assert pc_sub.quantity == 8

    # Another reseller's key sees none of it.
    stranger = _api_for(shop)
    assert stranger.get(f"/api/v1/operations/{changed.json()['id']}/").status_code == 404
    assert stranger.post(f"/api/v1/subscriptions/{subscription.pk}/suspend/").status_code == 404
    assert Subscription.objects.get().status == "active"


def test_orders_need_an_idempotency_key_and_the_customers_mca(shop):
    api = _api_for(shop)
    [offer] = api.get("/api/v1/catalog/offers/").json()["offers"]
    no_key = api.post("/api/v1/orders/place/", _order_body(offer["offer_id"]), format="json")
    assert no_key.status_code == 400 and no_key.json()["code"] == "idempotency_key_required"
    no_mca = api.post(
        "/api/v1/orders/place/",
        _order_body(offer["offer_id"], mca=False),
        format="json",
        HTTP_IDEMPOTENCY_KEY="order-2",
    )
    assert no_mca.status_code == 400 and "Customer Agreement" in no_mca.json()["message"]
    assert not Order.objects.exists()


def test_a_plan_the_marketplace_does_not_sell_is_refused(shop):
    api = _api_for(shop)
    [offer] = api.get("/api/v1/catalog/offers/").json()["offers"]
    body = _order_body(offer["offer_id"])
    body["lines"][0]["term_duration"] = "P3Y"
    response = api.post("/api/v1/orders/place/", body, format="json", HTTP_IDEMPOTENCY_KEY="order-3")
    assert response.status_code == 400 and response.json()["code"] == "plan_not_available"
    assert not Order.objects.exists()


def test_every_subscription_action_returns_its_operation(shop, pc_sim, django_capture_on_commit_callbacks):
    api = _api_for(shop)
    [offer] = api.get("/api/v1/catalog/offers/").json()["offers"]
    with django_capture_on_commit_callbacks(execute=True):
        api.post(
            "/api/v1/orders/place/",
            _order_body(offer["offer_id"], prefix="apiactions"),
            format="json",
            HTTP_IDEMPOTENCY_KEY="order-actions",
        )
    subscription = Subscription.objects.get()
    partner = pc_sim.app.state.partner(pc_sim.partners.direct.tenant_id)

    def act(action, body=None):
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(f"/api/v1/subscriptions/{subscription.pk}/{action}/", body or {}, format="json")
        assert response.status_code == 202, response.json()
        assert api.get(f"/api/v1/operations/{response.json()['id']}/").json()["status"] == "succeeded"
        subscription.refresh_from_db()
        return partner.subscriptions[subscription.pc_subscription_id]

    assert act("suspend").status == "suspended" and subscription.status == "suspended"
    assert act("reactivate").status == "active" and subscription.status == "active"
    assert act("auto-renew", {"enabled": False}).auto_renew is False and subscription.auto_renew is False
    assert act("cancel").status == "deleted" and subscription.status == "deleted"

    refused = api.post(f"/api/v1/subscriptions/{subscription.pk}/suspend/", {}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "subscription_change_refused"


def test_a_duplicate_arriving_while_the_first_is_still_running_gets_409(shop):
    api = _api_for(shop)
    [offer] = api.get("/api/v1/catalog/offers/").json()["offers"]
    body = _order_body(offer["offer_id"], prefix="apiconcurrent")
    first = api.post("/api/v1/orders/place/", body, format="json", HTTP_IDEMPOTENCY_KEY="order-x")
    assert first.status_code == 201
    # The same request, still in flight from another connection: its record has no response yet.
    record = IdempotencyRecord.objects.get(key="order-x")
    IdempotencyRecord.objects.create(
        owner=record.owner, key="order-y", method="POST", path=record.path, request_hash=record.request_hash
    )
    duplicate = api.post("/api/v1/orders/place/", body, format="json", HTTP_IDEMPOTENCY_KEY="order-y")
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "idempotent_request_in_progress"
    assert Order.objects.count() == 1
