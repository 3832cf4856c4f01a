"""Ordering through tier-2 resellers, end to end against the Partner Center simulator (tasks eager):
a light reseller of an indirect provider (partner of record on the cart, MCA confirmed by the reseller, provider
staff see everything), and a tenant reseller's marketplace (reseller prices, branding, provider sees the order)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from bss.choices import AcceptanceRole, OrderStatus, ResellerKind
from bss.models import MCAAcceptance, Order, PartnerCenterInstance, Subscription
from catalog.models import Price
from catalog.pricing import round_money
from tests.factories.bss import (
    MarketplaceFactory,
    ProviderFactory,
    ResellerFactory,
    ResellerUserFactory,
    SimInstanceFactory,
)
from tests.storefront import flow
from tests.tier2.conftest import BUSINESS_BASIC, publish_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def indirect_instance(sim_settings, pc_sim, db) -> PartnerCenterInstance:
    return SimInstanceFactory(sim=pc_sim, partner=pc_sim.partners.indirect, name="Simulated indirect provider")


def posts(pc_sim, suffix: str) -> list[dict]:
    return [r for r in pc_sim.control.requests(method="POST") if r["path"].lower().endswith(suffix)]


def test_light_reseller_order_carries_its_partner_id_and_its_mca_confirmation(
    client, indirect_instance, pc_sim, django_capture_on_commit_callbacks
):
    # Given an indirect provider's storefront and its light reseller Tailspin (MPN 5123456 in Partner Center)
    provider = ProviderFactory(name="Fabrikam Distribution")
    market = MarketplaceFactory(owner=provider, slug="fabrikam", instance=indirect_instance, market="US",
                                currency="USD")
    offer = publish_in(market, BUSINESS_BASIC)
    tailspin = ResellerFactory(name="Tailspin Toys IT", kind=ResellerKind.LIGHT, parent=provider,
                               partner_id="5123456", pc_tenant_id=pc_sim.partners.reseller_tailspin)
    rita = ResellerUserFactory(reseller=tailspin, username="rita")
    client.force_login(rita)
    pc_sim.control.clear_requests()

    # When the light reseller orders in the provider's storefront for a new end customer
    catalog = client.get(reverse("storefront:catalog"))
    assert catalog.context["marketplace"] == market
    flow.add_to_cart(client, offer, "P1M:monthly", 4)
    response = flow.new_customer_checkout(client, django_capture_on_commit_callbacks, domain_prefix="tailspinend1")
    order = flow.settle(pc_sim, Order.objects.get())

    # Then the cart sent to Partner Center names Tailspin as partner of record on every line
    assert response.status_code == 302
    assert order.status == OrderStatus.COMPLETED, order.failure_reason
    assert (order.reseller, order.marketplace, order.customer.reseller) == (tailspin, market, tailspin)
    carts = posts(pc_sim, "/carts")
    assert len(carts) == 1
    items = json.loads(carts[0]["body"])["lineItems"]
    assert [i["participants"] for i in items] == [[{"key": "transaction_reseller", "value": "5123456"}]]
    created = json.loads(posts(pc_sim, "/v1/customers")[0]["body"])
    assert created["associatedPartnerId"] == pc_sim.partners.reseller_tailspin
    # and the reseller confirmed the customer's acceptance of the MCA, attested to Partner Center
    mca = MCAAcceptance.objects.get(customer=order.customer)
    assert (mca.role, mca.recorded_by, mca.signatory_email) == (AcceptanceRole.RESELLER, rita,
                                                               "ana.ruiz@adventure-works.test")
    assert mca.attested_at is not None
    subscription = Subscription.objects.get(customer=order.customer)
    assert subscription.status == "active" and subscription.quantity == 4

    # And the provider's staff see the light reseller's customer, order and subscription in the back office
    from tests.factories.bss import StaffUserFactory

    client.force_login(StaffUserFactory(is_superuser=True))
    detail = client.get(reverse("backoffice:customer_detail", args=[order.customer.pk])).content.decode()
    assert "Adventure Works Cycles" in detail and subscription.name in detail and str(order.number)[:8] in detail
    listing = client.get(reverse("backoffice:customer_list")).content.decode()
    assert "Adventure Works Cycles" in listing
    reseller_page = client.get(reverse("backoffice:reseller_detail", args=[tailspin.pk]))
    assert list(reseller_page.context["orders"]) == [order]
    assert list(reseller_page.context["customers"]) == [order.customer]


def test_order_in_a_tenant_marketplace_is_priced_from_the_reseller_price_list(
    client, side_a, side_b, staff, pc_sim, django_capture_on_commit_callbacks
):
    # Given Alpine's marketplace: the provider charges Alpine 20% over cost, Alpine adds 25% (fixtures)
    cost = Price.objects.get(sku=side_a.offer.sku, term_duration="P1M", billing_cycle="monthly", currency="USD",
                             is_current=True, tier_min__isnull=True).unit_price
    expected = round_money(round_money(cost * Decimal("1.2")) * Decimal("1.25"))
    client.force_login(side_a.admin)

    # When Alpine's admin opens its marketplace address, browses and orders
    entry = client.get("/m/alpine/")
    assert entry.status_code == 302 and entry["Location"] == reverse("storefront:home")
    catalog = client.get(reverse("storefront:catalog"))
    page = catalog.content.decode()
    assert catalog.context["marketplace"] == side_a.market
    assert [o.id for o in catalog.context["offers"]] == [side_a.offer.pk]
    assert "Alpine Cloud" in page and "--brand: #aa3311" in page and "cspbss · Storefront" not in page
    assert f"{expected:.2f}" in page
    flow.add_to_cart(client, side_a.offer, "P1M:monthly", 3)
    flow.new_customer_checkout(client, django_capture_on_commit_callbacks, domain_prefix="alpinenew1")
    order = flow.settle(pc_sim, Order.objects.get(customer__company_name="Adventure Works Cycles"))

    # Then the order is Alpine's, in Alpine's marketplace, at Alpine's price, and provisioned
    assert order.status == OrderStatus.COMPLETED, order.failure_reason
    assert (order.reseller, order.marketplace, order.customer.marketplace) == (side_a.reseller, side_a.market,
                                                                                side_a.market)
    assert order.lines.get().unit_price == expected
    # Birch's marketplace is not offered to Alpine, and Birch's offer cannot be put in Alpine's cart
    assert client.get(reverse("storefront:catalog"), {"m": "birch"}).status_code == 404
    assert flow.add_to_cart(client, side_b.offer).status_code in (302, 404)
    assert not side_a.admin.carts.filter(lines__offer_id=side_b.offer.pk).exists()

    # And the provider sees the order for billing and provisioning
    client.force_login(staff)
    reseller_page = client.get(reverse("backoffice:reseller_detail", args=[side_a.reseller.pk]))
    assert order in list(reseller_page.context["orders"])
    operations = client.get(reverse("provisioning:operation_list")).content.decode()
    assert "adventureworks" in operations.lower() or str(order.number)[:8] in operations
