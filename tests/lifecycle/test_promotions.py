"""Promotions end to end against the simulator: the catalog shows Microsoft's running promotions per plan, the cart
line carries the promotion asked for, checkout asks Partner Center's promotionEligibilities, and the order is
placed at the promotional price; the subscription stores and shows the promotion, its price, its end date and the
price after it; the purchase ledger entry (what billing rates) carries the promotional price. An ineligible
promotion refuses the checkout with Microsoft's reason on the page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.keys import api_key_create
from bss.models import LicenseLedgerEntry, Order, Subscription
from bss.selectors_lifecycle import subscription_price_after_promotion
from catalog import lifecycle as catalog_lifecycle
from storefront.models import CartLine
from tests.factories.bss import MCAAcceptanceFactory
from tests.storefront import flow

pytestmark = pytest.mark.django_db

PREMIUM = "CFQ7TTC0LCHC"
PREMIUM_PROMOTION = "39NFJQT1PJQC:0001:39NFJQT1Q5KP"  # 15 % off Business Premium P1Y, 5-300 seats, owners only


@pytest.fixture(autouse=True)
def _fresh_promotions():
    cache.clear()


@pytest.fixture
def reseller(client, world):
    client.force_login(world.reseller_user)
    MCAAcceptanceFactory(customer=world.customer, tenant=world.tenant, attested_at=timezone.now())
    return client


def _add(client, offer, quantity: int, promotion: str = PREMIUM_PROMOTION):
    return client.post(reverse("storefront:cart_add"),
                       {"offer": offer.pk, "plan": "P1Y:monthly", "quantity": quantity, "promotion": promotion})


def _checkout(client, world, capture):
    assert flow.choose(client, "existing_customer", world.customer).status_code == 302
    client.post(reverse("storefront:checkout_mca"), {"use_on_record": "1"})
    with capture(execute=True):
        return client.post(reverse("storefront:checkout_place"), {"submission_key": flow.review_key(client)},
                           follow=True)


def test_catalog_shows_the_running_promotions_per_plan(reseller, world, publish):
    premium = publish(PREMIUM, "0002")

    page = reseller.get(reverse("storefront:catalog")).content.decode()

    assert f'data-promotion="{PREMIUM_PROMOTION}"' in page
    assert "Business Premium upgrade 15% off" in page
    assert str(premium.pk) in page
    assert "until " in page  # the promotion's end date


def test_promotion_applied_stored_and_shown(reseller, world, publish, pc_sim, django_capture_on_commit_callbacks):
    premium = publish(PREMIUM, "0002")
    price = catalog_lifecycle.sale_price_of(marketplace=world.customer.marketplace, pc_product_id=PREMIUM,
                                            pc_sku_id="0002", term_duration="P1Y", billing_cycle="monthly")
    assert price is not None
    _add(reseller, premium, 5)
    assert CartLine.objects.get().promotion_id == PREMIUM_PROMOTION
    cart_page = reseller.get(reverse("storefront:cart")).content.decode()
    assert "Partner Center checks the customer's eligibility" in cart_page

    _checkout(reseller, world, django_capture_on_commit_callbacks)

    order = flow.settle(pc_sim, Order.objects.get())
    assert order.status == "completed", order.failure_reason
    line = order.lines.get()
    promotional = (price * Decimal("0.85")).quantize(Decimal("0.01"))
    assert (line.promotion_id, line.unit_price, line.regular_unit_price) == (PREMIUM_PROMOTION, promotional, price)
    sub = Subscription.objects.get(order_line=line)
    assert sub.promotion_id == PREMIUM_PROMOTION  # Partner Center's subscription carries it too
    assert (sub.promotion_unit_price, sub.regular_unit_price) == (promotional, price)
    assert sub.promotion_ends_on is not None
    purchase = LicenseLedgerEntry.objects.get(subscription=sub, kind="purchase")
    assert purchase.unit_price == promotional  # billing rates the promotional price
    assert subscription_price_after_promotion(subscription=sub, on=sub.promotion_ends_on) == promotional
    after = subscription_price_after_promotion(
        subscription=sub, on=sub.promotion_ends_on + dt.timedelta(days=1)
    )
    assert after == price

    detail = reseller.get(reverse("workspace:subscription", args=[sub.pk])).content.decode()
    assert PREMIUM_PROMOTION in detail and f"until {sub.promotion_ends_on:%Y-%m-%d}" in detail


def test_ineligible_promotion_is_refused_on_the_page(reseller, world, publish, pc_sim,
                                                     django_capture_on_commit_callbacks):
    premium = publish(PREMIUM, "0002")
    _add(reseller, premium, 2)  # the promotion needs 5 to 300 seats

    response = _checkout(reseller, world, django_capture_on_commit_callbacks)

    page = response.content.decode()
    assert "not eligible for the promotion" in page
    assert "Seats must be between 5 and 300" in page
    assert not Order.objects.exists()


def test_a_promotion_that_is_not_running_for_the_plan_is_refused_when_added(reseller, world, publish):
    premium = publish(PREMIUM, "0002")

    response = reseller.post(reverse("storefront:cart_add"), {"offer": premium.pk, "plan": "P1M:monthly",
                                                              "quantity": 5, "promotion": PREMIUM_PROMOTION},
                             follow=True)

    assert "is not running for this term and billing cycle" in response.content.decode()
    assert not CartLine.objects.exists()


def test_the_api_orders_with_a_promotion_and_refuses_an_ineligible_one(world, publish, reseller):
    premium = publish(PREMIUM, "0002")
    admin = world.reseller_user
    type(admin).objects.filter(pk=admin.pk).update(is_reseller_admin=True)
    admin.refresh_from_db()
    _key, secret = api_key_create(actor=admin, reseller=world.customer.reseller, name="promotions")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")

    def body(quantity: int) -> dict:
        return {"customer_id": world.customer.pk, "lines": [{
            "offer_id": premium.pk, "quantity": quantity, "term_duration": "P1Y", "billing_cycle": "monthly",
            "promotion_id": PREMIUM_PROMOTION}]}

    refused = api.post("/api/v1/orders/place/", body(2), format="json", HTTP_IDEMPOTENCY_KEY="promo-1")
    assert refused.status_code == 400, refused.content
    assert refused.json()["code"] == "promotion_not_eligible"
    assert "Seats must be between 5 and 300" in refused.json()["message"]

    placed = api.post("/api/v1/orders/place/", body(5), format="json", HTTP_IDEMPOTENCY_KEY="promo-2")
    assert placed.status_code == 201, placed.content
    line = Order.objects.get().lines.get()
    assert line.promotion_id == PREMIUM_PROMOTION and line.regular_unit_price is not None
    assert line.unit_price < line.regular_unit_price
