"""Tier-2 fixtures: a provider with its own marketplace, two tenant resellers A and B with their own marketplaces
(same simulated Partner Center instance), their admin users, customers, customer users, tenants, subscriptions and
orders; and helpers to publish the simulator's products in any of these marketplaces."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from bss.choices import OrderKind, OrderStatus, ResellerKind
from bss.models import (
    Customer,
    Marketplace,
    MicrosoftTenant,
    Order,
    PartnerCenterInstance,
    Reseller,
    Subscription,
    User,
)
from catalog import services as catalog_services
from catalog.models import Offer
from catalog.resellerprices import services as price_services
from tests.factories.bss import (
    CustomerFactory,
    CustomerUserFactory,
    MarketplaceFactory,
    MicrosoftTenantFactory,
    ProviderFactory,
    ResellerFactory,
    ResellerUserFactory,
    StaffUserFactory,
    SubscriptionFactory,
)
from tests.storefront.conftest import load_catalog_rows, sku_of

BUSINESS_BASIC = "CFQ7TTC0LH18"
BUSINESS_STANDARD = "CFQ7TTC0LDPB"


@pytest.fixture
def provider(db) -> Reseller:
    return ProviderFactory(name="Contoso Cloud Provider")


@pytest.fixture
def provider_market(sim_instance, provider) -> Marketplace:
    return MarketplaceFactory(owner=provider, name="Contoso Store", slug="contoso", instance=sim_instance,
                              market="US", currency="USD", annual_billing_enabled=True)


def publish_in(marketplace: Marketplace, product_id: str, *, published: bool = True) -> Offer:
    load_catalog_rows(marketplace, [product_id])
    return catalog_services.offer_publish(marketplace=marketplace, sku=sku_of(marketplace, product_id),
                                          published=published, actor=None)


@dataclass
class Side:
    """One tenant reseller and everything of it."""

    reseller: Reseller
    market: Marketplace
    admin: User
    user: User
    customer: Customer
    customer_user: User
    tenant: MicrosoftTenant
    subscription: Subscription
    order: Order
    offer: Offer


def make_side(name: str, slug: str, color: str, partner_id: str, provider: Reseller,
              instance: PartnerCenterInstance) -> Side:
    reseller = ResellerFactory(name=name, kind=ResellerKind.TENANT, parent=provider, partner_id=partner_id)
    market = MarketplaceFactory(owner=reseller, name=f"{name} Cloud", slug=slug, instance=instance, market="US",
                                currency="USD", primary_color=color, annual_billing_enabled=True)
    admin = ResellerUserFactory(reseller=reseller, username=f"{slug}-admin", is_reseller_admin=True)
    user = ResellerUserFactory(reseller=reseller, username=f"{slug}-user")
    customer = CustomerFactory(reseller=reseller, marketplace=market, company_name=f"{name} Customer")
    customer_user = CustomerUserFactory(customer=customer, username=f"{slug}-customer")
    tenant = MicrosoftTenantFactory(customer=customer, instance=instance, default_domain=f"{slug}co.onmicrosoft.com")
    subscription = SubscriptionFactory(tenant=tenant, customer=customer, name=f"{name} Basic")
    order = Order.objects.create(kind=OrderKind.ADD_ON, status=OrderStatus.COMPLETED, customer=customer,
                                 tenant=tenant, reseller=reseller, marketplace=market, placed_by=user, currency="USD")
    offer = publish_in(market, BUSINESS_BASIC)
    price_services.reseller_price_rule_set(actor=None, reseller=reseller, percent=Decimal("20"))
    catalog_services.markup_rule_set(marketplace=market, kind="percent", percent=Decimal("25"), actor=None)
    return Side(reseller, market, admin, user, customer, customer_user, tenant, subscription, order, offer)


@pytest.fixture
def side_a(provider, provider_market, sim_instance) -> Side:
    return make_side("Alpine", "alpine", "#aa3311", "6100001", provider, sim_instance)


@pytest.fixture
def side_b(provider, provider_market, sim_instance) -> Side:
    return make_side("Birch", "birch", "#117733", "6100002", provider, sim_instance)


@pytest.fixture
def staff(db) -> User:
    return StaffUserFactory(username="operator", is_superuser=True)
