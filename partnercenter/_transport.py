"""The one request loop: headers, timeouts, rate limit, retries with backoff, error mapping, logging."""

from __future__ import annotations

import logging
import random
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import requests

from .auth import TokenProvider
from .errors import (
    AppUserAuthRequiredError,
    ConfigurationError,
    PartnerCenterError,
    RequestTimeoutError,
    ResponseValidationError,
    TransportError,
    error_from_response,
    parse_retry_after,
)
from .ratelimit import NullRateLimiter, RateLimiter

logger = logging.getLogger("partnercenter")

Auth = Literal["app", "user", "user_preferred", "price_sheet", "none"]
HeaderStyle = Literal["partner_center", "graph"]

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

# Resource family for the rate limiter, from the most specific path segment.
_FAMILY_SEGMENTS = (
    ("pricesheets", "pricesheets"),
    ("offermatrix", "pricesheets"),
    ("subscriptions", "subscriptions"),
    ("orders", "orders"),
    ("carts", "carts"),
    ("agreements", "agreements"),
    ("relationships", "relationships"),
    ("relationshiprequests", "relationships"),
    ("billing", "billing"),
    ("invoices", "billing"),
    ("products", "catalog"),
    ("productpromotions", "catalog"),
    ("offers", "catalog"),
    ("domains", "customers"),
    ("customers", "customers"),
)
_GUIDISH = re.compile(r"/[0-9a-fA-F-]{32,36}(?=/|$)|/[0-9a-fA-F]{12}(?=/|$)")


def resource_family(path: str) -> str:
    segments = {s.lower().split("(")[0] for s in urlsplit(path).path.split("/") if s}
    for segment, family in _FAMILY_SEGMENTS:
        if segment in segments:
            return family
    return "other"


def path_template(path: str) -> str:
    """Path with ids replaced, for logs (no customer ids or domains at info level)."""
    return _GUIDISH.sub("/{id}", urlsplit(path).path)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 2
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    # A Retry-After longer than this is not waited in-process: the error goes to the caller (e.g. a Celery
    # countdown) instead of blocking a worker.
    max_retry_after: float = 10.0

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff for retry number ``attempt`` (1-based)."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)


