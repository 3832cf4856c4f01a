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
