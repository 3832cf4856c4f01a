"""One billing-cycle and term vocabulary: the storefront offers every plan the API lists (biennial billing and 2-
and 5-year terms included), and both count the same months per billing period."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from bss.rules.cycles import months_per_billing_cycle
from catalog.offers import offers_for_marketplace
from catalog.pricing import billing_period_months
from tests.factories.bss import MarketplaceFactory, ProviderFactory, ResellerUserFactory
from tests.factories.catalog import AvailabilityFactory, OfferFactory, PriceFactory, SkuFactory

pytestmark = pytest.mark.django_db

PLANS = {("P1Y", "monthly"), ("P2Y", "biennial"), ("P3Y", "triennial"), ("P5Y", "monthly")}


def test_the_storefront_offers_every_plan_the_api_lists():
    provider = ProviderFactory()
    marketplace = MarketplaceFactory(owner=provider, market="US", currency="USD")
    sku = SkuFactory(product__instance=marketplace.instance, product__market="US")
    AvailabilityFactory(sku=sku)
    for term, cycle in PLANS:
        PriceFactory(sku=sku, term_duration=term, billing_cycle=cycle, currency="USD")
    OfferFactory(marketplace=marketplace, sku=sku)
    api = APIClient()
    api.force_login(ResellerUserFactory(reseller__parent=provider))

    [listed] = api.get("/api/v1/catalog/offers/").json()["offers"]
    [offered] = offers_for_marketplace(marketplace=marketplace)

    assert {(p["term_duration"], p["billing_cycle"]) for p in listed["prices"]} == PLANS
    assert {(p.term_duration, p.billing_cycle) for p in offered.plans} == PLANS


@pytest.mark.parametrize("cycle", ["monthly", "annual", "biennial", "triennial", "one_time", "none"])
def test_months_per_billing_period_are_counted_once(cycle):
    assert billing_period_months(cycle) == months_per_billing_cycle(cycle)
