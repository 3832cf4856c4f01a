"""Per-request facts (client IP, request id) that audit rows carry, without threading `request` through services."""

import contextvars
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip_address: str | None = None
    user_agent: str = ""


_EMPTY = RequestContext()
_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("bss_request_context", default=None)


def current() -> RequestContext:
    return _current.get() or _EMPTY


def bind(context: RequestContext) -> contextvars.Token[RequestContext | None]:
    return _current.set(context)


def reset(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR is the proxy in production; gunicorn is run with --forwarded-allow-ips so it is rewritten there.
    return request.META.get("REMOTE_ADDR") or None
