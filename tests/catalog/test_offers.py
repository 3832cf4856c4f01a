"""What a marketplace sells: publishing, markup, and the two annual billing switches."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bss.services.marketplaces import marketplace_set_annual_billing
from catalog.choices import MarkupKind
from catalog.models import Sku
from catalog.pricing import Markup, sale_price
from catalog.selectors import billing_cycle_allowed, offer_list_for_marketplace
from catalog.services import markup_rule_set, offer_publish, pricesheet_import_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(instance, marketplace, sheet_file):
    pricesheet_import_file(instance=instance, market="US", path=sheet_file())
    sku = Sku.objects.get(product__product_id="CFQ7TTC0LH18", sku_id="0001")
    offer_publish(marketplace=marketplace, sku=sku, actor=None)
    return sku


def test_pricing_rules():
    assert sale_price(cost=Decimal("57.6"), erp=Decimal("72"), billing_cycle="annual", markup=None) == Decimal("72.00")
    pct = Markup(kind=MarkupKind.PERCENT_OVER_COST, percent=Decimal("15"))
    assert sale_price(cost=Decimal("57.6"), erp=Decimal("72"), billing_cycle="annual", markup=pct) == Decimal("66.24")
    fixed = Markup(kind=MarkupKind.FIXED_PRICE, fixed_monthly_price=Decimal("5.5"))
    assert sale_price(cost=Decimal("57.6"), erp=Decimal("72"), billing_cycle="annual", markup=fixed) == Decimal("66.00")
    monthly = sale_price(cost=Decimal("5.76"), erp=Decimal("7.2"), billing_cycle="monthly", markup=fixed)
    assert monthly == Decimal("5.50")


def test_unpublished_by_default_and_markup(marketplace, published):
    offers = offer_list_for_marketplace(marketplace)
    assert [o.sku.pk for o in offers] == [published.pk]
    offer = offers[0]
    assert offer.catalog_item_id == "" or offer.catalog_item_id.startswith("CFQ7TTC0LH18:0001")
    annual = next(p for p in offer.prices if p.billing_cycle == "annual")
    assert annual.sale_price == Decimal("72.00")  # no rule: ERP
    markup_rule_set(marketplace=marketplace, kind=MarkupKind.PERCENT_OVER_COST, percent=Decimal("10"), actor=None)
    annual = next(p for p in offer_list_for_marketplace(marketplace)[0].prices if p.billing_cycle == "annual")
    assert annual.sale_price == Decimal("63.36")


@pytest.mark.parametrize(("marketplace_on", "instance_on", "offered"),
                         [(True, True, True), (False, True, False), (True, False, False)])
def test_annual_billing_switches(marketplace, published, marketplace_on, instance_on, offered):
    instance = marketplace.instance
    instance.annual_provisioning_enabled = instance_on
    instance.save()
    marketplace_set_annual_billing(actor=None, marketplace=marketplace, enabled=marketplace_on)
    marketplace.refresh_from_db()
    offer = offer_list_for_marketplace(marketplace)[0]
    assert ("annual" in offer.billing_cycles) is offered
    assert "monthly" in offer.billing_cycles  # the plan itself stays on sale
    assert billing_cycle_allowed(marketplace, sku_id=published.pk, term_duration="P1Y",
                                 billing_cycle="annual") is offered
