"""The only Django <-> Partner Center client glue: builds clients from instance records.

Clients are cached per instance and rebuilt when the instance's settings change (its `updated_at`), so every
worker thread reuses one token cache, one connection pool and one rate budget per instance. Nothing else in
the project reads Partner Center credentials.
"""

import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import redis
import urllib3
from django.conf import settings
from django.db import connection

from bss.choices import Cloud
from bss.models import PartnerCenterInstance
from partnercenter import clouds, errors
from partnercenter.client import PartnerCenterClient
from partnercenter.ratelimit import DEFAULT_BUDGETS, Budget, RateLimiter, RedisTokenBucketLimiter, TokenBucketLimiter

_lock = threading.Lock()
_clients: dict[int, tuple[object, PartnerCenterClient]] = {}


def cloud_for_instance(instance: PartnerCenterInstance) -> clouds.CloudInstance:
    """The instance's cloud preset, with its endpoint overrides (custom clouds, or a preset pointed elsewhere)."""
    base = clouds.GLOBAL if instance.cloud == Cloud.CUSTOM else clouds.get_cloud(instance.cloud)
    if not (instance.api_base_url or instance.login_authority_url or instance.price_sheet_base_url):
        return base
    return clouds.custom(
        name=base.name if instance.cloud != Cloud.CUSTOM else "custom",
        base=base,
        api_base_url=instance.api_base_url or base.api_base_url,
        authority_host=instance.login_authority_url or base.authority_host,
        price_sheet_base_url=instance.price_sheet_base_url or instance.api_base_url or base.price_sheet_base_url,
    )


def _budgets() -> dict[str, Budget]:
    """partnercenter's published budgets, with PARTNER_CENTER_RATE_LIMITS ("family=per_minute,...") over them."""
    budgets = dict(DEFAULT_BUDGETS)
    for item in (settings.PARTNER_CENTER_RATE_LIMITS or "").split(","):
        family, _, per_minute = item.partition("=")
        if family.strip() and per_minute.strip():
            budgets[family.strip().lower()] = Budget(int(per_minute))
    return budgets


@lru_cache(maxsize=1)
def _shared_rate_limiter() -> RateLimiter:
    url = settings.PARTNER_CENTER_RATE_LIMIT_REDIS_URL
    if url:
        # Instance ids are unique within one database only: deployments (and test databases) sharing a Redis
        # must not share budgets.
        database = connection.settings_dict["NAME"]
        return RedisTokenBucketLimiter(
            redis.Redis.from_url(url), _budgets(), key_prefix=f"cspbss:{database}:pc-ratelimit"
        )
    return TokenBucketLimiter(_budgets())


def _rotated_refresh_token_saver(instance_id: int) -> Callable[[str], None]:
    def save(refresh_token: str) -> None:
        from bss.services.instances import instance_store_rotated_refresh_token

        instance_store_rotated_refresh_token(instance_id=instance_id, refresh_token=refresh_token)

    return save


def build_client(instance: PartnerCenterInstance) -> PartnerCenterClient:
    """A new client for the instance (use `get_client` to share one)."""
    if not instance.application_id or not instance.application_secret:
        raise errors.ConfigurationError(
            f"Partner Center instance {instance.name!r} has no application id or secret; "
            "set them in BSS Setup > Microsoft Cloud Services."
        )
    return PartnerCenterClient.for_cloud(
        cloud_for_instance(instance),
        tenant_id=instance.partner_tenant_id,
        client_id=instance.application_id,
        client_secret=instance.application_secret,
        refresh_token=instance.refresh_token or None,
        on_refresh_token_rotated=_rotated_refresh_token_saver(instance.pk),
        ca_bundle=settings.PARTNER_CENTER_CA_BUNDLE or None,
        instance_key=f"instance-{instance.pk}",
        timeout=(5.0, settings.PARTNER_CENTER_TIMEOUT_SECONDS),
        max_retries=settings.PARTNER_CENTER_MAX_RETRIES,
        rate_limiter=_shared_rate_limiter(),
    )


def get_client(instance: PartnerCenterInstance) -> PartnerCenterClient:
    """The shared client of an instance, rebuilt when the instance's settings have changed since it was built."""
    version = (instance.updated_at, instance.secrets_changed_at)
    with _lock:
        cached = _clients.get(instance.pk)
        if cached is not None and cached[0] == version:
            return cached[1]
    client = build_client(instance)
    with _lock:
        _clients[instance.pk] = (version, client)
    return client


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str


