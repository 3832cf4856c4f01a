"""What a new user looks for and could not find, or got stuck in: the admin for a non-staff user, the tenant
reseller's marketplace address, the API-keys page, the README's price-list address, the favicon.

Plain test-client tests: each is one request and its answer (a browser adds nothing)."""

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from bss.choices import ResellerKind
from tests.factories.bss import (
    CustomerUserFactory,
    MarketplaceFactory,
    PartnerCenterInstanceFactory,
    ProviderFactory,
    ResellerFactory,
    ResellerUserFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant_reseller():
    reseller = ResellerFactory(name="Alpine", kind=ResellerKind.TENANT, parent=ProviderFactory())
    MarketplaceFactory(owner=reseller, name="Alpine Cloud", slug="alpine", instance=PartnerCenterInstanceFactory(),
                       market="US", currency="USD")
    return reseller


def _follow_without_looping(client: Client, url: str, limit: int = 10):
    """Follow redirects by hand; a loop shows as visiting the same address twice."""
    seen: list[str] = []
    response = client.get(url)
    while response.status_code in (301, 302) and len(seen) < limit:
        seen.append(url)
        url = response["Location"]
        assert url not in seen, f"redirect loop: {[*seen, url]}"
        response = client.get(url)
    return response, seen


@pytest.mark.parametrize("make_user", [ResellerUserFactory, CustomerUserFactory], ids=["reseller", "customer"])
def test_admin_answers_a_signed_in_user_who_is_not_staff_once(client, make_user):
    client.force_login(make_user())
    response, hops = _follow_without_looping(client, "/admin/")
    assert response.status_code == 404
    assert len(hops) <= 2


def test_admin_still_sends_a_signed_out_visitor_to_the_two_step_sign_in(client):
    response, _ = _follow_without_looping(client, "/admin/")
    assert response.status_code == 200 and b'name="password"' in response.content


def test_the_tenant_reseller_admin_sees_the_marketplace_address_on_the_price_list(client, tenant_reseller):
    client.force_login(ResellerUserFactory(reseller=tenant_reseller, is_reseller_admin=True))
    body = client.get(reverse("tier2:price_list")).content.decode()
    assert "http://testserver/m/alpine/" in body


def test_the_back_office_reseller_page_shows_the_marketplace_address(client, tenant_reseller):
    client.force_login(StaffUserFactory(is_superuser=True))
    body = client.get(reverse("backoffice:reseller_detail", args=[tenant_reseller.pk])).content.decode()
    assert 'href="/m/alpine/"' in body and "http://testserver/m/alpine/" in body


def test_reseller_admins_find_api_keys_in_the_navigation(client):
    admin = ResellerUserFactory(is_reseller_admin=True)
    client.force_login(admin)
    nav = client.get(reverse("storefront:catalog")).content.decode().split("</nav>")[0]
    assert f'href="{reverse("api_keys")}"' in nav
    assert client.get(reverse("api_keys")).status_code == 200
    client.force_login(ResellerUserFactory(reseller=admin.reseller))
    nav = client.get(reverse("storefront:catalog")).content.decode().split("</nav>")[0]
    assert reverse("api_keys") not in nav


def test_every_address_the_readme_names_for_resellers_answers(client, tenant_reseller):
    text = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")
    assert "`/store/reseller/`" not in text and "`/store/reseller/price-list/`" in text
    client.force_login(ResellerUserFactory(reseller=tenant_reseller, is_reseller_admin=True))
    assert client.get("/store/reseller/price-list/").status_code == 200


def test_favicon_is_served_and_linked(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith(".svg")
    assert finders.find("favicon.svg")
    client.force_login(StaffUserFactory())
    assert 'rel="icon"' in client.get(reverse("security:account")).content.decode()
