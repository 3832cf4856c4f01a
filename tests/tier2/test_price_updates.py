"""The monthly catalog update flows into tenant reseller price lists at once, and the reseller sees what changed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from bss.choices import ResellerKind
from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.choices import Lifecycle, RunStatus
from catalog.models import CatalogSyncRun, Sku
from catalog.pricing import Markup, round_money, sale_price
from catalog.resellerprices import services as price_services
from partnercenter.simulator import catalog_data as cd
from partnercenter.simulator.pricesheet import iter_pricesheet_lines
from tests.factories.bss import (
    MarketplaceFactory,
    PartnerCenterInstanceFactory,
    ProviderFactory,
    ResellerFactory,
    ResellerUserFactory,
)

pytestmark = pytest.mark.django_db

JUNE, JULY = dt.date(2025, 6, 1), dt.date(2025, 7, 1)


def import_sheet(instance, catalog, at, tmp_path, name):
    path = tmp_path / name
    path.write_text("".join(iter_pricesheet_lines(catalog, effective_date=at)), encoding="utf-8", newline="")
    run = catalog_services.pricesheet_import_file(instance=instance, market="US", path=path)
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run


def prices_of(marketplace) -> dict[tuple[str, str, str, str], tuple[Decimal, Decimal]]:
    return {
        (o.product.product_id, o.sku.sku_id, p.term_duration, p.billing_cycle): (p.cost, p.sale_price)
        for o in catalog_selectors.offer_list_for_marketplace(marketplace) for p in o.prices
    }


def test_reseller_prices_follow_the_monthly_update_and_the_reseller_sees_what_changed(client, tmp_path):
    # Given a tenant reseller selling the whole June catalog: provider's price = cost + 10%, its markup = 30%
    instance = PartnerCenterInstanceFactory(annual_provisioning_enabled=True)
    provider = ProviderFactory()
    reseller = ResellerFactory(kind=ResellerKind.TENANT, parent=provider)
    market = MarketplaceFactory(owner=reseller, slug="alpine", instance=instance, market="US", currency="USD")
    catalog = cd.catalog_for_market("US")
    june_run = import_sheet(instance, catalog, JUNE, tmp_path, "june.csv")
    CatalogSyncRun.objects.filter(pk=june_run.pk).update(finished_at=timezone.now() - dt.timedelta(days=40))
    for sku in Sku.objects.filter(product__instance=instance, lifecycle=Lifecycle.ACTIVE):
        catalog_services.offer_publish(marketplace=market, sku=sku, actor=None)
    price_services.reseller_price_rule_set(actor=None, reseller=reseller, percent=Decimal("10"))
    catalog_services.markup_rule_set(marketplace=market, kind="percent", percent=Decimal("30"), actor=None)
    june = prices_of(market)

    # When Microsoft's July update is imported by the provider
    changes = cd.monthly_update(catalog, seed=11, effective_date=JULY)
    import_sheet(instance, catalog, JULY, tmp_path, "july.csv")
    july = prices_of(market)

    # Then every repriced plan sells at the new cost + 10% + 30% at once; discontinued products are gone
    assert changes.repriced and changes.discontinued_products
    for change in changes.repriced:
        key = (change.product_id, change.sku_id, change.term_duration, change.billing_cycle)
        if key not in june:  # tiered or non-USD rows are not sold as plans
            continue
        new_cost = round_money(change.new_unit_price * Decimal("1.1"))
        assert july[key] == (new_cost, round_money(new_cost * Decimal("1.3")))
        assert june[key][0] == round_money(change.old_unit_price * Decimal("1.1"))
    assert not {k for k in july if k[0] in changes.discontinued_products}
    assert {k for k in june if k[0] in changes.discontinued_products}

    # And the reseller's admin sees the repriced and discontinued items of its catalog, and the added ones
    admin = ResellerUserFactory(reseller=reseller, is_reseller_admin=True)
    client.force_login(admin)
    response = client.get(reverse("tier2:changes"))  # default: the last 35 days (the July update only)
    items = response.context["items"]
    repriced = {(i.product_id, i.sku_id, i.term_duration, i.billing_cycle): i for i in items if i.kind == "repriced"}
    usd = [c for c in changes.repriced if c.currency == "USD"]
    assert set(repriced) == {(c.product_id, c.sku_id, c.term_duration, c.billing_cycle) for c in usd}
    first = usd[0]
    item = repriced[(first.product_id, first.sku_id, first.term_duration, first.billing_cycle)]
    old_cost, new_cost = (round_money(first.old_unit_price * Decimal("1.1")),
                          round_money(first.new_unit_price * Decimal("1.1")))
    assert (item.old_cost, item.new_cost) == (old_cost, new_cost)
    markup = Markup(kind="percent", percent=Decimal("30"))
    assert item.new_sale == sale_price(cost=new_cost, erp=first.new_erp_price, billing_cycle=first.billing_cycle,
                                       markup=markup)
    assert {i.product_id for i in items if i.kind == "discontinued"} == set(changes.discontinued_products)
    assert {i.product_id for i in items if i.kind == "added"} == set(changes.added_products)
    page = response.content.decode()
    assert f"{new_cost:.2f}" in page and f"{old_cost:.2f}" in page
    # the reseller never sees the provider's Partner Center cost
    assert f"{first.new_unit_price:.2f}" not in page or first.new_unit_price == new_cost
    # the June import (all added) is there when asked for, nothing after the date asked for
    assert len(client.get(reverse("tier2:changes"), {"since": "2000-01-01"}).context["items"]) > len(items)
    assert client.get(reverse("tier2:changes"), {"since": "2999-01-01"}).context["items"] == []
