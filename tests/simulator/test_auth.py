"""Token endpoint with real MSAL, and bearer-token checks on API calls."""

import msal
import pytest
import requests

from partnercenter.simulator.testing import PC_SCOPE, PC_USER_SCOPE, SimulatorHandle


def msal_app(sim: SimulatorHandle, tenant: str) -> msal.ConfidentialClientApplication:
    http = requests.Session()
    http.trust_env = False
    http.verify = sim.ca_bundle
    return msal.ConfidentialClientApplication(
        "any-client-id", client_credential="any-secret", authority=sim.authority(tenant),
        validate_authority=False, instance_discovery=False, http_client=http,
    )


def test_msal_client_credentials_then_refresh_token(pc_sim: SimulatorHandle) -> None:
    app = msal_app(pc_sim, pc_sim.partners.direct.tenant_id)

    app_token = app.acquire_token_for_client(scopes=[PC_SCOPE])
    user_token = app.acquire_token_by_refresh_token("stored-refresh-token", scopes=[PC_USER_SCOPE])

    assert app_token["token_type"] == "Bearer"
    assert user_token["refresh_token"]
    session = pc_sim.session()
    link = f"{pc_sim.base_url}/v1/customers/relationshiprequests"
    app_only = session.get(link, headers={"Authorization": f"Bearer {app_token['access_token']}"})
    as_user = session.get(link, headers={"Authorization": f"Bearer {user_token['access_token']}"})
    assert (app_only.status_code, app_only.json()["code"]) == (403, 900329)
    assert as_user.status_code == 200
    customers = session.get(f"{pc_sim.base_url}/v1/customers",
                            headers={"Authorization": f"Bearer {app_token['access_token']}"})
    assert customers.status_code == 200


def test_msal_accepts_the_partner_domain_as_tenant(pc_sim: SimulatorHandle) -> None:
    app = msal_app(pc_sim, pc_sim.partners.direct.domain)

    assert "access_token" in app.acquire_token_for_client(scopes=[PC_SCOPE])


def test_unknown_tenant_fails_discovery(pc_sim: SimulatorHandle) -> None:
    with pytest.raises(ValueError, match="Unable to get authority configuration"):
        msal_app(pc_sim, "unknown-tenant.onmicrosoft.com")


def test_v1_token_endpoint(pc_sim: SimulatorHandle) -> None:
    response = pc_sim.session().post(
        f"{pc_sim.base_url}/{pc_sim.partners.direct.tenant_id}/oauth2/token",
        data={"grant_type": "refresh_token", "client_id": "x", "client_secret": "y", "refresh_token": "r",
              "resource": "https://api.partnercenter.microsoft.com"},
    )

    assert response.status_code == 200
    assert response.json()["resource"] == "https://api.partnercenter.microsoft.com"


@pytest.mark.parametrize(
    ("_case", "header"),
    [
        ("missing", None),
        ("garbage", "Bearer not-a-jwt"),
        ("wrong scheme", "Basic abc"),
    ],
)
def test_bad_tokens_get_401_with_www_authenticate(pc_sim: SimulatorHandle, _case: str, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}

    response = pc_sim.session().get(f"{pc_sim.base_url}/v1/customers", headers=headers)

    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


def test_expired_and_wrong_audience_tokens_get_401(pc_sim: SimulatorHandle) -> None:
    tenant = pc_sim.partners.direct.tenant_id
    expired = pc_sim.control.token(tenant, lifetime_seconds=-10)
    graph = pc_sim.control.token(tenant, audience="https://graph.windows.net")
    session = pc_sim.session()

    for token in (expired, graph):
        response = session.get(f"{pc_sim.base_url}/v1/customers", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


def test_china_partner_needs_the_china_audience(pc_sim: SimulatorHandle) -> None:
    tenant = pc_sim.partners.china.tenant_id
    session = pc_sim.session()
    global_token = pc_sim.control.token(tenant, audience="https://api.partnercenter.microsoft.com")
    china_token = pc_sim.control.token(tenant, audience="https://partner.partnercenterapi.microsoftonline.cn")

    wrong = session.get(f"{pc_sim.base_url}/v1/customers", headers={"Authorization": f"Bearer {global_token}"})
    right = session.get(f"{pc_sim.base_url}/v1/customers", headers={"Authorization": f"Bearer {china_token}"})

    assert (wrong.status_code, right.status_code) == (401, 200)
