"""One error vocabulary: every domain error has a stable machine code, a human message and structured extra."""

from typing import Any

from django.http import Http404


class ApplicationError(Exception):
    """An error the user can act on; views show `message`, the API returns {code, message, extra}."""

    code = "application_error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.extra = extra or {}


class NotFound(ApplicationError, Http404):
    """Raised for missing objects and for objects the acting user may not see (never reveal existence).

    Also an Http404, so an HTML view that lets it propagate answers with Django's 404 page."""

    code = "not_found"
    http_status = 404


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    http_status = 403


class InvalidTransition(ApplicationError):
    code = "invalid_transition"
    http_status = 409


class OperatorError(Exception):
    """An error no user can fix (misconfiguration, a bug): logged and paged, shown as a generic failure."""
