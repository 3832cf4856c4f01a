"""The only Django <-> Partner Center client glue: builds clients from instance records.

Clients are cached per instance and rebuilt when the instance's settings change (its `updated_at`), so every
worker thread reuses one token cache, one connection pool and one rate budget per instance. Nothing else in
the project reads Partner Center credentials.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings
from django.db import connection

from bss.choices import Cloud
from bss.models import PartnerCenterInstance
from partnercenter import clouds, errors
from partnercenter.client import PartnerCenterClient
from partnercenter.ratelimit import RateLimiter, RedisTokenBucketLimiter, TokenBucketLimiter

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


@lru_cache(maxsize=1)
def _shared_rate_limiter() -> RateLimiter:
    url = settings.PARTNER_CENTER_RATE_LIMIT_REDIS_URL
    if url:
        # Instance ids are unique within one database only: deployments (and test databases) sharing a Redis
        # must not share budgets.
        database = connection.settings_dict["NAME"]
        return RedisTokenBucketLimiter(redis.Redis.from_url(url), key_prefix=f"cspbss:{database}:pc-ratelimit")
    return TokenBucketLimiter()


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
    """Acquire a token and make one harmless call; explain a failure in plain words."""
    try:
        client = build_client(instance)
        check = client.test_connection()
        summary = f"App-only token accepted by {check.api_base_url} ({check.duration_ms:.0f} ms)."
        if instance.refresh_token:
            user_check = client.test_connection(app_user=True)
            summary += f" App+User token accepted ({user_check.duration_ms:.0f} ms)."
        else:
            summary += " No App+User refresh token: agreements and relationship links will not work."
    except errors.ConfigurationError as exc:
        return ConnectionCheck(False, exc.message)
    except errors.TokenAcquisitionError as exc:
        return ConnectionCheck(
            False,
            "Signing in to Microsoft Entra ID failed: "
            f"{exc.description or exc.message}. Check the partner tenant id, application id and secret.",
        )
    except errors.AuthenticationError as exc:
        return ConnectionCheck(False, f"Partner Center refused the token (HTTP 401): {exc.description or exc.message}")
    except errors.PermissionDeniedError as exc:
        return ConnectionCheck(
            False,
            f"Partner Center denied access (HTTP 403, code {exc.code}): {exc.description or exc.message}. "
            "Is the application registered in Partner Center > App management?",
        )
    except errors.TransportError as exc:
        return ConnectionCheck(False, f"Partner Center could not be reached: {exc.message}")
    except errors.PartnerCenterError as exc:
        return ConnectionCheck(False, f"Partner Center answered with an error: {exc.description or exc.message}")
    return ConnectionCheck(True, f"Connected. {summary}")


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
