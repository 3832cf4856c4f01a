"""Storefront fixtures: a Partner Center instance pointed at the simulator over HTTPS, a marketplace with the
simulator's catalog synced and a few plans published, and the users who shop in it."""

from __future__ import annotations

import pytest

from bss.choices import ResellerKind
from catalog import services as catalog_services
from catalog.models import Availability, Price, Product, Sku
from partnercenter.simulator import catalog_data as cd
from tests.factories.bss import (
    CustomerUserFactory,
    MarketplaceFactory,
    ProviderFactory,
    ResellerFactory,
    ResellerUserFactory,
)

# Seeded simulator SKUs (see partnercenter/simulator/catalog_data.py): product id -> title.
BUSINESS_BASIC = "CFQ7TTC0LH18"
BUSINESS_STANDARD = "CFQ7TTC0LDPB"


@pytest.fixture
def provider(db):
    return ProviderFactory(name="Contoso Cloud Provider")


@pytest.fixture
def marketplace(sim_instance, provider):
    return MarketplaceFactory(
        owner=provider, name="Contoso Store", slug="contoso", instance=sim_instance, market="US", currency="USD",
        annual_billing_enabled=True,
    )


@pytest.fixture
def synced(marketplace):
    """The simulator's US catalog synced into the instance (nothing published yet)."""
    run = catalog_services.catalog_sync_run(instance=marketplace.instance, market="US")
    assert run.status == "succeeded", run.error
    return run


def sku_of(marketplace, product_id: str) -> Sku:
    return Sku.objects.select_related("product").get(
        product__instance=marketplace.instance, product__market=marketplace.market, product__product_id=product_id
    )


def load_catalog_rows(marketplace, product_ids) -> None:
    """Mirror a few of the simulator's US products into the catalog tables, as a sync would (fast: no HTTP).

    The ids, terms and prices are the simulator's own, so orders of these offers go through against it. The real
    sync is exercised by the `synced` fixture (slower: it reads the whole catalog and price sheet)."""
    data = cd.catalog_for_market(marketplace.market)
    for product_id in product_ids:
        if Product.objects.filter(instance=marketplace.instance, market=marketplace.market,
                                  product_id=product_id).exists():
            continue
        pc_product = data.product(product_id)
        product = Product.objects.create(
            instance=marketplace.instance, market=marketplace.market, product_id=product_id, title=pc_product.title,
            description=pc_product.description, product_type=pc_product.product_type, family=pc_product.family,
            segment=pc_product.segment,
        )
        for pc_sku in data.skus_of(product_id):
            sku = Sku.objects.create(
                product=product, sku_id=pc_sku.id, title=pc_sku.title, description=pc_sku.description,
                min_quantity=pc_sku.min_quantity, max_quantity=pc_sku.max_quantity, segment=pc_sku.segment,
                supported_billing_cycles=list(pc_sku.supported_billing_cycles),
            )
            av = data.availability(product_id, pc_sku.id)
            Availability.objects.create(
                sku=sku, availability_id=av.id, catalog_item_id=av.catalog_item_id, segment=av.segment,
                terms=[{"id": t.id, "duration": t.duration, "billing_cycle": t.billing_cycle,
                        "description": t.description} for t in av.terms],
            )
            for price in data.prices_in_effect(product_id=product_id):
                if price.sku_id != pc_sku.id:
                    continue
                Price.objects.create(
                    sku=sku, term_duration=price.term_duration, billing_cycle=price.billing_cycle,
                    currency=price.currency, unit_price=price.unit_price, erp_price=price.erp_price,
                    tier_min=price.tier_min, tier_max=price.tier_max, effective_start=price.effective_start,
                )


@pytest.fixture
def publish(marketplace):
    """Publish a simulator product in a marketplace (`published=False` leaves it unpublished)."""

    def do(product_id: str, *, published: bool = True, market=None):
        market = market or marketplace
        load_catalog_rows(market, [product_id])
        return catalog_services.offer_publish(
            marketplace=market, sku=sku_of(market, product_id), published=published, actor=None
        )

    return do


@pytest.fixture
def basic_offer(publish):
    return publish(BUSINESS_BASIC)


@pytest.fixture
def standard_offer(publish):
    return publish(BUSINESS_STANDARD)


@pytest.fixture
def reseller(provider):
    return ResellerFactory(name="Fabrikam Reseller", parent=provider, kind=ResellerKind.LIGHT)


@pytest.fixture
def reseller_user(reseller):
    return ResellerUserFactory(reseller=reseller, first_name="Rita", last_name="Reseller", email="rita@fabrikam.test")


@pytest.fixture
def other_reseller_user(provider):
    return ResellerUserFactory(reseller=ResellerFactory(name="Northwind Reseller", parent=provider))


@pytest.fixture
def reseller_client(client, reseller_user):
    client.force_login(reseller_user)
    return client


@pytest.fixture
def customer_user_factory(marketplace, reseller):
    def make(customer=None):
        owner = {"customer": customer} if customer else {"customer__reseller": reseller,
                                                        "customer__marketplace": marketplace}
        return CustomerUserFactory(first_name="Carla", last_name="Customer", email="carla@customer.test", **owner)

    return make
