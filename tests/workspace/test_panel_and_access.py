"""The service setup panel (portal shortcut per cloud, Azure portal for Azure plan tenants, subscription columns),
the reseller's list of workspaces (search, filter), and the authorization matrix: anonymous -> sign-in, a customer
sees only its workspace, a reseller only its customers (404 for anything else, and nothing changes)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bss.choices import Cloud
from bss.models import Subscription
from provisioning.models import ProvisioningOperation
from storefront.workspace.selectors import portal_shortcut
from tests.factories.bss import (
    CustomerFactory,
    CustomerUserFactory,
    MicrosoftTenantFactory,
    PartnerCenterInstanceFactory,
    ResellerUserFactory,
    StaffUserFactory,
    SubscriptionFactory,
)
from tests.workspace.conftest import record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("cloud", "admin", "azure", "retired"),
    [
        (Cloud.GLOBAL, "https://admin.microsoft.com", "https://portal.azure.com/#@t.example", False),
        (Cloud.CHINA_21VIANET, "https://portal.partner.microsoftonline.cn", "https://portal.azure.cn/#@t.example",
         False),
        (Cloud.US_GOVERNMENT, "https://portal.office365.us", "https://portal.azure.us/#@t.example", False),
        (Cloud.GERMANY, "https://portal.office.de", "https://portal.microsoftazure.de/#@t.example", True),
    ],
)
def test_portal_shortcut_per_cloud(cloud, admin, azure, retired):
    tenant = MicrosoftTenantFactory(default_domain="t.example", customer__marketplace__instance__cloud=cloud)

    shortcut = portal_shortcut(tenant)

    assert (shortcut.admin_url, shortcut.azure_url, shortcut.retired) == (admin, azure, retired)


def test_simulator_bound_instance_keeps_its_cloud_portals(pc):
    """Endpoint overrides (the simulator) change where the API is, not where the customer's portal is."""
    tenant = MicrosoftTenantFactory(customer__marketplace__instance=pc, default_domain="x.example")
    assert portal_shortcut(tenant).admin_url == "https://admin.microsoft.com"