class Transport:
    def __init__(
        self,
        *,
        api_base_url: str,
        token_provider: TokenProvider,
        user_token_provider: TokenProvider | None = None,
        price_sheet_token_provider: TokenProvider | None = None,
        price_sheet_base_url: str | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        instance_key: str = "default",
        session: requests.Session | None = None,
        verify: bool | str = True,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        user_agent: str = "cspbss-partnercenter/0.1",
        path_prefix: str | None = "/v1",
        header_style: HeaderStyle = "partner_center",
    ) -> None:
        """``path_prefix`` is put before relative paths without a version (Partner Center: ``/v1``; Graph:
        none, its base URL carries ``/v1.0``). ``header_style="graph"`` sends Graph's ``client-request-id``
        instead of Partner Center's ``MS-*`` headers."""
        self.api_base_url = api_base_url.rstrip("/")
        self.path_prefix = path_prefix
        self.header_style = header_style
        self.price_sheet_base_url = price_sheet_base_url.rstrip("/") if price_sheet_base_url else None
        self._providers: dict[str, TokenProvider | None] = {
            "app": token_provider,
            "user": user_token_provider,
            "price_sheet": price_sheet_token_provider or user_token_provider,
        }
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.rate_limiter: RateLimiter = rate_limiter or NullRateLimiter()
        self.instance_key = instance_key
        if session is None:
            session = requests.Session()
            session.verify = verify
        self.session = session
        # Passed on every request: a session-level verify loses against REQUESTS_CA_BUNDLE in the environment.
        self._verify: bool | str | None = verify if verify is not True else session.verify
        self._sleep = sleep
        self._clock = clock
        self._user_agent = user_agent

    def close(self) -> None:
        self.session.close()

    # --- helpers -----------------------------------------------------------------------------------------

    def url_for(self, path: str, *, base_url: str | None = None) -> str:
        """Absolute URL for ``path``. Accepts next-links with or without the ``/v1`` prefix."""
        if path.startswith(("https://", "http://")):
            return path
        base = (base_url or self.api_base_url).rstrip("/")
        if not path.startswith("/"):
            path = "/" + path
        if base_url is None and self.path_prefix and not re.match(r"^/v\d+(\.\d+)?(/|$)", path):
            path = self.path_prefix + path
        return base + path

    def _provider(self, auth: Auth, operation: str) -> TokenProvider | None:
        if auth == "none":
            return None
        if auth == "user_preferred":
            return self._providers["user"] or self._require("app", operation)
        return self._require(auth, operation)

    def _require(self, auth: str, operation: str) -> TokenProvider:
        provider = self._providers.get(auth)
        if provider is None:
            if auth in ("user", "price_sheet"):
                raise AppUserAuthRequiredError(
                    f"{operation} is an App+User operation in Partner Center; build the client with a "
                    "user_token_provider (secure application model refresh token)"
                )
            raise ConfigurationError(f"no token provider for {auth!r}")
        return provider

    # --- the loop ----------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
        if_match: str | None = None,
        auth: Auth = "app",
        expected: tuple[int, ...] = (200,),
        allow_statuses: tuple[int, ...] = (),
        stream: bool = False,
        base_url: str | None = None,
        family: str | None = None,
        operation: str | None = None,
    ) -> requests.Response:
        """Send one logical request, retrying transient failures with the same ``MS-RequestId``.

        Returns the response for statuses in ``expected`` or ``allow_statuses``; raises a
        :class:`PartnerCenterError` otherwise.
        """
        method = method.upper()
        operation = operation or f"{method} {path_template(path)}"
        provider = self._provider(auth, operation)
        url = self.url_for(path, base_url=base_url)
        request_id = request_id or str(uuid.uuid4())
        family = family or resource_family(url)
        template = path_template(url)
        attempts = self.retry.max_retries + 1
        reauthenticated = False
        attempt = 0
        while True:
            attempt += 1
            correlation_id = str(uuid.uuid4())
            self.rate_limiter.acquire(instance_key=self.instance_key, family=family)
            send_headers = self._headers(request_id, correlation_id)
            if if_match is not None:
                send_headers["If-Match"] = if_match if if_match.startswith(('"', "W/")) else f'"{if_match}"'
            if headers:
                send_headers.update(headers)
            if provider is not None:
                send_headers["Authorization"] = f"Bearer {provider.get_token()}"
            started = self._clock()
            try:
                response = self.session.request(
                    method,
                    url,
                    params=dict(params) if params else None,
                    json=json_body,
                    headers=send_headers,
                    timeout=self.timeout,
                    stream=stream,
                    verify=self._verify,
                )
            except requests.Timeout as exc:
                error: PartnerCenterError = RequestTimeoutError(
                    f"{operation}: timed out ({type(exc).__name__})",
                    request_id=request_id,
                    correlation_id=correlation_id,
                )
                self._log(method, template, None, started, request_id, correlation_id, attempt, family, error)
            except requests.ConnectionError as exc:
                error = TransportError(
                    f"{operation}: connection failed ({type(exc).__name__})",
                    request_id=request_id,
                    correlation_id=correlation_id,
                )
                self._log(method, template, None, started, request_id, correlation_id, attempt, family, error)
            except requests.RequestException as exc:
                raise TransportError(
                    f"{operation}: {type(exc).__name__}: {exc}",
                    request_id=request_id,
                    correlation_id=correlation_id,
                    retryable=False,
                ) from exc
            else:
                self._log(method, template, response.status_code, started, request_id, correlation_id, attempt, family)
                status = response.status_code
                if status in expected or status in allow_statuses:
                    return response
                body = response.content  # error bodies are small; also releases a streamed connection
                if status == 401 and not reauthenticated and provider is not None:
                    # The cached token may have been revoked or expired early: one fresh token, once.
                    reauthenticated = True
                    provider.invalidate()
                    attempt -= 1
                    continue
                error = error_from_response(
                    http_status=status,
                    body=body,
                    headers=response.headers,
                    request_id=request_id,
                    correlation_id=correlation_id,
                )
                if status not in RETRYABLE_STATUSES:
                    raise error
            if attempt >= attempts:
                raise error
            if error.retry_after is not None:
                if error.retry_after > self.retry.max_retry_after:
                    raise error
                delay = error.retry_after
            else:
                delay = self.retry.backoff(attempt)
            self._sleep(delay)

    def _headers(self, request_id: str, correlation_id: str) -> dict[str, str]:
        if self.header_style == "graph":
            # One id per logical request, kept across retries like MS-RequestId.
            return {"Accept": "application/json", "client-request-id": request_id, "User-Agent": self._user_agent}
        return {
            "Accept": "application/json",
            "MS-RequestId": request_id,
            "MS-CorrelationId": correlation_id,
            "MS-Contract-Version": "v1",
            "X-Locale": "en-US",
            "MS-PartnerCenter-Application": self._user_agent,
            "User-Agent": self._user_agent,
        }

    def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ResponseValidationError(
                f"{method} {path_template(path)}: response is not JSON",
                http_status=response.status_code,
                correlation_id=response.request.headers.get("MS-CorrelationId") if response.request else None,
            ) from exc

    def _log(
        self,
        method: str,
        template: str,
        status: int | None,
        started: float,
        request_id: str,
        correlation_id: str,
        attempt: int,
        family: str,
        error: PartnerCenterError | None = None,
    ) -> None:
        duration_ms = (self._clock() - started) * 1000
        level = logging.INFO if status is not None and status < 400 else logging.WARNING
        logger.log(
            level,
            "partnercenter %s %s status=%s duration_ms=%.0f request_id=%s correlation_id=%s attempt=%d%s",
            method,
            template,
            status if status is not None else "-",
            duration_ms,
            request_id,
            correlation_id,
            attempt,
            f" error={type(error).__name__}" if error is not None else "",
            extra={
                "pc_method": method,
                "pc_path": template,
                "pc_status": status,
                "pc_duration_ms": round(duration_ms, 1),
                "pc_request_id": request_id,
                "pc_correlation_id": correlation_id,
                "pc_attempt": attempt,
                "pc_family": family,
                "pc_instance": self.instance_key,
            },
        )


__all__ = ["RETRYABLE_STATUSES", "RetryPolicy", "Transport", "parse_retry_after", "path_template", "resource_family"]
