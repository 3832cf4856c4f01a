from __future__ import annotations

import json

import pytest

from partnercenter import errors
from partnercenter.errors import error_from_response

from .conftest import fixture_json


def test_shape_a_standard_body():
    body = json.dumps(fixture_json("subscription-patch-quantity-nce-error-response"))
    err = error_from_response(http_status=400, body=body, request_id="r", correlation_id="c")

    assert type(err) is errors.BadRequestError
    assert isinstance(err, errors.ValidationError)
    assert err.code == 800090
    assert err.description == "Subscription quantity cannot be decreased."
    assert err.data == []
    assert (err.request_id, err.correlation_id, err.http_status) == ("r", "c", 400)
    assert err.retryable is False


def test_shape_b_extended_body():
    body = json.dumps(fixture_json("agreement-create-error-response"))
    err = error_from_response(http_status=409, body=body)

    assert type(err) is errors.ConflictError
    assert err.code == 600061
    assert err.error_name == "PartnerConfirmedAgreementAlreadyExists"
    assert err.description == "A partner confirmed agreement already exists for the customer."
    assert err.retryable is False


def test_shape_b_is_retryable_overrides_class_default():
    err = error_from_response(
        http_status=500, body=json.dumps({"code": "900278", "message": "later", "isRetryable": False})
    )
    assert type(err) is errors.ServerError
    assert err.code == 900278
    assert err.retryable is False


def test_shape_c_throttling_body():
    body = json.dumps(fixture_json("error-429-throttled-response"))
    err = error_from_response(http_status=429, body=body, headers={"retry-after": "57"})

    assert type(err) is errors.ThrottledError
    assert err.retry_after == 57.0
    assert err.retryable is True
    assert err.code is None
    assert err.description == "Rate limit is exceeded. Try again in 57 seconds."


@pytest.mark.parametrize(
    ("_case", "status", "code", "cls", "retryable"),
    [
        ("unauthorized", 401, 800001, errors.AuthenticationError, False),
        ("mca missing", 403, 13605, errors.PermissionDeniedError, False),
        ("not found", 404, 20003, errors.NotFoundError, False),
        ("cart busy", 409, 800064, errors.ConflictError, False),
        ("precondition", 412, None, errors.PreconditionFailedError, False),
        ("stale etag arrives as 400", 400, 2055, errors.PreconditionFailedError, False),
        ("server", 500, 800003, errors.ServerError, True),
        ("gateway", 504, None, errors.ServerError, True),
        ("request timeout", 408, None, errors.RequestTimeoutError, True),
        ("other 4xx", 417, 800036, errors.APIError, False),
    ],
)
def test_status_and_code_mapping(_case: str, status: int, code: int | None, cls: type, retryable: bool):
    body = json.dumps({"code": code, "description": "x", "data": [], "source": "PartnerFD"}) if code else b""
    err = error_from_response(http_status=status, body=body)

    assert type(err) is cls
    assert err.retryable is retryable
    assert err.code == code
    assert isinstance(err, errors.PartnerCenterError)


def test_non_json_body_is_kept_as_description():
    err = error_from_response(http_status=502, body=b"<html>Bad Gateway</html>")
    assert err.description == "<html>Bad Gateway</html>"