def instance_test_connection(instance: PartnerCenterInstance) -> ConnectionCheck:
    """Check every token a sync uses, each with one harmless call: app-only and App+User on the Partner Center
    API, App+User on the Partner API (price sheets, its own audience). A failure reads as a sentence naming the
    likely cause (`connection_error_sentence`)."""
    cloud = cloud_for_instance(instance)
    try:
        client = build_client(instance)
        check = client.test_connection()
        summary = f"App-only token accepted by {check.api_base_url} ({check.duration_ms:.0f} ms)."
        if instance.refresh_token:
            user_check = client.test_connection(app_user=True)
            summary += f" App+User token accepted ({user_check.duration_ms:.0f} ms)."
        else:
            summary += " No App+User refresh token: agreements, relationship links and price sheets will not work."
    except errors.PartnerCenterError as exc:
        return ConnectionCheck(False, connection_error_sentence(exc, cloud=cloud))
    if instance.refresh_token and cloud.price_sheet_base_url:
        try:
            started = time.monotonic()
            rows = client.price_sheets.iter_rows(market=instance.default_market or "US")
            try:
                next(rows, None)  # the first row is enough: the token was accepted
            finally:
                close = getattr(rows, "close", None)  # a generator: closing it releases the streamed download
                if close is not None:
                    close()
            summary += (
                f" Price-sheet token accepted by {cloud.price_sheet_base_url} "
                f"({(time.monotonic() - started) * 1000:.0f} ms)."
            )
        except errors.PartnerCenterError as exc:
            return ConnectionCheck(
                False,
                f"The Partner Center API accepted both tokens, but reading a price sheet failed: "
                f"{connection_error_sentence(exc, cloud=cloud, host=cloud.price_sheet_base_url)}",
            )
    prefix = f"{cloud.name}: a retired cloud, read-only (no new orders). " if cloud.retired else ""
    return ConnectionCheck(True, f"{prefix}Connected. {summary}")


