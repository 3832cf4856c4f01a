from __future__ import annotations

from typing import cast
from urllib.parse import parse_qs

import pytest
import responses

from partnercenter import (
    AppOnlyTokenProvider,
    AppUserTokenProvider,
    PartnerCenterClient,
    TokenAcquisitionError,
    clouds,
)

AUTHORITY = "https://login.sim.test/partner-tenant"
TOKEN_URL = f"{AUTHORITY}/oauth2/v2.0/token"


def _openid() -> None:
    responses.add(
        responses.GET,
        f"{AUTHORITY}/v2.0/.well-known/openid-configuration",
        json={
            "authorization_endpoint": f"{AUTHORITY}/oauth2/v2.0/authorize",
            "token_endpoint": TOKEN_URL,
            "issuer": f"{AUTHORITY}/v2.0",
        },
    )


def _token(access_token: str, refresh_token: str | None = None, expires_in: int = 3600) -> None:
    body = {"token_type": "Bearer", "access_token": access_token, "expires_in": expires_in}
    if refresh_token:
        body["refresh_token"] = refresh_token
    responses.add(responses.POST, TOKEN_URL, json=body)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@responses.activate
def test_app_only_provider_caches_until_near_expiry():
    _openid()
    _token("at-1")
    _token("at-2")
    clock = Clock()
    provider = AppOnlyTokenProvider(
        client_id="app",
        client_secret="s3cret",
        authority=AUTHORITY,
        scope="https://api.partnercenter.microsoft.com/.default",
        clock=clock,
    )

    assert provider.get_token() == "at-1"
    clock.now = 3000  # still > 5 minutes left
    assert provider.get_token() == "at-1"
    provider.invalidate()
    clock.now = 3400  # within the refresh margin: new token
    assert provider.get_token() == "at-2"

    token_calls = [c for c in responses.calls if c.request.url == TOKEN_URL]
    assert len(token_calls) == 2
    form = parse_qs(cast(str, token_calls[0].request.body))  # a form-encoded token request
    assert form["grant_type"] == ["client_credentials"]
    assert form["scope"] == ["https://api.partnercenter.microsoft.com/.default"]


@responses.activate
def test_app_user_provider_redeems_and_persists_rotated_refresh_token():
    _openid()
    _token("user-at-1", refresh_token="rt-2")
    _token("partner-api-at", refresh_token="rt-3")
    saved: list[str] = []
    provider = AppUserTokenProvider(
        client_id="app",
        client_secret="s3cret",
        authority=AUTHORITY,
        refresh_token="rt-1",
        scope="https://api.partnercenter.microsoft.com/user_impersonation",
        on_refresh_token_rotated=saved.append,
    )

    assert provider.get_token() == "user-at-1"
    price_sheets = provider.with_scope("https://api.partner.microsoft.com/user_impersonation")
    assert price_sheets.get_token() == "partner-api-at"

    assert saved == ["rt-2", "rt-3"]
    assert provider.refresh_token == "rt-3"
    token_calls = [parse_qs(cast(str, c.request.body)) for c in responses.calls if c.request.url == TOKEN_URL]
    assert [f["grant_type"] for f in token_calls] == [["refresh_token"], ["refresh_token"]]
    assert [f["refresh_token"] for f in token_calls] == [["rt-1"], ["rt-2"]]
    assert "https://api.partner.microsoft.com/user_impersonation" in token_calls[1]["scope"][0]


@responses.activate
def test_token_error_is_typed():
    _openid()
    responses.add(
        responses.POST,
        TOKEN_URL,
        status=400,
        json={"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret"},
    )
    provider = AppOnlyTokenProvider(client_id="app", client_secret="wrong", authority=AUTHORITY, scope="x/.default")

    with pytest.raises(TokenAcquisitionError) as info:
        provider.get_token()

    assert info.value.error_name == "invalid_client"
    assert "wrong" not in str(info.value)


def test_building_providers_does_not_touch_the_network():
    client = PartnerCenterClient.for_cloud(
        clouds.GLOBAL, tenant_id="t", client_id="c", client_secret="s", refresh_token="rt"
    )
    assert client.instance_key == "global:t"


@pytest.mark.parametrize(
    ("cloud", "authority", "api", "admin", "azure"),
    [
        (
            clouds.GLOBAL,
            "https://login.microsoftonline.com/t",
            "https://api.partnercenter.microsoft.com",
            "https://admin.microsoft.com",
            "https://portal.azure.com",
        ),
        (
            clouds.US_GOVERNMENT,
            "https://login.microsoftonline.us/t",
            "https://api.partnercenter.microsoft.com",
            "https://portal.office365.us",
            "https://portal.azure.us",
        ),
        (
            clouds.CHINA_21VIANET,
            "https://login.chinacloudapi.cn/t",
            "https://partner.partnercenterapi.microsoftonline.cn",
            "https://portal.partner.microsoftonline.cn",
            "https://portal.azure.cn",
        ),
        (
            clouds.GERMANY,
            "https://login.microsoftonline.de/t",
            "https://api.partnercenter.microsoft.com",
            "https://portal.office.de",
            "https://portal.microsoftazure.de",
        ),
    ],
)
def test_cloud_presets(cloud: clouds.CloudInstance, authority: str, api: str, admin: str, azure: str):
    assert cloud.authority("t") == authority
    assert cloud.api_base_url == api
    assert cloud.app_only_scope == f"{cloud.token_audience}/.default"
    assert cloud.app_user_scope == f"{cloud.token_audience}/user_impersonation"
    assert (cloud.admin_portal_url, cloud.azure_portal_url) == (admin, azure)
    assert clouds.get_cloud(cloud.name) is cloud


def test_custom_cloud_points_everything_at_a_simulator():
    sim = clouds.custom(api_base_url="https://127.0.0.1:8443/", authority_host="https://127.0.0.1:8443")

    assert sim.authority("t") == "https://127.0.0.1:8443/t"
    assert sim.api_base_url == "https://127.0.0.1:8443"
    assert sim.price_sheet_base_url == "https://127.0.0.1:8443"
    assert sim.token_audience == "https://api.partnercenter.microsoft.com"
    assert sim.is_microsoft_authority is False
    assert clouds.GERMANY.retired is True
