"""Catalog browsing and the cart, through the storefront views."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.choices import Lifecycle
from storefront.models import Cart, CartLine
from tests.factories.bss import MarketplaceFactory, PartnerCenterInstanceFactory, ProviderFactory
from tests.storefront.conftest import BUSINESS_BASIC, BUSINESS_STANDARD, sku_of

pytestmark = pytest.mark.django_db

DYNAMICS_SALES = "SIM0D365SALE"


def add(client, offer, plan="P1M:monthly", quantity=1, **extra):
    return client.post(reverse("storefront:cart_add"), {"offer": offer.pk, "plan": plan, "quantity": quantity, **extra})


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_catalog_lists_only_published_offers_with_prices_in_marketplace_currency(reseller_client, publish):
    publish(BUSINESS_BASIC)
    publish(BUSINESS_STANDARD, published=False)

    response = reseller_client.get(reverse("storefront:catalog"))

    assert response.status_code == 200
    offers = response.context["offers"]
    assert [o.pc_product_id for o in offers] == [BUSINESS_BASIC]
    plans = {p.key: p.unit_price for p in offers[0].plans}
    # The simulator's list prices (ERP) per billing period, sold without markup: 6.00/month on P1Y annual.
    assert plans["P1Y:annual"] == Decimal("72.00")
    assert plans["P1M:monthly"] == Decimal("7.20")
    html = response.content.decode()
    assert "Microsoft 365 Business Basic" in html
    assert "USD 72.00" in html
    assert "Business Standard" not in html


def test_catalog_search_and_filters(reseller_client, publish):
    publish(BUSINESS_BASIC)
    publish(BUSINESS_STANDARD)
    publish(DYNAMICS_SALES)
    url = reverse("storefront:catalog")

    by_search = reseller_client.get(url, {"q": "standard"}).context["offers"]
    by_family = reseller_client.get(url, {"family": "Dynamics 365"}).context["offers"]
    by_term = reseller_client.get(url, {"term": "P1M"}).context["offers"]
    by_cycle = reseller_client.get(url, {"billing": "annual", "q": "basic"}).context["offers"]

    assert [o.pc_product_id for o in by_search] == [BUSINESS_STANDARD]
    assert [o.pc_product_id for o in by_family] == [DYNAMICS_SALES]
    assert all({p.term_duration for p in o.plans} == {"P1M"} for o in by_term)
    assert [o.pc_product_id for o in by_cycle] == [BUSINESS_BASIC]
    assert {p.billing_cycle for p in by_cycle[0].plans} == {"annual"}


@pytest.mark.parametrize("_case", ["marketplace_switch_off", "instance_switch_off"])
def test_annual_billing_is_neither_shown_nor_orderable_unless_both_switches_are_on(
    _case, reseller_client, marketplace, publish
):
    offer = publish(BUSINESS_BASIC)
    if _case == "marketplace_switch_off":
        marketplace.annual_billing_enabled = False
        marketplace.save(update_fields=["annual_billing_enabled"])
    else:
        marketplace.instance.annual_provisioning_enabled = False
        marketplace.instance.save(update_fields=["annual_provisioning_enabled"])

    page = reseller_client.get(reverse("storefront:catalog"))
    response = add(reseller_client, offer, plan="P1Y:annual", quantity=3)

    cycles = {p.billing_cycle for o in page.context["offers"] for p in o.plans}
    assert "annual" not in cycles and "monthly" in cycles
    assert "annual billing is not offered" in page.content.decode()
    assert response.status_code == 302
    assert CartLine.objects.count() == 0
    follow = reseller_client.get(response["Location"])
    assert "not offered with this term and billing cycle" in " ".join(messages_of(follow))


def test_add_update_remove_and_totals(reseller_client, reseller_user, publish):
    basic = publish(BUSINESS_BASIC)
    standard = publish(BUSINESS_STANDARD)

    add(reseller_client, basic, "P1Y:annual", 5)
    add(reseller_client, basic, "P1Y:annual", 2)  # same plan again: one line, quantities add up
    add(reseller_client, standard, "P1M:monthly", 1)
    cart = Cart.objects.get(user=reseller_user)
    lines = {(li.offer_id, li.billing_cycle): li for li in cart.lines.all()}
    assert lines[(basic.pk, "annual")].quantity == 7
    assert len(lines) == 2

    page = reseller_client.get(reverse("storefront:cart"))
    totals = page.context["totals"]
    assert {t.billing_cycle: t.amount for t in totals.by_cycle} == {
        "monthly": Decimal("15.00"),  # Business Standard P1M: 12.50 x 1.2
        "annual": Decimal("504.00"),  # Business Basic P1Y annual: 72 x 7
    }
    assert totals.first_invoice == Decimal("519.00")
    assert "USD 519.00" in page.content.decode()

    line = lines[(basic.pk, "annual")]
    reseller_client.post(reverse("storefront:cart_update", args=[line.pk]), {"quantity": 10})
    line.refresh_from_db()
    assert line.quantity == 10

    reseller_client.post(reverse("storefront:cart_remove", args=[line.pk]))
    assert not CartLine.objects.filter(pk=line.pk).exists()

    reseller_client.post(reverse("storefront:cart_clear"))
    assert CartLine.objects.filter(cart=cart).count() == 0


@pytest.mark.parametrize(
    ("_case", "quantity", "message"),
    [
        ("above_maximum", 301, "The maximum quantity is 300."),
        ("zero", 0, "Ensure this value is greater than or equal to 1."),
    ],
)
def test_quantity_outside_the_offers_limits_is_refused(_case, quantity, message, reseller_client, publish):
    offer = publish(BUSINESS_BASIC)

    response = add(reseller_client, offer, "P1M:monthly", quantity)

    assert CartLine.objects.count() == 0
    assert message in " ".join(messages_of(reseller_client.get(response["Location"])))


def test_updating_a_line_beyond_the_limit_keeps_the_old_quantity(reseller_client, reseller_user, publish):
    offer = publish(BUSINESS_BASIC)
    add(reseller_client, offer, "P1M:monthly", 4)
    line = CartLine.objects.get()

    response = reseller_client.post(reverse("storefront:cart_update", args=[line.pk]), {"quantity": 1000}, follow=True)

    line.refresh_from_db()
    assert line.quantity == 4
    assert "The maximum quantity is 300." in " ".join(messages_of(response))


def test_unpublished_or_discontinued_offers_cannot_be_added(reseller_client, publish, marketplace):
    unpublished = publish(BUSINESS_STANDARD, published=False)
    discontinued = publish(BUSINESS_BASIC)
    sku = sku_of(marketplace, BUSINESS_BASIC)
    sku.lifecycle = Lifecycle.DISCONTINUED
    sku.save(update_fields=["lifecycle"])

    for offer in (unpublished, discontinued):
        response = add(reseller_client, offer)
        text = " ".join(messages_of(reseller_client.get(response["Location"])))
        assert "not published in this marketplace or has been discontinued" in text
    assert CartLine.objects.count() == 0


def test_a_line_whose_offer_was_withdrawn_blocks_checkout_with_a_clear_message(reseller_client, publish, marketplace):
    offer = publish(BUSINESS_BASIC)
    add(reseller_client, offer, "P1M:monthly", 2)
    publish(BUSINESS_BASIC, published=False)

    page = reseller_client.get(reverse("storefront:cart"))
    checkout = reseller_client.get(reverse("storefront:checkout_customer"))

    assert "no longer sold in this marketplace" in page.content.decode()
    assert checkout.status_code == 302 and checkout["Location"] == reverse("storefront:cart")


def test_offers_of_another_marketplace_cannot_be_added(reseller_client, publish, sim_instance):
    other_provider = ProviderFactory()
    elsewhere = MarketplaceFactory(owner=other_provider, instance=sim_instance, slug="elsewhere")
    foreign = publish(BUSINESS_BASIC, market=elsewhere)
    publish(BUSINESS_BASIC)

    response = add(reseller_client, foreign)
    foreign_market = reseller_client.get(reverse("storefront:catalog"), {"m": "elsewhere"})

    assert CartLine.objects.count() == 0
    assert "not published in this marketplace" in " ".join(messages_of(reseller_client.get(response["Location"])))
    assert foreign_market.status_code == 404


def test_customer_user_shops_in_its_customers_marketplace(client, customer_user_factory, publish, marketplace):
    publish(BUSINESS_BASIC)
    MarketplaceFactory(instance=PartnerCenterInstanceFactory(), slug="not-mine")
    client.force_login(customer_user_factory())

    response = client.get(reverse("storefront:catalog"))

    assert response.context["marketplace"] == marketplace
    assert [m.slug for m in response.context["marketplaces"]] == [marketplace.slug]


def test_catalog_and_cart_pages_run_a_fixed_number_of_queries(reseller_client, publish):
    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert reseller_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    first = publish(BUSINESS_BASIC)
    add(reseller_client, first, "P1M:monthly", 1)
    one = (count(reverse("storefront:catalog")), count(reverse("storefront:cart")))
    for product_id in (BUSINESS_STANDARD, DYNAMICS_SALES, "CFQ7TTC0LF8R"):
        add(reseller_client, publish(product_id), "P1M:monthly", 1)

    four = (count(reverse("storefront:catalog")), count(reverse("storefront:cart")))

    assert four == one
