"""Idempotency-Key handling for API writes: same key and body -> the first response again; same key with
another body -> 422; a duplicate arriving while the first is still running -> 409."""

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from rest_framework.request import Request
from rest_framework.response import Response

from api.models import ApiKey, IdempotencyRecord
from bss.exceptions import ApplicationError


class IdempotencyKeyRequired(ApplicationError):
    code = "idempotency_key_required"
    http_status = 400


class IdempotencyKeyReused(ApplicationError):
    code = "idempotency_key_reused"
    http_status = 422


class IdempotentRequestInProgress(ApplicationError):
    code = "idempotent_request_in_progress"
    http_status = 409


def idempotency_owner(request: Request) -> str:
    api_key = getattr(request, "auth", None)
    return f"key:{api_key.prefix}" if isinstance(api_key, ApiKey) else f"user:{request.user.pk}"


def run_idempotent(request: Request, handler: Callable[[str], Response], *, required: bool = True) -> Response:
    """Run `handler(idempotency_key)` at most once per (caller, Idempotency-Key). Without a key (where one is
    optional) the handler simply runs."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key and not required:
        return handler("")
    if not key or len(key) > 255:
        raise IdempotencyKeyRequired("Send an Idempotency-Key header (1-255 characters) with this request.")
    owner = idempotency_owner(request)
    body_hash = hashlib.sha256(json.dumps(request.data, sort_keys=True, default=str).encode()).hexdigest()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                owner=owner, key=key, method=request.method or "", path=request.path[:255], request_hash=body_hash
            )
    except IntegrityError:
        existing = IdempotencyRecord.objects.get(owner=owner, key=key)
        if existing.request_hash != body_hash or existing.path != request.path[:255]:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was already used with a different request body.", extra={"key": key}
            ) from None
        if existing.response_status is None:
            raise IdempotentRequestInProgress(
                "A request with this Idempotency-Key is still being processed; retry shortly.", extra={"key": key}
            ) from None
        response = Response(existing.response_body, status=existing.response_status)
        response["Idempotent-Replayed"] = "true"
        return response

    try:
        response = handler(key)
    except ApplicationError as exc:
        # A client error is an answer too: the same request will get the same answer.
        body = {"code": exc.code, "message": exc.message, "extra": exc.extra}
        _store(record, exc.http_status, body)
        raise
    except Exception:
        record.delete()  # nothing was answered: the caller may retry with the same key
        raise
    if response.status_code >= 500:
        record.delete()
    else:
        _store(record, response.status_code, response.data)
    return response


def _store(record: IdempotencyRecord, status_code: int, body: object) -> None:
    record.response_status = status_code
    record.response_body = json.loads(json.dumps(body, default=str))
    record.save(update_fields=["response_status", "response_body"])
