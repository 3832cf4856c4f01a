"""One JSON error shape for the API: {"code", "message", "extra"}."""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from bss.exceptions import ApplicationError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response({"code": exc.code, "message": exc.message, "extra": exc.extra}, status=exc.http_status)
    if isinstance(exc, RequestDataTooBig):  # Django's limit, met when the view reads the body (request.data)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {"code": "request_too_large", "message": f"The request body is larger than the {limit} bytes accepted.",
             "extra": {"max_bytes": limit}},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=getattr(exc, "message_dict", None) or exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"code": "invalid", "message": "The request is invalid.", "extra": {"fields": response.data}}
    elif isinstance(exc, exceptions.APIException):
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        response.data = {
            "code": exc.get_codes() if isinstance(exc.get_codes(), str) else "error",
            "message": str(detail),
            "extra": {},
        }
    wait = getattr(exc, "wait", None)  # exceptions.Throttled sets it (the stubs do not declare it)
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS and wait:
        response.data["extra"]["retry_after"] = wait
    return response
