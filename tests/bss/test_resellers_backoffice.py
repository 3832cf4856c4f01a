"""Back office: reseller onboarding with invitation, list with customer counts and monthly revenue."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from bss.models import AuditEvent, Marketplace, Order, OrderLine, Reseller, User
from tests.factories.bss import (
    CustomerFactory,
    PartnerCenterInstanceFactory,
    ProviderFactory,
    ResellerFactory,
    StaffUserFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db


def _staff(*codenames):
    user = StaffUserFactory()
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="bss", codename__in=codenames))
    return user


@pytest.fixture
def provider():
    return ProviderFactory(name="Fabrikam Distribution")


TENANT = {
    "name": "Northwind Cloud",
    "kind": "tenant",
    "partner_id": "5100009",
    "email": "hello@northwind.example",
    "country": "us",
    "first_user_username": "northwind-admin",
    "first_user_email": "owner@northwind.example",
    "marketplace_name": "Northwind Store",
    "marketplace_slug": "northwind",
    "marketplace_color": "#7a2e8e",
}


def test_onboarding_a_tenant_reseller_creates_its_marketplace_and_invites_its_admin(
    client, provider, django_capture_on_commit_callbacks
):
    instance = PartnerCenterInstanceFactory(default_market="GB", default_currency="GBP")
    client.force_login(_staff("view_reseller", "add_reseller"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("backoffice:reseller_onboard"), {**TENANT, "instance": instance.pk})
    reseller = Reseller.objects.get(name="Northwind Cloud")
    assert response.url == reverse("backoffice:reseller_detail", args=[reseller.pk])
    assert (reseller.kind, reseller.parent, reseller.partner_id, reseller.country) == (
        "tenant",
        provider,
        "5100009",
        "US",
    )
    store = Marketplace.objects.get(slug="northwind")
    assert (store.owner, store.market, store.currency, store.primary_color) == (reseller, "GB", "GBP", "#7a2e8e")

    invited = User.objects.get(username="northwind-admin")
    assert invited.reseller == reseller and invited.is_reseller_admin and not invited.has_usable_password()
    [email] = mail.outbox
    assert email.to == ["owner@northwind.example"] and "Northwind Cloud" in email.subject
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", str(email.body)).group(1)

    # The invited user chooses a password through the link and can then sign in with it.
    client.logout()
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"new_password1": "a-long-new-passphrase-42", "new_password2": "a-long-new-passphrase-42"},
    )
    invited.refresh_from_db()
    assert invited.check_password("a-long-new-passphrase-42")
    assert AuditEvent.objects.filter(action="user.invite", object_id=str(invited.pk)).exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"marketplace_slug": "", "marketplace_name": ""}, "Required for a tenant reseller."),
        ({"partner_id": "12ab"}, "A Partner ID is 6 to 10 digits."),
        ({"marketplace_color": "purple"}, "Use a colour like #1f4e79."),
    ],
)
def test_bad_onboarding_input_re_renders_and_creates_nothing(client, provider, changes, message):
    client.force_login(_staff("view_reseller", "add_reseller"))
    instance = PartnerCenterInstanceFactory()
    response = client.post(reverse("backoffice:reseller_onboard"), {**TENANT, "instance": instance.pk, **changes})
    assert response.status_code == 200 and message in response.content.decode()
    assert 'value="Northwind Cloud"' in response.content.decode()
    assert not Reseller.objects.filter(name="Northwind Cloud").exists() and not mail.outbox


def test_taken_marketplace_address_and_username_are_explained(client, provider):
    client.force_login(_staff("view_reseller", "add_reseller"))
    instance = PartnerCenterInstanceFactory()
    Marketplace.objects.create(owner=provider, name="Taken", slug="northwind", instance=instance)
    response = client.post(reverse("backoffice:reseller_onboard"), {**TENANT, "instance": instance.pk})
    assert "The marketplace address “northwind” is taken." in response.content.decode()
    assert not Reseller.objects.filter(name="Northwind Cloud").exists()


def test_staff_without_permission_cannot_onboard(client, provider):
    client.force_login(_staff("view_reseller"))
    response = client.post(reverse("backoffice:reseller_onboard"), {**TENANT, "kind": "light"})
    assert response.status_code == 404 and not Reseller.objects.filter(name="Northwind Cloud").exists()


def test_reseller_list_shows_customer_counts_and_monthly_revenue(client):
    reseller = ResellerFactory(name="Tailspin Toys IT")
    monthly = SubscriptionFactory(tenant__customer__reseller=reseller, quantity=10, billing_cycle="monthly")
    annual = SubscriptionFactory(tenant__customer__reseller=reseller, quantity=2, billing_cycle="annual")
    SubscriptionFactory(tenant__customer__reseller=reseller, quantity=50, status="suspended")
    CustomerFactory(reseller=reseller)
    for sub, price in ((monthly, "6.00"), (annual, "120.00")):
        order = Order.objects.create(
            kind="new_customer",
            customer=sub.customer,
            tenant=sub.tenant,
            reseller=reseller,
            marketplace=sub.customer.marketplace,
            currency="USD",
        )
        sub.order_line = OrderLine.objects.create(
            order=order,
            pc_product_id="P",
            pc_sku_id="S",
            product_name=sub.name,
            quantity=sub.quantity,
            billing_cycle=sub.billing_cycle,
            unit_price=Decimal(price),
            currency="USD",
        )
        sub.save(update_fields=["order_line"])

    client.force_login(_staff("view_reseller"))
    page = client.get(reverse("backoffice:reseller_list")).content.decode()
    row = re.search(r"Tailspin Toys IT</a>.*?</tr>", page, re.S).group(0)
    # 10 x 6.00 monthly + 2 x 120.00 a year / 12 = 60 + 20; the suspended subscription does not count.
    assert "<td>4</td>" in row and "80.00" in row
