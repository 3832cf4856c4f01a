"""``PartnerCenterClient``: one Partner Center instance with its own credentials, tokens, connection pool
and request budget. Any number of clients can live side by side (several partners or clouds)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from ._transport import RetryPolicy, Transport
from .auth import AppOnlyTokenProvider, AppUserTokenProvider, TokenProvider
from .clouds import CloudInstance
from .errors import ConfigurationError
from .ratelimit import RateLimiter
from .resources import (
    AgreementsResource,
    CartsResource,
    CatalogResource,
    CustomersResource,
    InvoicesResource,
    OrdersResource,
    PriceSheetsResource,
    ReconciliationResource,
    SubscriptionsResource,
    UsageResource,
)
from .resources.audit import AuditRecordsResource
from .resources.gdap import GdapResource
from .resources.promotions import PromotionsResource

__all__ = ["ConnectionCheck", "PartnerCenterClient"]


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    api_base_url: str
    duration_ms: float
    app_user: bool


class PartnerCenterClient:
    """Partner Center REST client.

    ``token_provider`` gives app-only tokens (or App+User ones if that is all you have);
    ``user_token_provider`` gives App+User tokens and is used for operations Microsoft documents as App+User
    only (agreements, relationship links, provisioning status, price sheets...). Without it those raise
    :class:`AppUserAuthRequiredError`. ``rate_limiter`` is shared by all clients of the same ``instance_key``
    if it is a :class:`RedisTokenBucketLimiter`.
    """

    def __init__(
        self,
        *,
        api_base_url: str,
        token_provider: TokenProvider,
        user_token_provider: TokenProvider | None = None,
        price_sheet_token_provider: TokenProvider | None = None,
        price_sheet_base_url: str | None = None,
        graph_api_url: str | None = None,
        graph_token_provider: TokenProvider | None = None,
        graph_billing_exports: bool = True,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        max_retries: int = 2,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        max_retry_after: float = 10.0,
        rate_limiter: RateLimiter | None = None,
        instance_key: str = "default",
        session: requests.Session | None = None,
        verify: bool | str = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if isinstance(timeout, int | float):
            timeout = (float(timeout), float(timeout))
        self.instance_key = instance_key
        self._transport = Transport(
            api_base_url=api_base_url,
            token_provider=token_provider,
            user_token_provider=user_token_provider,
            price_sheet_token_provider=price_sheet_token_provider,
            price_sheet_base_url=price_sheet_base_url,
            timeout=timeout,
            retry=RetryPolicy(
                max_retries=max_retries,
                backoff_base=backoff_base,
                backoff_cap=backoff_cap,
                max_retry_after=max_retry_after,
            ),
            rate_limiter=rate_limiter,
            instance_key=instance_key,
            session=session,
            verify=verify,
            sleep=sleep,
        )
        self.customers = CustomersResource(self._transport)
        self.agreements = AgreementsResource(self._transport)
        self.catalog = CatalogResource(self._transport)
        self.price_sheets = PriceSheetsResource(self._transport)
        self.carts = CartsResource(self._transport)
        self.orders = OrdersResource(self._transport)
        self.subscriptions = SubscriptionsResource(self._transport, sleep=sleep)
        self.invoices = InvoicesResource(self._transport)
        self.promotions = PromotionsResource(self._transport)
        self.audit_records = AuditRecordsResource(self._transport)
        self._graph_transport: Transport | None = None
        reason = "no Microsoft Graph credentials were configured"
        if graph_api_url and graph_token_provider is not None:
            self._graph_transport = Transport(
                api_base_url=graph_api_url,
                token_provider=graph_token_provider,
                timeout=timeout,
                retry=self._transport.retry,
                rate_limiter=rate_limiter,
                instance_key=instance_key,
                verify=verify,
                sleep=sleep,
                path_prefix=None,
                header_style="graph",
            )
        elif not graph_api_url:
            reason = "this cloud has no Microsoft Graph"
        self.gdap = GdapResource(self._graph_transport, unavailable_reason=reason)
        if not graph_billing_exports or not graph_api_url:
            reason = "this cloud has no Microsoft Graph partner billing exports (global cloud only)"
        self.reconciliation = ReconciliationResource(
            self._graph_transport if graph_billing_exports else None, sleep=sleep, unavailable_reason=reason)
        self.usage = UsageResource(self.reconciliation)

    @classmethod
    def for_cloud(
        cls,
        cloud: CloudInstance,
        *,
        tenant_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        refresh_token: str | None = None,
        on_refresh_token_rotated: Callable[[str], None] | None = None,
        ca_bundle: str | None = None,
        token_provider: TokenProvider | None = None,
        user_token_provider: TokenProvider | None = None,
        price_sheet_token_provider: TokenProvider | None = None,
        graph_token_provider: TokenProvider | None = None,
        instance_key: str | None = None,
        **kwargs: Any,
    ) -> PartnerCenterClient:
        """Client for a cloud preset (or :func:`clouds.custom`).

        Either pass one partner's app registration (``tenant_id``, ``client_id``, ``client_secret`` and, for
        App+User operations, the secure-application-model ``refresh_token``) or ready token providers.
        An :class:`AppUserTokenProvider` also serves price sheets (same refresh token, Partner API audience).
        Microsoft Graph (GDAP; reconciliation exports where the cloud has them) gets app-only tokens for
        ``<graph>/.default`` from the same app registration (permissions ``PartnerBilling.Read.All``,
        ``DelegatedAdminRelationship.ReadWrite.All``).
        """
        if token_provider is None:
            if not (tenant_id and client_id and client_secret):
                raise ConfigurationError("for_cloud needs tenant_id, client_id and client_secret, or a token_provider")
            token_provider = AppOnlyTokenProvider.for_cloud(
                cloud, tenant_id=tenant_id, client_id=client_id, client_secret=client_secret, ca_bundle=ca_bundle
            )
        if user_token_provider is None and refresh_token:
            if not (tenant_id and client_id and client_secret):
                raise ConfigurationError("a refresh_token needs tenant_id, client_id and client_secret")
            user_token_provider = AppUserTokenProvider.for_cloud(
                cloud,
                tenant_id=tenant_id,
                client_id=client_id,
                client_secret=client_secret,
                refresh_token=refresh_token,
                on_refresh_token_rotated=on_refresh_token_rotated,
                ca_bundle=ca_bundle,
            )
        if (
            price_sheet_token_provider is None
            and isinstance(user_token_provider, AppUserTokenProvider)
            and cloud.price_sheet_scope
        ):
            price_sheet_token_provider = user_token_provider.with_scope(cloud.price_sheet_scope)
        graph_scope = cloud.graph_scope
        if graph_token_provider is None and graph_scope and tenant_id and client_id and client_secret:
            graph_token_provider = AppOnlyTokenProvider(
                client_id=client_id,
                client_secret=client_secret,
                authority=cloud.authority(tenant_id),
                scope=graph_scope,
                ca_bundle=ca_bundle,
                validate_authority=cloud.is_microsoft_authority,
            )
        kwargs.setdefault("verify", ca_bundle if ca_bundle else True)
        return cls(
            api_base_url=cloud.api_base_url,
            token_provider=token_provider,
            user_token_provider=user_token_provider,
            price_sheet_token_provider=price_sheet_token_provider,
            price_sheet_base_url=cloud.price_sheet_base_url,
            graph_api_url=cloud.graph_api_url,
            graph_token_provider=graph_token_provider,
            graph_billing_exports=cloud.graph_billing_exports,
            instance_key=instance_key or f"{cloud.name}:{tenant_id or 'default'}",
            **kwargs,
        )

    def test_connection(self, *, app_user: bool = False) -> ConnectionCheck:
        """Acquire a token and make a harmless read (first page of one customer). Raises on failure."""
        started = time.monotonic()
        self._transport.request(
            "GET",
            "/v1/customers",
            params={"size": 1},
            auth="user" if app_user else "app",
            operation="test connection",
        )
        return ConnectionCheck(
            api_base_url=self._transport.api_base_url,
            duration_ms=(time.monotonic() - started) * 1000,
            app_user=app_user,
        )

    ping = test_connection

    def close(self) -> None:
        self._transport.close()
        if self._graph_transport is not None:
            self._graph_transport.close()

    def __enter__(self) -> PartnerCenterClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
