"""Lifecycle tests reuse the workspace world (the simulator's Northwind Traders as a reseller's customer) and
publish a few of the simulator's offers in its marketplace, with the simulator's add-on facts."""

from __future__ import annotations

import pytest

from bss.models import Marketplace
from catalog import services as catalog_services
from catalog.models import Sku
from partnercenter.simulator import catalog_data as cd
from tests.storefront.conftest import load_catalog_rows, sku_of
from tests.workspace.conftest import _fast_passwords, pc, run_after_commit, world  # noqa: F401

BUSINESS_BASIC = "CFQ7TTC0LH18"
BUSINESS_STANDARD = "CFQ7TTC0LDPB"


@pytest.fixture
def publish(world):  # noqa: F811
    """Publish a simulator product in the world's marketplace (annual billing on), add-on facts included."""
    marketplace: Marketplace = world.customer.marketplace
    if not marketplace.annual_billing_enabled:
        marketplace.annual_billing_enabled = True
        marketplace.save(update_fields=["annual_billing_enabled"])

    def do(product_id: str, sku_id: str | None = None):
        load_catalog_rows(marketplace, [product_id])
        for pc_sku in cd.catalog_for_market(marketplace.market).skus_of(product_id):
            if pc_sku.is_addon:
                Sku.objects.filter(product__instance=marketplace.instance, product__market=marketplace.market,
                                   product__product_id=product_id, sku_id=pc_sku.id).update(
                    is_addon=True, prerequisite_skus=list(pc_sku.prerequisite_skus),
                )
        sku = (
            Sku.objects.get(product__instance=marketplace.instance, product__market=marketplace.market,
                            product__product_id=product_id, sku_id=sku_id)
            if sku_id else sku_of(marketplace, product_id)
        )
        return catalog_services.offer_publish(marketplace=marketplace, sku=sku, published=True, actor=None)

    return do
