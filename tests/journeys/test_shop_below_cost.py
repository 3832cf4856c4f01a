"""Selling below cost needs an explicit "Sell below cost": a provider's -10 % markup, a tenant reseller's -50 % or
$0.01/month are refused without it (`catalog.markups.markup_rule_set(allow_below_cost=...)`); the tenant reseller's
price list shows the margin beside every price and a per-product rule by its value.

The price-list page in a real browser (Debian's Chromium, Playwright, live server); the service's refusals with
plain tests (a browser adds nothing there)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from bss.exceptions import ApplicationError
from catalog import services as catalog_services
from catalog.choices import MarkupKind
from catalog.models import MarkupRule
from catalog.resellerprices import services as price_services
from tests.storefront.conftest import BUSINESS_BASIC, sku_of
from tests.storefront.test_browser import CHROMIUM
from tests.tier2.conftest import make_side


@pytest.fixture
def side(marketplace, provider, sim_instance):
    return make_side("Alpine", "alpine", "#aa3311", "6100001", provider, sim_instance)


@pytest.mark.django_db
def test_a_provider_markup_below_cost_is_refused_unless_confirmed(marketplace, publish):
    publish(BUSINESS_BASIC)

    with pytest.raises(ApplicationError) as refused:
        catalog_services.markup_rule_set(marketplace=marketplace, kind=MarkupKind.PERCENT_OVER_COST,
                                         percent=Decimal("-10"), actor=None)
    assert refused.value.code == "catalog_below_cost" and "Sell below cost" in refused.value.message
    assert not MarkupRule.objects.filter(marketplace=marketplace).exists()

    catalog_services.markup_rule_set(marketplace=marketplace, kind=MarkupKind.PERCENT_OVER_COST,
                                     percent=Decimal("-10"), actor=None, allow_below_cost=True)
    assert MarkupRule.objects.get(marketplace=marketplace).percent == Decimal("-10")


@pytest.mark.django_db
@pytest.mark.parametrize("rule", [{"kind": MarkupKind.PERCENT_OVER_COST, "percent": Decimal("-50")},
                                  {"kind": MarkupKind.FIXED_PRICE, "fixed_monthly_price": Decimal("0.01")}])
def test_a_tenant_resellers_markup_below_its_cost_is_refused_unless_confirmed(side, rule):
    sku = sku_of(side.market, BUSINESS_BASIC)

    with pytest.raises(ApplicationError) as refused:
        catalog_services.markup_rule_set(marketplace=side.market, sku=sku, actor=None, **rule)

    assert refused.value.code == "catalog_below_cost"
    catalog_services.markup_rule_set(marketplace=side.market, sku=sku, actor=None, allow_below_cost=True, **rule)


@pytest.mark.django_db
def test_the_providers_price_to_a_reseller_below_cost_is_refused_unless_confirmed(side):
    with pytest.raises(ApplicationError) as refused:
        price_services.reseller_price_rule_set(actor=None, reseller=side.reseller, percent=Decimal("-5"))
    assert refused.value.code == "catalog_below_cost"
    rule = price_services.reseller_price_rule_set(actor=None, reseller=side.reseller, percent=Decimal("-5"),
                                                  allow_below_cost=True)
    assert rule.percent == Decimal("-5")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium")
def test_a_tenant_reseller_sees_margins_and_must_confirm_below_cost(
    transactional_db, live_server, browser_page, side
):
    page = browser_page
    page.goto(f"{live_server.url}/store/reseller/price-list/")
    page.fill("input[name=username]", side.admin.username)
    page.fill("input[name=password]", "correct-horse-battery-staple")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/store/reseller/price-list/$"))

    # A margin beside every price.
    sales = page.locator("td[data-sale]").count()
    assert sales > 0 and page.locator("td[data-margin]").count() == sales

    # -50 % without confirming: refused with the reason; nothing saved.
    row = page.locator("tr", has_text="Business Basic").first
    row.locator("input[name=percent]").fill("-50")
    row.get_by_role("button", name="Set").click()
    page.wait_for_selector(".messages li.error")
    assert "below cost" in page.inner_text(".messages")
    assert not MarkupRule.objects.filter(marketplace=side.market, sku__isnull=False).exists()

    # Confirmed: saved, and the page says the plan sells below cost.
    row = page.locator("tr", has_text="Business Basic").first
    row.locator("input[name=percent]").fill("-50")
    row.locator("input[name=allow_below_cost]").check()
    row.get_by_role("button", name="Set").click()
    page.wait_for_selector(".messages li.success")
    row = page.locator("tr", has_text="Business Basic").first
    assert "below cost" in row.locator("td[data-margin]").inner_text()

    # A per-product rule shows its value, not the SKU's database id.
    row.locator("input[name=percent]").fill("17")
    row.get_by_role("button", name="Set").click()
    page.wait_for_selector(".messages li.success")
    label = page.locator("tr", has_text="Business Basic").first.locator("[data-rule]").inner_text()
    assert label.strip() == "17 % over cost"
