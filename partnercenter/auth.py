"""Access tokens for Partner Center, acquired with MSAL.

* App-only: client-credentials grant, scope ``<audience>/.default``.
* App+User (secure application model): redeem the partner user's refresh token, scope
  ``<audience>/user_impersonation``. Entra ID may rotate the refresh token; ``on_refresh_token_rotated`` lets
  the caller persist the new one (e.g. in a secret store).

Tokens are cached in the provider until ``refresh_margin`` seconds before expiry. Providers are thread-safe.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

import msal
import requests

from .clouds import CloudInstance
from .errors import TokenAcquisitionError

__all__ = [
    "AppOnlyTokenProvider",
    "AppUserTokenProvider",
    "StaticTokenProvider",
    "TokenProvider",
]

logger = logging.getLogger("partnercenter")

_MICROSOFT_LOGIN_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.microsoftonline.de",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
        "login.windows.net",
    }
)


@runtime_checkable
class TokenProvider(Protocol):
    """Source of bearer tokens for one audience."""

    def get_token(self) -> str:
        """A valid access token (cached or freshly acquired)."""
        ...

    def invalidate(self) -> None:
        """Forget the cached token (called after a 401 so the next call acquires a new one)."""
        ...


class StaticTokenProvider:
    """A fixed token, for unit tests."""

    def __init__(self, token: str = "test-token") -> None:  # noqa: S107
        self._token = token
        self.invalidations = 0

    def get_token(self) -> str:
        return self._token

    def invalidate(self) -> None:
        self.invalidations += 1


class _TimeoutSession(requests.Session):
    """MSAL passes no timeout to its HTTP client; make every token call bounded."""

    def __init__(self, timeout: tuple[float, float], verify: bool | str) -> None:
        super().__init__()
        self._default_timeout = timeout
        self.verify = verify

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._default_timeout)
        # Explicit per request: a session-level verify loses against REQUESTS_CA_BUNDLE in the environment.
        kwargs.setdefault("verify", self.verify)
        return super().request(method, url, *args, **kwargs)


def _is_microsoft_authority(authority: str) -> bool:
    return (urlsplit(authority).hostname or "").lower() in _MICROSOFT_LOGIN_HOSTS


class _LazyMsalApp:
    """Builds the MSAL application on first use: MSAL reads the authority's OpenID metadata in its
    constructor, and building a client must not touch the network."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        authority: str,
        validate_authority: bool,
        session_factory: Callable[[], requests.Session],
        app: Any = None,
    ) -> None:
        self._args = (client_id, client_secret, authority, validate_authority)
        self._session_factory = session_factory
        self._app = app
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._app is None:
                client_id, client_secret, authority, validate = self._args
                self._app = msal.ConfidentialClientApplication(
                    client_id,
                    client_credential=client_secret,
                    authority=authority,
                    validate_authority=validate,
                    instance_discovery=validate,
                    http_client=self._session_factory(),
                )
            return self._app

    def peek(self) -> Any:
        return self._app


