"""Who sees what: every tenant-scoped read goes through selectors that answer "not found" for foreign objects."""

import pytest
from django.urls import reverse

from bss import selectors
from bss.exceptions import NotFound
from tests.factories.bss import (
    CustomerFactory,
    CustomerUserFactory,
    ResellerUserFactory,
    StaffUserFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_resellers():
    """Reseller A and B, each with one customer holding one subscription, and a user of each."""
    a_user = ResellerUserFactory()
    b_user = ResellerUserFactory()
    a_sub = SubscriptionFactory(tenant__customer__reseller=a_user.reseller, name="A's Business Basic")
    b_sub = SubscriptionFactory(tenant__customer__reseller=b_user.reseller, name="B's Business Basic")
    return a_user, b_user, a_sub, b_sub


def test_reseller_user_lists_only_its_own_customers(two_resellers):
    a_user, _b_user, a_sub, b_sub = two_resellers
    assert list(selectors.customer_list_for_user(user=a_user)) == [a_sub.customer]
    assert list(selectors.subscription_list_for_user(user=a_user)) == [a_sub]
    assert b_sub.customer not in selectors.customer_list_for_user(user=a_user, search="Customer")


def test_reseller_user_gets_not_found_for_another_resellers_customer(two_resellers, client):
    a_user, _b_user, a_sub, b_sub = two_resellers
    with pytest.raises(NotFound):
        selectors.customer_get_for_user(user=a_user, customer_id=b_sub.customer_id)
    with pytest.raises(NotFound):
        selectors.subscription_get_for_user(user=a_user, subscription_id=b_sub.pk)

    client.force_login(a_user)
    own = client.get(reverse("storefront:workspace", args=[a_sub.customer_id]))
    assert own.status_code == 200 and "A&#x27;s Business Basic" in own.content.decode()
    foreign = client.get(reverse("storefront:workspace", args=[b_sub.customer_id]))
    assert foreign.status_code == 404
    listing = client.get(reverse("storefront:home")).content.decode()
    assert a_sub.customer.company_name in listing and b_sub.customer.company_name not in listing


def test_customer_user_sees_only_its_own_customer(client):
    sub = SubscriptionFactory()
    other = CustomerFactory(reseller=sub.customer.reseller)  # same reseller, different customer
    user = CustomerUserFactory(customer=sub.customer)

    assert list(selectors.customer_list_for_user(user=user)) == [sub.customer]
    client.force_login(user)
    assert client.get(reverse("storefront:home")).url == reverse("storefront:workspace", args=[sub.customer_id])
    assert client.get(reverse("storefront:workspace", args=[sub.customer_id])).status_code == 200
    assert client.get(reverse("storefront:workspace", args=[other.pk])).status_code == 404


def test_provider_staff_sees_every_customer(two_resellers):
    _a, _b, a_sub, b_sub = two_resellers
    staff = StaffUserFactory()
    assert set(selectors.customer_list_for_user(user=staff)) == {a_sub.customer, b_sub.customer}


@pytest.mark.parametrize("url_name", ["backoffice:dashboard", "backoffice:tools", "backoffice:customer_list"])
def test_back_office_is_invisible_to_reseller_and_customer_users(client, url_name):
    client.force_login(ResellerUserFactory())
    assert client.get(reverse(url_name)).status_code == 404
    client.force_login(CustomerUserFactory())
    assert client.get(reverse(url_name)).status_code == 404


def test_anonymous_users_are_sent_to_login(client):
    for url in [reverse("backoffice:dashboard"), reverse("storefront:home")]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_staff_without_role_flag_is_not_provider_staff(client):
    """A staff-role account that is not marked is_staff (e.g. deactivated access) gets nothing."""
    user = StaffUserFactory(is_staff=False)
    assert selectors.customer_list_for_user(user=user).count() == 0
    client.force_login(user)
    assert client.get(reverse("backoffice:dashboard")).status_code == 404


def test_staff_sees_back_office_pages(client, two_resellers):
    _a, _b, a_sub, _b_sub = two_resellers
    client.force_login(StaffUserFactory())
    dashboard = client.get(reverse("backoffice:dashboard"))
    assert dashboard.status_code == 200 and "BSS Setup" in dashboard.content.decode()
    detail = client.get(reverse("backoffice:customer_detail", args=[a_sub.customer_id]))
    assert a_sub.tenant.default_domain in detail.content.decode()
