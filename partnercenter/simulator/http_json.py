"""JSON responses in Partner Center's shape, shared by the API and the token endpoint."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

from .errors import PCError

JSON = "application/json; charset=utf-8"


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    payload = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    response = Response(payload, status=status, content_type=JSON if body is not None else None)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def pc_error_response(error: PCError) -> Response:
    return json_response(error.status, error.body())
