"""A stand-in for the Entra ID (Azure AD) authority and the bearer-token checks of the API.

Issues JWT-shaped HS256 tokens signed with a per-process secret. Token lifetimes are measured on the wall
clock, not the simulated clock, so advancing simulated time never invalidates a client's cached token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from .state import PARTNER_API_AUDIENCE, PartnerAccount, SimState

_SECRET = secrets.token_bytes(32)
KNOWN_AUDIENCES = frozenset(
    {"https://api.partnercenter.microsoft.com", "https://partner.partnercenterapi.microsoftonline.cn",
     PARTNER_API_AUDIENCE}
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_jwt(claims: dict[str, Any]) -> str:
    header = _b64(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(_SECRET, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def decode_jwt(token: str) -> dict[str, Any] | None:
    """Claims of a token this process signed, or None when malformed or forged."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    expected = hmac.new(_SECRET, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(expected, _unb64(parts[2])):
            return None
        claims = json.loads(_unb64(parts[1]))
    except (ValueError, json.JSONDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


@dataclass(frozen=True)
class Principal:
    partner: PartnerAccount
    app_only: bool
    app_id: str
    user_id: str | None
    audience: str
    claims: dict[str, Any]


class AuthError(Exception):
    def __init__(self, description: str, *, code: int = 800001) -> None:
        super().__init__(description)
        self.description = description
        self.code = code


def issue_access_token(
    partner: PartnerAccount,
    *,
    audience: str,
    client_id: str,
    user: bool,
    lifetime: int,
    scope: str | None = None,
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "aud": audience,
        "iss": f"https://sts.windows.net/{partner.tenant_id}/",
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "tid": partner.tenant_id,
        "appid": client_id,
        "azp": client_id,
        "ver": "1.0",
        "idtyp": "user" if user else "app",
        "jti": str(uuid.uuid4()),
    }
    if user:
        claims.update(
            oid=partner.user_id,
            upn=partner.user_upn,
            unique_name=partner.user_upn,
            scp=scope or "user_impersonation",
            amr=["pwd", "mfa"],
            roles=[],
        )
    else:
        claims.update(oid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"app:{partner.tenant_id}:{client_id}")), roles=[])
    return encode_jwt(claims)


def issue_refresh_token(partner: PartnerAccount, client_id: str) -> str:
    # Opaque to clients, like Entra's; the simulator accepts any refresh token for a known tenant.
    raw = f"{partner.tenant_id}|{client_id}|{uuid.uuid4()}".encode()
    return "0.SIM." + _b64(raw)


def authenticate(state: SimState, authorization: str | None, *, audiences: set[str] | None = None) -> Principal:
    """Resolve the bearer token of an API call or raise AuthError (rendered as 401)."""
    if not authorization:
        raise AuthError("Partner Token missing in request context", code=800001)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization header must carry a bearer token", code=800001)
    claims = decode_jwt(token.strip())
    if claims is None:
        raise AuthError("Access denied: the token is malformed or its signature is invalid", code=400)
    if int(claims.get("exp", 0)) <= time.time():
        raise AuthError("Access denied: the token has expired", code=400)
    partner = state.partners.get(str(claims.get("tid", "")))
    if partner is None:
        raise AuthError("Access denied: the token's tenant is not a Partner Center partner", code=400)
    aud = str(claims.get("aud", "")).rstrip("/")
    allowed = audiences if audiences is not None else {partner.audience}
    if aud not in allowed:
        raise AuthError(f"Access denied: invalid token audience '{aud}'", code=400)
    app_only = claims.get("idtyp") != "user"
    return Principal(
        partner=partner,
        app_only=app_only,
        app_id=str(claims.get("appid", "")),
        user_id=None if app_only else str(claims.get("oid")),
        audience=aud,
        claims=claims,
    )


def audience_from_scope(scope: str) -> tuple[str | None, bool]:
    """Map a v2 ``scope`` parameter to (audience, wants_user_impersonation)."""
    audience = None
    user = False
    for item in scope.split():
        if item in ("openid", "profile", "offline_access", "email"):
            continue
        base, _, leaf = item.rstrip("/").rpartition("/")
        if not base:
            continue
        audience = base.rstrip("/")
        user = user or leaf.lower() == "user_impersonation"
    return audience, user


