"""BSS Setup > Microsoft Cloud Services: instances, write-only secrets, annual switches, permissions."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from bss.models import AuditEvent, Marketplace, PartnerCenterInstance
from tests.factories.bss import MarketplaceFactory, PartnerCenterInstanceFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def _staff_with(*codenames: str):
    user = StaffUserFactory()
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="bss", codename__in=codenames))
    return user


@pytest.fixture
def admin_staff():
    return _staff_with(
        "view_partnercenterinstance", "change_partnercenterinstance", "add_partnercenterinstance", "change_marketplace"
    )


VALID = {
    "name": "Contoso EU",
    "cloud": "global",
    "partner_tenant_id": "11111111-2222-3333-4444-555555555555",
    "partner_id": "1234567",
    "csp_model": "indirect_provider",
    "application_id": "app-123",
    "application_secret": "super-secret-value",
    "refresh_token": "refresh-token-value",
    "default_market": "gb",
    "default_currency": "gbp",
    "markets": "de, fr",
    "is_active": "on",
}


def test_admin_adds_an_instance_and_secrets_are_never_shown_again(client, admin_staff):
    client.force_login(admin_staff)
    response = client.post(reverse("backoffice:cloud_services_create"), VALID)
    assert response.status_code == 302

    instance = PartnerCenterInstance.objects.get(name="Contoso EU")
    assert (instance.default_market, instance.default_currency, instance.markets) == ("GB", "GBP", ["DE", "FR"])
    assert instance.application_secret == "super-secret-value" and instance.secrets_changed_at is not None

    listing = client.get(reverse("backoffice:cloud_services")).content.decode()
    edit = client.get(reverse("backoffice:cloud_services_edit", args=[instance.pk])).content.decode()
    for page in (listing, edit):
        assert "super-secret-value" not in page and "refresh-token-value" not in page
    assert "set" in listing

    event = AuditEvent.objects.get(action="partner_center_instance.create")
    assert event.after["application_secret"] == "set"
    assert "super-secret-value" not in str(event.after)


def test_blank_secret_keeps_the_stored_one_and_clear_removes_it(client, admin_staff):
    instance = PartnerCenterInstanceFactory(application_id="a", application_secret="keep-me", refresh_token="rt")
    client.force_login(admin_staff)
    form = {**VALID, "name": instance.name, "application_secret": "", "refresh_token": "", "clear_refresh_token": "on"}
    assert client.post(reverse("backoffice:cloud_services_edit", args=[instance.pk]), form).status_code == 302
    instance.refresh_from_db()
    assert instance.application_secret == "keep-me" and instance.refresh_token == ""


def test_bad_input_re_renders_with_messages_and_saves_nothing(client, admin_staff):
    client.force_login(admin_staff)
    bad = {**VALID, "default_currency": "US$", "markets": "DE, Germany", "cloud": "custom"}
    response = client.post(reverse("backoffice:cloud_services_create"), bad)
    body = response.content.decode()
    assert response.status_code == 200
    assert "three-letter ISO 4217" in body
    assert "Not a two-letter country code: GERMANY" in body
    assert "A custom cloud needs both the API base URL and the login authority URL" in body
    assert 'value="Contoso EU"' in body  # what the admin typed is kept
    assert not PartnerCenterInstance.objects.exists()


def test_staff_without_permission_cannot_see_or_change_instances(client):
    instance = PartnerCenterInstanceFactory(name="Untouched")
    client.force_login(StaffUserFactory())
    assert client.get(reverse("backoffice:cloud_services")).status_code == 404
    response = client.post(reverse("backoffice:cloud_services_edit", args=[instance.pk]), {**VALID, "name": "Hacked"})
    assert response.status_code == 404
    assert PartnerCenterInstance.objects.get(pk=instance.pk).name == "Untouched"
    viewer = _staff_with("view_partnercenterinstance")
    client.force_login(viewer)
    assert client.get(reverse("backoffice:cloud_services")).status_code == 200
    assert client.post(reverse("backoffice:cloud_services_test", args=[instance.pk])).status_code == 404


def test_annual_billing_switch_per_marketplace_is_audited(client, admin_staff):
    marketplace = MarketplaceFactory(annual_billing_enabled=True)
    client.force_login(admin_staff)
    client.post(reverse("backoffice:marketplace_annual_billing", args=[marketplace.pk]), {})
    assert Marketplace.objects.get(pk=marketplace.pk).annual_billing_enabled is False
    event = AuditEvent.objects.get(action="marketplace.annual_billing")
    assert event.before == {"annual_billing_enabled": True} and event.after == {"annual_billing_enabled": False}


def test_test_connection_explains_missing_credentials(client, admin_staff):
    instance = PartnerCenterInstanceFactory(application_id="", application_secret="")
    client.force_login(admin_staff)
    response = client.post(reverse("backoffice:cloud_services_test", args=[instance.pk]), follow=True)
    assert "has no application id or secret" in response.content.decode()


def test_test_connection_succeeds_against_partner_center(client, admin_staff, sim_instance, pc_sim):
    client.force_login(admin_staff)
    response = client.post(reverse("backoffice:cloud_services_test", args=[sim_instance.pk]), follow=True)
    body = response.content.decode()
    assert "Connected. App-only token accepted" in body and "App+User token accepted" in body
    paths = [entry["path"] for entry in pc_sim.control.requests()]
    assert any(path.endswith("/oauth2/v2.0/token") for path in paths) and "/v1/customers" in paths


def test_test_connection_explains_an_unknown_partner_tenant(client, admin_staff, sim_instance):
    PartnerCenterInstance.objects.filter(pk=sim_instance.pk).update(
        partner_tenant_id="00000000-0000-0000-0000-00000000dead"
    )
    client.force_login(admin_staff)
    response = client.post(reverse("backoffice:cloud_services_test", args=[sim_instance.pk]), follow=True)
    assert "Signing in to Microsoft Entra ID failed" in response.content.decode()
