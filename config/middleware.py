import secrets
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from bss import request_context
from bss.request_context import client_ip


class RequestContextMiddleware:
    """Binds request id, client IP and user agent for audit rows written during this request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        token = request_context.bind(
            request_context.RequestContext(
                request_id=request_id,
                ip_address=client_ip(request),
                user_agent=request.headers.get("User-Agent", "")[:400],
            )
        )
        try:
            response = self.get_response(request)
        finally:
            request_context.reset(token)
        response["X-Request-ID"] = request_id
        return response


# Scripts and styles come from our own origin; the few inline blocks we need (the tier-2 brand colours, a progress
# bar's starting width, Swagger UI's start-up script) carry this response's nonce. No inline event handlers and no
# style="" attributes anywhere (a nonce cannot cover those); images may be data: URIs (Swagger UI's icons).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'nonce-{nonce}'; "
    "img-src 'self' data:; "
    "font-src 'self'; "
    "connect-src 'self'; "
    "object-src 'none'; "
    "base-uri 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)
# No page of ours uses a device or payment API: turn them all off, for embedded content too.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response: pages, API, errors, and static files (it
    sits outside WhiteNoise). Each request gets a fresh nonce, `request.csp_nonce`, for templates' inline blocks:
    `<style nonce="{{ request.csp_nonce }}">`. HSTS, nosniff, the referrer policy and X-Frame-Options stay with
    Django's SecurityMiddleware and XFrameOptionsMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY.format(nonce=nonce))
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
