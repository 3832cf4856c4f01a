"""Reseller price lists: the provider's price to a tenant reseller (its cost) under the reseller's own markup."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bss.exceptions import ApplicationError
from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.models import Price
from catalog.pricing import round_money
from catalog.resellerprices import services as price_services
from catalog.resellerprices.models import ResellerPriceRule
from catalog.resellerprices.wholesale import Wholesale, reseller_cost, wholesale_for_marketplace
from tests.tier2.conftest import BUSINESS_BASIC, publish_in

pytestmark = pytest.mark.django_db


def current_price(offer, term="P1M", cycle="monthly") -> Price:
    return Price.objects.get(sku=offer.sku, term_duration=term, billing_cycle=cycle, currency="USD", is_current=True,
                             tier_min__isnull=True)


def plan(marketplace, sku_id, term="P1M", cycle="monthly"):
    view = next(o for o in catalog_selectors.offer_list_for_marketplace(marketplace) if o.sku.pk == sku_id)
    return next(p for p in view.prices if (p.term_duration, p.billing_cycle) == (term, cycle))


def test_reseller_cost_is_cost_plus_percent_to_the_cent():
    assert reseller_cost(cost=Decimal("6.000000"), percent=Decimal("20")) == Decimal("7.20")
    assert reseller_cost(cost=Decimal("10.005"), percent=Decimal("0")) == Decimal("10.01")
    assert reseller_cost(cost=Decimal("12.50"), percent=Decimal("-10")) == Decimal("11.25")
    rows = [Price(unit_price=Decimal("6"), erp_price=Decimal("7.2"))]
    twins = Wholesale(default_percent=Decimal("10"), by_sku={5: Decimal("50")}).apply(5, rows)
    assert (twins[0].unit_price, twins[0].erp_price, rows[0].unit_price) == (
        Decimal("9.00"), Decimal("7.2"), Decimal(6)
    )


def test_tenant_marketplace_sells_at_reseller_cost_plus_reseller_markup(side_a, provider_market):
    # Given the provider charges Alpine 20% over cost and Alpine marks up 25% over its cost (fixtures)
    cost = current_price(side_a.offer).unit_price
    provider_offer = publish_in(provider_market, BUSINESS_BASIC)

    tenant_plan = plan(side_a.market, side_a.offer.sku_id)
    provider_plan = plan(provider_market, provider_offer.sku_id)

    assert tenant_plan.cost == round_money(cost * Decimal("1.2"))
    assert tenant_plan.sale_price == round_money(round_money(cost * Decimal("1.2")) * Decimal("1.25"))
    # the provider's own marketplace is untouched: Partner Center cost, no markup rule -> ERP
    assert provider_plan.cost == cost
    assert provider_plan.sale_price == round_money(current_price(side_a.offer).erp_price)
    assert wholesale_for_marketplace(provider_market) is None


def test_per_sku_rule_overrides_the_default_and_the_setting_applies_without_rules(side_a, settings):
    cost = current_price(side_a.offer).unit_price
    price_services.reseller_price_rule_set(actor=None, reseller=side_a.reseller, sku=side_a.offer.sku,
                                           percent=Decimal("5"))
    assert plan(side_a.market, side_a.offer.sku_id).cost == round_money(cost * Decimal("1.05"))

    ResellerPriceRule.objects.filter(reseller=side_a.reseller).delete()
    settings.TIER2_WHOLESALE_PERCENT = "15"
    assert plan(side_a.market, side_a.offer.sku_id).cost == round_money(cost * Decimal("1.15"))


def test_fixed_markup_of_the_reseller_ignores_the_cost(side_a):
    catalog_services.markup_rule_set(marketplace=side_a.market, sku=side_a.offer.sku, kind="fixed",
                                     fixed_monthly_price=Decimal("9.99"), actor=None)
    assert plan(side_a.market, side_a.offer.sku_id, "P1Y", "annual").sale_price == Decimal("119.88")


def test_wholesale_rules_only_for_tenant_resellers_and_not_below_minus_100(side_a, provider):
    with pytest.raises(ApplicationError) as exc:
        price_services.reseller_price_rule_set(actor=None, reseller=provider, percent=Decimal("5"))
    assert exc.value.code == "tier2_not_tenant"
    with pytest.raises(ApplicationError) as exc:
        price_services.reseller_price_rule_set(actor=None, reseller=side_a.reseller, percent=Decimal("-101"))
    assert exc.value.code == "tier2_percent_invalid"
    assert ResellerPriceRule.objects.get(reseller=side_a.reseller, sku=None).percent == Decimal("20")