# Entra ID (AADSTS) error codes -> the setting an admin should look at.
_AADSTS_CAUSES: dict[str, str] = {
    "90002": "the partner tenant id is not known to this cloud's login service: check the tenant id and that the "
    "instance uses the partner's cloud",
    "900023": "the partner tenant id is not valid: check the tenant id",
    "700016": "the application id is not registered in the partner tenant: check the application id",
    "7000215": "the application secret is wrong: check the secret (the secret's value, not its id)",
    "7000222": "the application secret has expired: create a new one in Entra ID and save it here",
    "65001": "the application lacks consent: an admin of the partner tenant must consent to it "
    "(Partner Center > App management)",
    "700082": "the App+User refresh token has expired: sign in again to get a new one (consent)",
    "70008": "the App+User refresh token has expired: sign in again to get a new one (consent)",
    "50173": "the App+User refresh token was revoked (password change): sign in again to get a new one (consent)",
}


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything it was raised from or wraps (requests -> urllib3 -> socket/ssl)."""
    seen: list[BaseException] = []
    pending: list[BaseException] = [exc]
    while pending and len(seen) < 20:
        current = pending.pop()
        if any(current is known for known in seen):
            continue
        seen.append(current)
        for linked in (current.__cause__, current.__context__, getattr(current, "reason", None), *current.args):
            if isinstance(linked, BaseException):
                pending.append(linked)
    return seen


def _network_cause(exc: errors.PartnerCenterError) -> str | None:
    chain = _causes(exc)
    text = " ".join(f"{type(e).__name__}: {e}" for e in chain)
    if any(isinstance(e, socket.gaierror | urllib3.exceptions.NameResolutionError) for e in chain) or (
        "NameResolutionError" in text or "Name or service not known" in text or "getaddrinfo failed" in text
    ):
        return "dns"
    if any(isinstance(e, ssl.SSLError | urllib3.exceptions.SSLError) for e in chain) or "SSLError" in text:
        return "tls"
    timeouts = (isinstance(e, urllib3.exceptions.TimeoutError) for e in chain)
    if isinstance(exc, errors.RequestTimeoutError) or any(timeouts):
        return "timeout"
    if isinstance(exc, errors.TransportError) or any(
        isinstance(e, urllib3.exceptions.HTTPError | ConnectionError) for e in chain
    ):
        return "connection"
    return None


def _host(url: str | None) -> str:
    return urlsplit(url or "").hostname or (url or "the server")


def connection_error_sentence(
    exc: errors.PartnerCenterError, *, cloud: clouds.CloudInstance, host: str | None = None
) -> str:
    """The one place the client's typed errors become a sentence for an admin that names the likely cause (DNS,
    TLS, credentials, consent, audience, permissions), never a raw exception."""
    if isinstance(exc, errors.ConfigurationError):
        return exc.message.rstrip(".") + "."
    is_login = isinstance(exc, errors.TokenAcquisitionError)
    target = _host(cloud.authority_host) if is_login else _host(host or cloud.api_base_url)
    service = "the login service (Microsoft Entra ID)" if is_login else "Partner Center"
    retired = (
        f" This cloud ({cloud.name}) is retired: Microsoft no longer runs its services; keep the instance "
        "read-only for its history." if cloud.retired else ""
    )
    network = _network_cause(exc) if isinstance(exc, errors.TokenAcquisitionError | errors.TransportError) else None
    if network == "dns":
        return (
            f"Could not reach {service}: the host name {target} does not resolve (DNS). Check the cloud's "
            f"endpoints and this server's DNS; the credentials were not tried.{retired}"
        )
    if network == "tls":
        return (
            f"Could not reach {service} at {target}: the TLS certificate was not trusted or the TLS handshake "
            "failed. Check the CA bundle (PARTNER_CENTER_CA_BUNDLE) or an intercepting proxy; the credentials were "
            f"not tried.{retired}"
        )
    if network == "timeout":
        return (
            f"{service[0].upper()}{service[1:]} at {target} did not answer in time. Check the network, firewall "
            f"or proxy between this server and {target}, then try again.{retired}"
        )
    if network == "connection":
        return (
            f"Could not connect to {service} at {target} (connection refused or reset). Check the endpoint URL and "
            f"the network, firewall or proxy; the credentials were not tried.{retired}"
        )
    detail = (exc.description or exc.message or "").strip()
    if is_login:
        for code, cause in _AADSTS_CAUSES.items():
            if f"AADSTS{code}:" in detail or f"AADSTS{code} " in detail:
                return f"Signing in to Microsoft Entra ID failed: {cause}."
        if exc.error_name == "invalid_grant":
            return (
                "Signing in to Microsoft Entra ID failed: the App+User refresh token was refused; sign in again to "
                "get a new one (consent)."
            )
        if exc.error_name == "invalid_client":
            return "Signing in to Microsoft Entra ID failed: check the application id and secret."
        first = detail.split(" Trace ID:")[0].rstrip(".")
        return (
            f"Signing in to Microsoft Entra ID failed ({first or 'no reason given'}). Check the partner tenant id, "
            "application id and secret."
        )
    if isinstance(exc, errors.AuthenticationError):
        if "audience" in detail.lower():
            return (
                f"Partner Center at {target} refused the token for its audience ({detail.rstrip('.')}). The cloud's "
                "token audience does not match this host: check the cloud and its endpoints."
            )
        return f"Partner Center at {target} refused the token (HTTP 401): {detail.rstrip('.') or 'no reason given'}."
    if isinstance(exc, errors.PermissionDeniedError):
        return (
            f"Partner Center denied access (HTTP 403{f', code {exc.code}' if exc.code else ''}): check that the "
            "application is registered in Partner Center > App management and that the partner user behind the "
            "refresh token has the Admin agent role."
        )
    return f"Partner Center answered with an error: {pc_error_message(exc).rstrip('.')}."


def pc_error_message(exc: errors.PartnerCenterError, *, limit: int = 500) -> str:
    """Partner Center's error in one line for people and logs, the same everywhere (operations, checks, imports):
    its description, then what identifies it: `... (Partner Center code 900214, HTTP 400, correlation id ...)`."""
    facts = [
        f"Partner Center code {exc.code}" if exc.code is not None else "",
        f"HTTP {exc.http_status}" if exc.http_status else "",
        f"correlation id {exc.correlation_id}" if exc.correlation_id else "",
    ]
    listed = ", ".join(fact for fact in facts if fact)
    text = (exc.description or exc.message or type(exc).__name__).strip()
    return (f"{text} ({listed})" if listed else text)[:limit]
