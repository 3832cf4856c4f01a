"""Who may see what in the storefront: anonymous users sign in; carts are personal; orders are scoped to the
reseller (and to the customer for customer users); a foreign object is "not found" and nothing changes."""

import pytest
from django.urls import reverse

from bss.choices import OrderKind, OrderStatus
from bss.models import Order
from storefront.models import CartLine
from tests.factories.bss import CustomerFactory, MarketplaceFactory, MicrosoftTenantFactory, StaffUserFactory
from tests.storefront import flow
from tests.storefront.conftest import BUSINESS_BASIC

pytestmark = pytest.mark.django_db


def make_order(customer, status=OrderStatus.AWAITING_RELATIONSHIP):
    tenant = MicrosoftTenantFactory(customer=customer, instance=customer.marketplace.instance)
    return Order.objects.create(
        kind=OrderKind.EXISTING_TENANT, status=status, customer=customer, tenant=tenant, reseller=customer.reseller,
        marketplace=customer.marketplace, currency="USD", failure_reason="",
    )


PAGES = [
    ("storefront:home", []), ("storefront:catalog", []), ("storefront:cart", []),
    ("storefront:checkout_customer", []), ("storefront:checkout_details", []), ("storefront:checkout_mca", []),
    ("storefront:checkout_review", []), ("storefront:checkout_domain_check", []), ("storefront:order_list", []),
    ("storefront:order_detail", [1]), ("storefront:order_status", [1]),
]
POSTS = [
    ("storefront:cart_add", []), ("storefront:cart_update", [1]), ("storefront:cart_remove", [1]),
    ("storefront:cart_clear", []), ("storefront:checkout_place", []), ("storefront:order_check_relationship", [1]),
]


@pytest.mark.parametrize(("name", "args"), PAGES + POSTS)
def test_anonymous_users_are_sent_to_sign_in(client, name, args):
    url = reverse(name, args=args)
    response = client.post(url) if (name, args) in POSTS else client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_reseller_cannot_see_or_touch_another_resellers_orders(
    client, reseller_client, marketplace, reseller, other_reseller_user
):
    mine = make_order(CustomerFactory(reseller=reseller, marketplace=marketplace))
    theirs = make_order(CustomerFactory(reseller=other_reseller_user.reseller, marketplace=marketplace))

    assert reseller_client.get(reverse("storefront:order_detail", args=[mine.pk])).status_code == 200
    for name in ("storefront:order_detail", "storefront:order_status"):
        assert reseller_client.get(reverse(name, args=[theirs.pk])).status_code == 404
    check = reseller_client.post(reverse("storefront:order_check_relationship", args=[theirs.pk]))
    history = reseller_client.get(reverse("storefront:order_list")).context["orders"]

    assert check.status_code == 404
    assert list(history) == [mine]
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.AWAITING_RELATIONSHIP


def test_carts_are_personal(client, reseller_client, publish, other_reseller_user, reseller_user):
    offer = publish(BUSINESS_BASIC)
    flow.add_to_cart(reseller_client, offer, "P1M:monthly", 2)
    line = CartLine.objects.get()
    client.force_login(other_reseller_user)

    update = client.post(reverse("storefront:cart_update", args=[line.pk]), {"quantity": 50})
    remove = client.post(reverse("storefront:cart_remove", args=[line.pk]))
    cart_page = client.get(reverse("storefront:cart"))

    assert update.status_code == remove.status_code == 404
    assert cart_page.context["lines"] == []
    line.refresh_from_db()
    assert line.quantity == 2


def test_customer_user_sees_only_its_own_orders(client, customer_user_factory, marketplace, reseller):
    user = customer_user_factory()
    own = make_order(user.customer, status=OrderStatus.COMPLETED)
    sibling = make_order(CustomerFactory(reseller=reseller, marketplace=marketplace))
    client.force_login(user)

    history = client.get(reverse("storefront:order_list")).context["orders"]

    assert list(history) == [own]
    assert client.get(reverse("storefront:order_detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("storefront:order_detail", args=[sibling.pk])).status_code == 404
    assert client.get(reverse("storefront:order_status", args=[sibling.pk])).status_code == 404


def test_reseller_cannot_order_for_another_resellers_customer(
    reseller_client, publish, marketplace, other_reseller_user
):
    foreign = CustomerFactory(reseller=other_reseller_user.reseller, marketplace=marketplace)
    MicrosoftTenantFactory(customer=foreign, instance=marketplace.instance)
    flow.add_to_cart(reseller_client, publish(BUSINESS_BASIC), "P1M:monthly", 1)

    response = flow.choose(reseller_client, "existing_customer", foreign)

    assert response.status_code == 400
    assert "Select a valid choice" in " ".join(response.context["form"].errors["customer"])


def test_marketplace_of_another_provider_is_not_found(reseller_client, marketplace):
    MarketplaceFactory(slug="foreign-shop")

    assert reseller_client.get(reverse("storefront:catalog"), {"m": "foreign-shop"}).status_code == 404
    assert reseller_client.get(reverse("storefront:catalog"), {"m": marketplace.slug}).status_code == 200


def test_order_status_json_reports_live_status(reseller_client, marketplace, reseller):
    order = make_order(CustomerFactory(reseller=reseller, marketplace=marketplace), status=OrderStatus.FAILED)
    Order.objects.filter(pk=order.pk).update(failure_reason="Partner Center refused the cart: quantity too high.")

    data = reseller_client.get(reverse("storefront:order_status", args=[order.pk])).json()
    page = reseller_client.get(reverse("storefront:order_detail", args=[order.pk])).content.decode()

    assert (data["status"], data["status_display"]) == ("failed", "Failed")
    assert data["failure_reason"] == "Partner Center refused the cart: quantity too high."
    assert "Partner Center refused the cart: quantity too high." in page


def test_staff_may_shop_in_any_marketplace(client, marketplace, publish):
    publish(BUSINESS_BASIC)
    client.force_login(StaffUserFactory())

    response = client.get(reverse("storefront:catalog"), {"m": marketplace.slug})

    assert response.status_code == 200
    assert len(response.context["offers"]) == 1