def _panel(client, customer):
    response = client.get(reverse("workspace:panel", args=[customer.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_panel_lists_tenants_with_portal_links_and_subscriptions(client, world, pc_sim):
    basic = record(world.tenant, world.seeded["sub_business_basic_new"])
    azure = record(world.tenant, world.seeded["sub_azure_plan"])
    entitlement = azure.azure_entitlements.first()
    china = PartnerCenterInstanceFactory(cloud=Cloud.CHINA_21VIANET)
    MicrosoftTenantFactory(customer=world.customer, instance=china, default_domain="northwind.partner.onmschina.cn")
    germany = PartnerCenterInstanceFactory(cloud=Cloud.GERMANY, is_retired=True)
    MicrosoftTenantFactory(customer=world.customer, instance=germany, default_domain="northwind.onmicrosoft.de")
    client.force_login(world.customer_user)

    page = _panel(client, world.customer)

    assert 'href="https://admin.microsoft.com"' in page
    assert 'href="https://portal.azure.com/#@northwindtraders.onmicrosoft.com"' in page  # Azure plan tenant
    assert (f'href="https://portal.azure.com/#@northwindtraders.onmicrosoft.com/resource/subscriptions/'
            f'{entitlement.pc_entitlement_id}/overview"') in page
    assert 'href="https://portal.partner.microsoftonline.cn"' in page
    assert 'href="https://portal.azure.cn' not in page  # no Azure plan in that tenant
    assert "Retired cloud." in page and 'href="https://portal.office.de"' not in page
    assert reverse("workspace:subscription", args=[basic.pk]) in page
    for column in ("Qty", "Term", "Billing", "Status", "Auto-renew", "Commitment end", "Cancellable until"):
        assert f"<th>{column}</th>" in page
    assert f"{basic.cancellation_allowed_until:%Y-%m-%d %H:%M} UTC" in page
    assert f"{basic.commitment_end_date:%Y-%m-%d}" in page
    assert "Order for this customer" not in page  # the reseller's extras are not the customer's


def test_reseller_opens_a_customer_panel_with_its_extra_actions(client, world):
    client.force_login(world.reseller_user)

    page = _panel(client, world.customer)

    assert "Order for this customer" in page
    assert "Upcoming renewals" in page


def test_reseller_list_search_and_filter(client, world):
    SubscriptionFactory(tenant=world.tenant, name="Microsoft 365 E3")
    second = CustomerFactory(reseller=world.customer.reseller, marketplace=world.customer.marketplace,
                             company_name="Alpine Ski House", status="suspended")
    client.force_login(world.reseller_user)
    url = reverse("workspace:list")

    everything = client.get(url).content.decode()
    searched = client.get(url, {"q": "alpine"}).content.decode()
    by_domain = client.get(url, {"q": "northwindtraders"}).content.decode()
    suspended = client.get(url, {"status": "suspended"}).content.decode()

    assert "Northwind Traders" in everything and "Alpine Ski House" in everything
    assert "Tailwind Toys" not in everything  # another reseller's customer
    assert "Alpine Ski House" in searched and "Northwind Traders" not in searched
    assert "Northwind Traders" in by_domain and "Alpine Ski House" not in by_domain
    assert "Alpine Ski House" in suspended and "Northwind Traders" not in suspended
    assert reverse("workspace:panel", args=[second.pk]) in everything


def test_customer_user_lands_on_its_own_panel(client, world):
    client.force_login(world.customer_user)
    response = client.get(reverse("workspace:list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("workspace:panel", args=[world.customer.pk])


# --- authorization matrix -------------------------------------------------------------------------------------------


@pytest.fixture
def target(world):
    """Northwind's subscription (the customer of world.reseller_user)."""
    return SubscriptionFactory(tenant=world.tenant, name="Microsoft 365 Business Premium", quantity=7)


def _urls(world, target):
    return [
        ("get", reverse("workspace:panel", args=[world.customer.pk]), {}),
        ("get", reverse("workspace:subscription", args=[target.pk]), {}),
        ("post", reverse("workspace:subscription_action", args=[target.pk, "quantity"]), {"quantity": 9}),
        ("post", reverse("workspace:subscription_action", args=[target.pk, "extra_licences"]), {"additional": 1}),
        ("post", reverse("workspace:subscription_action", args=[target.pk, "suspend"]), {}),
        ("post", reverse("workspace:subscription_action", args=[target.pk, "auto_renew"]), {"enabled": "off"}),
        ("post", reverse("workspace:subscription_action", args=[target.pk, "cancel"]), {}),
    ]


def _unchanged(target):
    fresh = Subscription.objects.get(pk=target.pk)
    assert (fresh.quantity, fresh.status, fresh.auto_renew) == (7, "active", True)
    assert not ProvisioningOperation.objects.filter(subscription=target).exists()


def test_anonymous_is_sent_to_sign_in(client, world, target):
    for method, url, data in [*_urls(world, target), ("get", reverse("workspace:list"), {}),
                              ("get", reverse("workspace:renewals"), {})]:
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, url
        assert reverse("login") in response["Location"]
    _unchanged(target)


@pytest.mark.parametrize("who", ["other_customer_user", "other_reseller_user", "foreign_customer_same_reseller"])
def test_foreign_users_get_404_and_nothing_changes(client, world, target, who):
    if who == "foreign_customer_same_reseller":
        user = CustomerUserFactory(customer=CustomerFactory(reseller=world.customer.reseller,
                                                            marketplace=world.customer.marketplace))
    else:
        user = getattr(world, who)
    client.force_login(user)

    for method, url, data in _urls(world, target):
        assert getattr(client, method)(url, data).status_code == 404, url
    _unchanged(target)


def test_other_reseller_lists_and_renewals_do_not_show_foreign_customers(client, world, target):
    target.commitment_end_date = target.created_at.date()
    target.save(update_fields=["commitment_end_date"])
    client.force_login(world.other_reseller_user)

    listing = client.get(reverse("workspace:list")).content.decode()
    renewals = client.get(reverse("workspace:renewals")).content.decode()

    assert "Northwind Traders" not in listing and "Tailwind Toys" in listing
    assert "Microsoft 365 Business Premium" not in renewals


def test_staff_sees_every_workspace(client, world, target):
    client.force_login(StaffUserFactory())
    assert client.get(reverse("workspace:panel", args=[world.customer.pk])).status_code == 200
    listing = client.get(reverse("workspace:list")).content.decode()
    assert "Northwind Traders" in listing and "Tailwind Toys" in listing


def test_reseller_user_without_reseller_scope_and_unknown_action(client, world, target):
    client.force_login(world.reseller_user)
    assert client.post(reverse("workspace:subscription_action", args=[target.pk, "delete_everything"])).status_code \
        == 404
    assert client.get(reverse("workspace:subscription_action", args=[target.pk, "cancel"])).status_code == 405
    client.force_login(ResellerUserFactory())
    assert client.get(reverse("workspace:subscription", args=[target.pk])).status_code == 404
    _unchanged(target)