def aad_error(error: str, code: int, message: str, *, status: int = 400) -> tuple[int, dict[str, Any]]:
    trace_id = str(uuid.uuid4())
    correlation_id = str(uuid.uuid4())
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    return status, {
        "error": error,
        "error_description": f"AADSTS{code}: {message} Trace ID: {trace_id} Correlation ID: {correlation_id} "
        f"Timestamp: {stamp}",
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }


def token_response(
    state: SimState, tenant: str, form: dict[str, str], *, v1: bool
) -> tuple[int, dict[str, Any]]:
    """The token endpoint (v2 ``/oauth2/v2.0/token`` and v1 ``/oauth2/token``)."""
    partner = state.partner(tenant)
    if partner is None:
        return aad_error(
            "invalid_request", 90002,
            f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing "
            "into the correct cloud.",
        )
    grant = form.get("grant_type", "")
    client_id = form.get("client_id", "")
    if not client_id:
        return aad_error("invalid_request", 900144, "The request body must contain the following parameter: "
                         "'client_id'.")
    if v1:
        audience, user = (form.get("resource") or "").rstrip("/") or None, grant != "client_credentials"
        scope_out = "user_impersonation" if user else ""
    else:
        audience, user = audience_from_scope(form.get("scope", ""))
        scope_out = form.get("scope", "")
        if audience is None:
            return aad_error("invalid_scope", 70011, "The provided request must include a 'scope' input parameter.")
    if audience is None:
        return aad_error("invalid_resource", 500011, "The resource principal was not found in the tenant.")
    if audience not in KNOWN_AUDIENCES:
        # Other Microsoft audiences (Graph, ARM) are accepted as well; the API rejects them as wrong audience.
        pass
    lifetime = state.config.token_lifetime_seconds
    if grant == "client_credentials":
        if not v1 and not scope_out.rstrip().endswith("/.default"):
            return aad_error("invalid_scope", 1002012, f"The provided value for scope {scope_out} is not valid. "
                             "Client credential flows must have a scope value with /.default suffixed to the "
                             "resource identifier (application ID URI).")
        if not (form.get("client_secret") or form.get("client_assertion")):
            return aad_error("invalid_client", 7000216, "'client_assertion', 'client_secret' or 'request' is "
                             "required for the 'client_credentials' grant type.", status=401)
        access = issue_access_token(partner, audience=audience, client_id=client_id, user=False, lifetime=lifetime)
        body: dict[str, Any] = {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                                "access_token": access}
        if v1:
            now = int(time.time())
            body.update(resource=audience, expires_on=str(now + lifetime), not_before=str(now))
        return 200, body
    if grant in ("refresh_token", "authorization_code"):
        if grant == "refresh_token" and not form.get("refresh_token"):
            return aad_error("invalid_request", 900144, "The request body must contain the following parameter: "
                             "'refresh_token'.")
        if grant == "authorization_code" and not form.get("code"):
            return aad_error("invalid_request", 900144, "The request body must contain the following parameter: "
                             "'code'.")
        leaf = "user_impersonation"
        access = issue_access_token(partner, audience=audience, client_id=client_id, user=True,
                                    lifetime=lifetime, scope=leaf)
        client_info = _b64(json.dumps({"uid": partner.user_id, "utid": partner.tenant_id}).encode())
        body = {
            "token_type": "Bearer",
            "scope": f"{audience}/{leaf}" if not v1 else leaf,
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access,
            "refresh_token": issue_refresh_token(partner, client_id),
        }
        if not v1:
            body["client_info"] = client_info
        else:
            body.update(resource=audience, expires_on=str(int(time.time()) + lifetime))
        return 200, body
    return aad_error("unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant}'.")


def openid_configuration(base: str, tenant: str, tenant_id: str, *, v2: bool) -> dict[str, Any]:
    prefix = f"{base}/{tenant}"
    version = "/v2.0" if v2 else ""
    return {
        "token_endpoint": f"{prefix}/oauth2{version}/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{base}/{tenant}/discovery{version}/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/{tenant_id}{version}",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "authorization_endpoint": f"{prefix}/oauth2{version}/authorize",
        "device_authorization_endpoint": f"{prefix}/oauth2{version}/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{prefix}/oauth2{version}/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid", "oid", "upn"],
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    }
