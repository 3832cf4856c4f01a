"""GET /api/v1/catalog/offers/: what the caller's marketplace sells, at its sale prices."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from api.keys import api_key_create
from catalog.models import Price, Sku
from catalog.services import catalog_sync_run, markup_rule_set, offer_publish
from tests.factories.bss import MarketplaceFactory, ResellerFactory, ResellerUserFactory, UserFactory, reseller_of

pytestmark = pytest.mark.django_db

BUSINESS_BASIC = ("CFQ7TTC0LH18", "0001")


@pytest.fixture
def synced_marketplace(sim_instance):
    sim_instance.annual_provisioning_enabled = True
    sim_instance.save(update_fields=["annual_provisioning_enabled"])
    assert catalog_sync_run(instance=sim_instance, market="US").status == "succeeded"
    owner = ResellerFactory().parent
    marketplace = MarketplaceFactory(owner=owner, instance=sim_instance, market="US", currency="USD")
    sku = Sku.objects.get(
        product__instance=sim_instance, product__product_id=BUSINESS_BASIC[0], sku_id=BUSINESS_BASIC[1]
    )
    offer_publish(marketplace=marketplace, sku=sku, actor=None)
    return marketplace, sku


def _key_for(marketplace):
    admin = ResellerUserFactory(is_reseller_admin=True, reseller__parent=marketplace.owner)
    _key, secret = api_key_create(actor=admin, reseller=reseller_of(admin), name="catalog")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client


def test_reseller_sees_published_offers_with_sale_prices(synced_marketplace):
    marketplace, sku = synced_marketplace
    markup_rule_set(marketplace=marketplace, sku=None, kind="percent", percent=Decimal("10"), actor=None)
    body = _key_for(marketplace).get("/api/v1/catalog/offers/").json()
    assert body["marketplace"] == marketplace.slug and body["currency"] == "USD"
    [offer] = body["offers"]
    assert (offer["product_id"], offer["sku_id"]) == BUSINESS_BASIC
    assert offer["catalog_item_id"].startswith("CFQ7TTC0LH18:0001:")
    cycles = {(p["term_duration"], p["billing_cycle"]): Decimal(p["sale_price"]) for p in offer["prices"]}
    assert ("P1Y", "annual") in cycles and ("P1M", "monthly") in cycles
    cost = Price.objects.get(sku=sku, is_current=True, currency="USD", term_duration="P1M", billing_cycle="monthly")
    assert cycles[("P1M", "monthly")] == (cost.unit_price * Decimal("1.10")).quantize(Decimal("0.01"))


def test_annual_billing_disappears_when_the_marketplace_switch_is_off(synced_marketplace):
    marketplace, _sku = synced_marketplace
    marketplace.annual_billing_enabled = False
    marketplace.save(update_fields=["annual_billing_enabled"])
    offers = _key_for(marketplace).get("/api/v1/catalog/offers/").json()["offers"]
    assert offers and all(p["billing_cycle"] != "annual" for o in offers for p in o["prices"])


def test_a_user_without_a_marketplace_gets_a_clear_404():
    client = APIClient()
    client.force_authenticate(UserFactory(role="staff", is_staff=True))
    response = client.get("/api/v1/catalog/offers/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
