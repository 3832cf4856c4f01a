"""A customer that already has a product may buy another plan of it (monthly beside annual: a second subscription);
the very same plan is pointed to "Buy extra licences" when it is added to the cart, not at "Place order".

Test client (messages on a redirect; a browser adds nothing here)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bss.choices import SubscriptionStatus
from catalog import services as catalog_services
from storefront.models import CartLine
from tests.factories.bss import MicrosoftTenantFactory, SubscriptionFactory
from tests.storefront.conftest import BUSINESS_BASIC

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer_client(client, customer_user_factory, marketplace):
    user = customer_user_factory()
    tenant = MicrosoftTenantFactory(customer=user.customer, instance=marketplace.instance)
    SubscriptionFactory(tenant=tenant, customer=user.customer, pc_product_id=BUSINESS_BASIC, pc_sku_id="0001",
                        name="Microsoft 365 Business Basic", term_duration="P1Y", billing_cycle="annual",
                        status=SubscriptionStatus.ACTIVE, quantity=10)
    client.force_login(user)
    return client


def _add(client, marketplace, offer, plan):
    return client.post(reverse("storefront:cart_add"), {"m": marketplace.slug, "offer": offer.pk, "plan": plan,
                                                         "quantity": 2}, follow=True)


def test_monthly_beside_an_existing_annual_goes_in_the_cart(customer_client, marketplace, publish):
    offer = publish(BUSINESS_BASIC)

    page = _add(customer_client, marketplace, offer, "P1Y:monthly").content.decode()

    assert "to your cart" in page
    assert CartLine.objects.get().billing_cycle == "monthly"


def test_the_same_plan_is_pointed_to_buy_extra_licences_when_added(customer_client, marketplace, publish):
    offer = publish(BUSINESS_BASIC)

    page = _add(customer_client, marketplace, offer, "P1Y:annual").content.decode()

    assert "Buy extra licences" in page and "already has Microsoft 365 Business Basic" in page
    assert not CartLine.objects.exists()


def test_a_plan_set_to_a_new_subscription_per_order_may_be_bought_again(customer_client, marketplace, publish):
    offer = publish(BUSINESS_BASIC)
    catalog_services.sku_new_subscription_per_order_set(sku=offer.sku, enabled=True, actor=None)

    page = _add(customer_client, marketplace, offer, "P1Y:annual").content.decode()

    assert "to your cart" in page and "every order creates a new subscription" in page
    assert CartLine.objects.get().billing_cycle == "annual"
