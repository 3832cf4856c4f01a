"""Tier-2 pages: the marketplace's branded address, the reseller admin's price list (markup, publishing, preview),
the provider's wholesale rule page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import MarkupRule, Offer
from catalog.resellerprices.models import ResellerPriceRule
from tests.storefront.conftest import load_catalog_rows, sku_of
from tests.tier2.conftest import BUSINESS_STANDARD

pytestmark = pytest.mark.django_db


def test_marketplace_address_is_branded_and_opens_the_storefront_for_its_members_only(client, side_a, side_b):
    entry = client.get("/m/alpine/")
    page = entry.content.decode()
    assert entry.status_code == 200
    assert "Alpine Cloud" in page and "--brand: #aa3311" in page and "/accounts/login/?next=/m/alpine/" in page
    assert client.get("/m/nowhere/").status_code == 404
    assert client.get("/m/contoso/").status_code == 404  # the provider's marketplace has no tier-2 address

    client.force_login(side_a.customer_user)
    assert client.get("/m/alpine/")["Location"] == reverse("storefront:home")
    workspace = client.get(reverse("storefront:workspace", args=[side_a.customer.pk])).content.decode()
    assert "Alpine Cloud" in workspace and "--brand: #aa3311" in workspace
    assert client.get("/m/birch/").status_code == 404


def test_reseller_admin_sets_markup_publishes_and_previews(client, side_a, side_b):
    load_catalog_rows(side_a.market, [BUSINESS_STANDARD])
    standard = sku_of(side_a.market, BUSINESS_STANDARD)
    client.force_login(side_a.admin)

    page = client.get(reverse("tier2:price_list"), {"preview": "50"})
    rows = {r.sku.pk: r for r in page.context["rows"]}
    assert rows[side_a.offer.sku_id].is_published and not rows[standard.pk].is_published
    plan = rows[standard.pk].plans[0]
    assert plan.preview_price == (plan.cost * Decimal("1.5")).quantize(Decimal("0.01"))
    assert "Price list" in page.content.decode() and "What changed" in page.content.decode()

    client.post(reverse("tier2:default_markup"), {"percent": "40"})
    client.post(reverse("tier2:sku_action", args=[standard.pk]), {"action": "publish"})
    client.post(reverse("tier2:sku_action", args=[standard.pk]),
                {"action": "markup", "kind": "fixed", "fixed_monthly_price": "15"})
    client.post(reverse("tier2:sku_action", args=[side_a.offer.sku_id]), {"action": "unpublish"})

    assert MarkupRule.objects.get(marketplace=side_a.market, sku=None).percent == Decimal("40")
    assert MarkupRule.objects.get(marketplace=side_a.market, sku=standard).fixed_monthly_price == Decimal("15")
    assert Offer.objects.get(marketplace=side_a.market, sku=standard).is_published
    assert not Offer.objects.get(marketplace=side_a.market, sku=side_a.offer.sku).is_published
    # Birch's price list is untouched
    assert MarkupRule.objects.get(marketplace=side_b.market, sku=None).percent == Decimal("25")
    assert not Offer.objects.filter(marketplace=side_b.market, sku=standard).exists()
    # a plain (non-admin) user of the reseller has no price list pages
    client.force_login(side_a.user)
    assert client.get(reverse("tier2:price_list")).status_code == 404


def test_provider_sets_the_price_to_a_tenant_reseller(client, side_a, staff):
    client.force_login(staff)
    url = reverse("backoffice_tier2:wholesale", args=[side_a.reseller.pk])
    assert "20%" in client.get(url).content.decode()
    assert client.post(url, {"percent": "12.5"}).status_code == 302
    ref = f"{side_a.offer.sku.product.product_id}:{side_a.offer.sku.sku_id}"
    assert client.post(url, {"percent": "3", "sku": ref}).status_code == 302
    rules = {r.sku_id: r.percent for r in ResellerPriceRule.objects.filter(reseller=side_a.reseller)}
    assert rules == {None: Decimal("12.5"), side_a.offer.sku_id: Decimal("3")}
    bad = client.post(url, {"percent": "3", "sku": "NOPE:0001"})
    assert bad.status_code == 200 and "No such SKU" in bad.content.decode()
    # light resellers and the provider have no price list of their own
    assert client.get(reverse("backoffice_tier2:wholesale", args=[side_a.reseller.parent_id])).status_code == 404
