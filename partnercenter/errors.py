"""One exception hierarchy for everything the Partner Center client can raise.

Classes are chosen by what the caller should do next; ``retryable`` tells a job runner whether
trying the same logical operation again (with the same ``MS-RequestId``) can help.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIError",
    "AppUserAuthRequiredError",
    "AuthenticationError",
    "BadRequestError",
    "BillingExportError",
    "ConfigurationError",
    "ConflictError",
    "ExportExpiredError",
    "ExportNotReadyError",
    "ExportOperationFailedError",
    "NotFoundError",
    "PartnerCenterError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "RateBudgetExhaustedError",
    "RequestTimeoutError",
    "ResponseValidationError",
    "ServerError",
    "ThrottledError",
    "TokenAcquisitionError",
    "TransportError",
    "ValidationError",
    "error_from_response",
]


class PartnerCenterError(Exception):
    """Base class. ``code`` is the Partner Center error code (e.g. 800002) when the body had one."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: int | None = None,
        description: str | None = None,
        error_name: str | None = None,
        data: Any = None,
        request_id: str | None = None,
        correlation_id: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.code = code
        self.description = description
        self.error_name = error_name
        self.data = data
        self.request_id = request_id
        self.correlation_id = correlation_id
        self.retry_after = retry_after
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        parts = [self.message]
        if self.http_status is not None:
            parts.append(f"http_status={self.http_status}")
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.correlation_id:
            parts.append(f"correlation_id={self.correlation_id}")
        return " ".join(parts)


class ConfigurationError(PartnerCenterError):
    """The client was built without something this call needs."""


class AppUserAuthRequiredError(ConfigurationError):
    """The operation is documented as App+User only and no user token provider was configured."""


class TokenAcquisitionError(PartnerCenterError):
    """Entra ID (or the simulator's token endpoint) refused to issue a token."""


class TransportError(PartnerCenterError):
    """No usable HTTP response: connection refused/reset, TLS failure, timeout."""

    retryable = True


class RequestTimeoutError(TransportError):
    """Connect or read timeout, or HTTP 408. The write may or may not have happened: retry with the same
    ``MS-RequestId``."""


class ResponseValidationError(PartnerCenterError):
    """A 2xx response whose body does not have the shape we rely on (missing id, not JSON...)."""


class APIError(PartnerCenterError):
    """Partner Center answered with a non-success HTTP status."""


class BadRequestError(APIError):
    """400: business rule or input validation failure. Fix the request; do not retry as is."""


ValidationError = BadRequestError


class AuthenticationError(APIError):
    """401: token missing, expired, wrong audience."""


class PermissionDeniedError(APIError):
    """403: e.g. MCA not accepted (13605), app-only token on an App+User operation (900329)."""


class NotFoundError(APIError):
    """404."""


class ConflictError(APIError):
    """409: e.g. cart being processed (800064), order in progress (800060)."""


class PreconditionFailedError(APIError):
    """412, or code 2055: the etag sent in If-Match is stale. Re-read and re-apply the change."""


class ThrottledError(APIError):
    """429. ``retry_after`` holds the seconds Partner Center asked us to wait."""

    retryable = True


class ServerError(APIError):
    """5xx."""

    retryable = True


class RateBudgetExhaustedError(PartnerCenterError):
    """Our own request budget for a resource family is spent for longer than the caller may wait (the rate
    limiter's ``max_wait``): nothing was sent. ``wait`` (also ``retry_after``) is the seconds until a token exists;
    reschedule the work that far ahead rather than sleeping in a worker."""

    retryable = True

    def __init__(self, message: str, *, wait: float, family: str) -> None:
        super().__init__(message, retry_after=wait)
        self.wait = wait
        self.family = family


class BillingExportError(PartnerCenterError):
    """A reconciliation export on Microsoft Graph did not give its data."""


class ExportOperationFailedError(BillingExportError):
    """The export operation ended ``failed`` (``code`` 5000: no data for that invoice or period yet, or a legacy
    ``D…`` invoice). ``error_code`` is Microsoft's code as sent (a string)."""

    def __init__(self, message: str, *, error_code: str | None = None, operation_id: str | None = None) -> None:
        super().__init__(message, code=_as_int(error_code), description=message, error_name=error_code)
        self.error_code = error_code
        self.operation_id = operation_id


class ExportExpiredError(BillingExportError):
    """The operation, manifest or blob link expired (410, or the blob store refusing the SAS): answer it with a
    new export."""

    retryable = True


class ExportNotReadyError(BillingExportError):
    """The operation was still running after the polls the caller allowed; ``retry_after`` says when to look
    again (the operation URL in ``operation_url`` stays valid)."""

    retryable = True

    def __init__(self, message: str, *, operation_url: str, retry_after: float | None) -> None:
        super().__init__(message, retry_after=retry_after)
        self.operation_url = operation_url


_STATUS_CLASSES: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    429: ThrottledError,
}

# Codes whose meaning is clearer than their HTTP status (2055 arrives as a 400).
_CODE_CLASSES: dict[int, type[APIError]] = {
    2055: PreconditionFailedError,
}


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as integer (or decimal) seconds; HTTP-date forms are not used by Partner Center."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(seconds, 0.0)


def error_from_response(
    *,
    http_status: int,
    body: bytes | str | None,
    headers: Mapping[str, str] | None = None,
    request_id: str | None = None,
    correlation_id: str | None = None,
) -> PartnerCenterError:
    """Map an HTTP error response to an exception, reading error body shapes A, B and C.

    A: ``{code, description, data, source}``; B: ``{code, message, description, errorName, isRetryable, ...}``;
    C (gateway throttling): ``{statusCode, message}``; Microsoft Graph: ``{"error": {code, message, innerError}}``.
    """
    headers = headers or {}
    parsed: Any = None
    if body:
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            parsed = None
    fields = {str(k).lower(): v for k, v in parsed.items()} if isinstance(parsed, dict) else {}
    if isinstance(fields.get("error"), dict):
        # Microsoft Graph: {"error": {"code": "BadRequest", "message": ..., "innerError": {...}}}
        fields = {str(k).lower(): v for k, v in fields["error"].items()}

    code = _as_int(fields.get("code"))
    error_name = fields.get("errorname") if isinstance(fields.get("errorname"), str) else None
    if code is None and isinstance(fields.get("code"), str) and not error_name:
        error_name = fields["code"]
    description = fields.get("description") or fields.get("message")
    if description is None and isinstance(body, str | bytes) and body and parsed is None:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        description = text[:500]
    is_retryable = fields.get("isretryable")

    cls: type[APIError]
    if code is not None and code in _CODE_CLASSES:
        cls = _CODE_CLASSES[code]
    elif http_status in _STATUS_CLASSES:
        cls = _STATUS_CLASSES[http_status]
    elif http_status >= 500:
        cls = ServerError
    else:
        cls = APIError

    retry_after = parse_retry_after(_header(headers, "Retry-After"))
    if http_status == 408:
        return RequestTimeoutError(
            f"Partner Center request timed out (408): {description or ''}".rstrip(": "),
            http_status=408,
            code=code,
            description=description,
            request_id=request_id,
            correlation_id=correlation_id,
        )

    message = f"Partner Center returned {http_status}"
    if description:
        message += f": {description}"
    return cls(
        message,
        http_status=http_status,
        code=code,
        description=description,
        error_name=error_name,
        data=fields.get("data") if fields.get("data") is not None else fields.get("parameters"),
        request_id=request_id,
        correlation_id=correlation_id,
        retryable=is_retryable if isinstance(is_retryable, bool) else None,
        retry_after=retry_after,
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None
