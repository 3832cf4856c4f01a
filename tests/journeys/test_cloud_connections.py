"""BSS Setup > Microsoft Cloud Services: each cloud's price-sheet host and audience, a Test connection that checks
every token a catalog sync uses, a retired cloud created read-only, and connection errors told as sentences.

Plain test-client tests against the Partner Center simulator (a browser adds nothing to a message on a page)."""

import socket

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from bss.models import PartnerCenterInstance
from bss.partner_center import build_client, connection_error_sentence
from catalog import services as catalog_services
from partnercenter import clouds, errors
from tests.factories.bss import PartnerCenterInstanceFactory, SimInstanceFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cloud_admin(client):
    user = StaffUserFactory()
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="bss",
        codename__in=["view_partnercenterinstance", "change_partnercenterinstance", "add_partnercenterinstance"],
    ))
    client.force_login(user)
    return user


@pytest.fixture
def china_instance(sim_settings, pc_sim):
    """The 21Vianet preset pointed at the simulator (as the demo does): the simulator's China partner."""
    return SimInstanceFactory(sim=pc_sim, partner=pc_sim.partners.china, cloud="china_21vianet")


def test_every_cloud_has_a_price_sheet_host_and_the_partner_api_audience():
    for cloud in (clouds.GLOBAL, clouds.US_GOVERNMENT, clouds.CHINA_21VIANET):
        assert cloud.price_sheet_base_url == "https://api.partner.microsoft.com"
        assert cloud.price_sheet_scope == "https://api.partner.microsoft.com/user_impersonation"
    pointed = clouds.custom(api_base_url="https://127.0.0.1:1", authority_host="https://127.0.0.1:1",
                            base=clouds.CHINA_21VIANET)
    assert pointed.token_audience == "https://partner.partnercenterapi.microsoftonline.cn"
    assert pointed.price_sheet_audience == "https://api.partner.microsoft.com"


def test_a_21vianet_instance_reads_its_price_sheet(china_instance):
    client = build_client(china_instance)
    first = next(iter(client.price_sheets.iter_rows(market="US")))
    assert first.product_id


def test_a_21vianet_catalog_sync_gets_past_the_price_sheet(china_instance):
    run = catalog_services.catalog_sync_run(instance=china_instance, market="US")
    assert "audience" not in (run.error or "")
    assert run.status == "succeeded", run.error


def test_the_cloud_list_names_each_instances_price_sheet_host(client, cloud_admin):
    PartnerCenterInstanceFactory(name="Litware China", cloud="china_21vianet")
    body = client.get(reverse("backoffice:cloud_services")).content.decode()
    assert "https://partner.partnercenterapi.microsoftonline.cn" in body
    assert "price sheets</span> https://api.partner.microsoft.com" in body


def test_test_connection_checks_the_price_sheet_token_too(client, cloud_admin, sim_instance, pc_sim):
    response = client.post(reverse("backoffice:cloud_services_test", args=[sim_instance.pk]), follow=True)
    body = response.content.decode()
    assert "Connected." in body and "Price-sheet token accepted" in body
    paths = [entry["path"] for entry in pc_sim.control.requests()]
    assert any("/v1.0/sales/pricesheets" in path for path in paths)


def test_the_retired_german_preset_creates_a_read_only_instance(client, cloud_admin):
    form = {
        "name": "Old German tenant", "cloud": "germany", "partner_tenant_id": "11111111-2222-3333-4444-555555555555",
        "partner_id": "1234567", "csp_model": "direct", "application_id": "app", "application_secret": "s",
        "default_market": "DE", "default_currency": "EUR", "markets": "", "is_active": "on",
    }
    assert client.post(reverse("backoffice:cloud_services_create"), form).status_code == 302
    instance = PartnerCenterInstance.objects.get(name="Old German tenant")
    assert instance.is_retired and not instance.accepts_orders
    # Un-ticking "retired" on the edit page does not reopen a retired cloud to orders.
    client.post(reverse("backoffice:cloud_services_edit", args=[instance.pk]), {**form, "is_retired": ""})
    instance.refresh_from_db()
    assert instance.is_retired


def test_test_connection_names_dns_when_the_login_host_does_not_resolve(client, cloud_admin, sim_settings):
    instance = PartnerCenterInstance.objects.create(
        name="Unresolvable", cloud="custom", api_base_url="https://api.no-such-host.invalid",
        login_authority_url="https://login.no-such-host.invalid", partner_tenant_id="t", partner_id="1",
        application_id="a", application_secret="s", default_market="US", default_currency="USD",
    )
    response = client.post(reverse("backoffice:cloud_services_test", args=[instance.pk]), follow=True)
    body = response.content.decode()
    assert "login.no-such-host.invalid" in body and "DNS" in body
    assert "NameResolutionError" not in body and "Error:" not in body
    assert "secret" not in body  # the credentials were never tried


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (errors.TransportError("SSLError: certificate verify failed"), "TLS certificate"),
        (errors.TokenAcquisitionError("token request failed: invalid_client: AADSTS7000215: Invalid client secret",
                                      description="AADSTS7000215: Invalid client secret provided."), "secret"),
        (errors.TokenAcquisitionError("token request failed", description="AADSTS90002: Tenant 'x' not found."),
         "tenant id"),
        (errors.TokenAcquisitionError("token request failed", description="AADSTS65001: The user or administrator "
                                      "has not consented to use the application"), "consent"),
        (errors.PermissionDeniedError("forbidden", http_status=403, code=900329), "App management"),
        (errors.AuthenticationError("Access denied: invalid token audience 'x'", http_status=401), "audience"),
    ],
)
def test_connection_errors_read_as_sentences_naming_the_cause(error, cause):
    sentence = connection_error_sentence(error, cloud=clouds.GLOBAL)
    assert cause in sentence
    assert sentence.endswith(".") and type(error).__name__ not in sentence


def test_the_retired_clouds_unresolvable_login_host_is_explained_not_blamed_on_the_secret():
    # What MSAL meets for login.microsoftonline.de today: a failed DNS lookup (socket.gaierror, inside urllib3's
    # NameResolutionError inside requests' ConnectionError), which the token provider wraps in a
    # TokenAcquisitionError.
    try:
        try:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        except socket.gaierror as dns:
            raise errors.TokenAcquisitionError(
                "could not reach token endpoint https://login.microsoftonline.de/t: ConnectionError: ..."
            ) from dns
    except errors.TokenAcquisitionError as exc:
        sentence = connection_error_sentence(exc, cloud=clouds.GERMANY)
    assert "login.microsoftonline.de does not resolve (DNS)" in sentence
    assert "retired" in sentence and "secret" not in sentence and "NameResolutionError" not in sentence