class _MsalProviderBase:
    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        authority: str,
        scope: str,
        ca_bundle: str | None = None,
        validate_authority: bool | None = None,
        http_session: requests.Session | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        refresh_margin: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        msal_app: Any = None,
    ) -> None:
        if validate_authority is None:
            validate_authority = _is_microsoft_authority(authority)
        self.scope = scope
        self.authority = authority
        self._refresh_margin = refresh_margin
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        if isinstance(msal_app, _LazyMsalApp):
            self._app = msal_app
        else:
            self._app = _LazyMsalApp(
                client_id=client_id,
                client_secret=client_secret,
                authority=authority,
                validate_authority=validate_authority,
                session_factory=lambda: http_session or _TimeoutSession(timeout, ca_bundle if ca_bundle else True),
                app=msal_app,
            )

    def get_token(self) -> str:
        with self._lock:
            now = self._clock()
            if self._token is not None and now < self._expires_at - self._refresh_margin:
                return self._token
            result = self._acquire()
            token = result.get("access_token")
            if not token:
                raise TokenAcquisitionError(
                    f"token request to {self.authority} for {self.scope} failed: "
                    f"{result.get('error')}: {result.get('error_description')}",
                    error_name=str(result.get("error")) if result.get("error") else None,
                    description=result.get("error_description"),
                )
            self._token = str(token)
            self._expires_at = now + float(result.get("expires_in") or 3600)
            return self._token

    def invalidate(self) -> None:
        with self._lock:
            self._token = None
            self._expires_at = 0.0
            self._forget_msal_cache()

    def _call_msal(self, fn: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
        try:
            result = fn()
        except (requests.RequestException, ValueError) as exc:
            # ValueError: MSAL raises it when the authority's metadata cannot be read.
            raise TokenAcquisitionError(
                f"could not reach token endpoint {self.authority}: {type(exc).__name__}: {exc}",
                retryable=True,
            ) from exc
        return result or {}

    def _acquire(self) -> dict[str, Any]:
        raise NotImplementedError

    def _forget_msal_cache(self) -> None:
        pass


class AppOnlyTokenProvider(_MsalProviderBase):
    """Client-credentials (app-only) tokens."""

    @classmethod
    def for_cloud(
        cls,
        cloud: CloudInstance,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        ca_bundle: str | None = None,
    ) -> AppOnlyTokenProvider:
        return cls(
            client_id=client_id,
            client_secret=client_secret,
            authority=cloud.authority(tenant_id),
            scope=cloud.app_only_scope,
            ca_bundle=ca_bundle,
            validate_authority=cloud.is_microsoft_authority,
        )

    def _acquire(self) -> dict[str, Any]:
        return self._call_msal(lambda: self._app.get().acquire_token_for_client(scopes=[self.scope]))

    def _forget_msal_cache(self) -> None:
        remove = getattr(self._app.peek(), "remove_tokens_for_client", None)
        if remove is not None:
            remove()


class _RefreshTokenState:
    """The partner user's refresh token, shared by providers of several audiences (PC API, Partner API)."""

    def __init__(self, refresh_token: str, on_rotated: Callable[[str], None] | None) -> None:
        self.refresh_token = refresh_token
        self.on_rotated = on_rotated
        self.lock = threading.Lock()


class AppUserTokenProvider(_MsalProviderBase):
    """App+User tokens redeemed from a stored refresh token (secure application model)."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        authority: str,
        refresh_token: str,
        scope: str,
        on_refresh_token_rotated: Callable[[str], None] | None = None,
        ca_bundle: str | None = None,
        validate_authority: bool | None = None,
        http_session: requests.Session | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        refresh_margin: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        msal_app: Any = None,
        _state: _RefreshTokenState | None = None,
    ) -> None:
        super().__init__(
            client_id=client_id,
            client_secret=client_secret,
            authority=authority,
            scope=scope,
            ca_bundle=ca_bundle,
            validate_authority=validate_authority,
            http_session=http_session,
            timeout=timeout,
            refresh_margin=refresh_margin,
            clock=clock,
            msal_app=msal_app,
        )
        self._state = _state or _RefreshTokenState(refresh_token, on_refresh_token_rotated)
        self._refresh_margin_value = refresh_margin

    @classmethod
    def for_cloud(
        cls,
        cloud: CloudInstance,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        on_refresh_token_rotated: Callable[[str], None] | None = None,
        ca_bundle: str | None = None,
    ) -> AppUserTokenProvider:
        return cls(
            client_id=client_id,
            client_secret=client_secret,
            authority=cloud.authority(tenant_id),
            refresh_token=refresh_token,
            scope=cloud.app_user_scope,
            on_refresh_token_rotated=on_refresh_token_rotated,
            ca_bundle=ca_bundle,
            validate_authority=cloud.is_microsoft_authority,
        )

    @property
    def refresh_token(self) -> str:
        return self._state.refresh_token

    def with_scope(self, scope: str) -> AppUserTokenProvider:
        """A provider for another audience (e.g. the Partner API for price sheets) sharing the refresh token
        and the MSAL application."""
        return AppUserTokenProvider(
            client_id="",
            client_secret="",
            authority=self.authority,
            refresh_token=self._state.refresh_token,
            scope=scope,
            refresh_margin=self._refresh_margin_value,
            clock=self._clock,
            msal_app=self._app,
            _state=self._state,
        )

    def _acquire(self) -> dict[str, Any]:
        state = self._state
        with state.lock:
            current = state.refresh_token
            result = self._call_msal(
                lambda: self._app.get().acquire_token_by_refresh_token(current, scopes=[self.scope])
            )
            rotated = result.get("refresh_token")
            if rotated and rotated != current:
                state.refresh_token = str(rotated)
                if state.on_rotated is not None:
                    try:
                        state.on_rotated(str(rotated))
                    except Exception:
                        # Persisting failed: keep the new token in memory and carry on; the old one
                        # normally stays valid until it expires.
                        logger.exception("partnercenter: on_refresh_token_rotated callback failed")
            return result
