"""The client's Microsoft Graph pieces without a server: the second audience per cloud, Graph's error
envelope, and gzip JSON Lines decompressed piece by piece."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import pytest

from partnercenter import ConfigurationError, PartnerCenterClient, StaticTokenProvider, clouds
from partnercenter.errors import BadRequestError, ThrottledError, error_from_response
from partnercenter.resources.reconciliation import iter_gzip_lines


def test_graph_is_a_second_audience_per_cloud() -> None:
    assert clouds.GLOBAL.graph_api_url == "https://graph.microsoft.com/v1.0"
    assert clouds.GLOBAL.graph_scope == "https://graph.microsoft.com/.default"
    assert clouds.GLOBAL.graph_billing_exports
    assert clouds.US_GOVERNMENT.graph_scope == "https://graph.microsoft.us/.default"
    assert clouds.CHINA_21VIANET.graph_api_url == "https://microsoftgraph.chinacloudapi.cn/v1.0"
    # Microsoft documents the partner billing exports for the global service only.
    assert not clouds.US_GOVERNMENT.graph_billing_exports and not clouds.CHINA_21VIANET.graph_billing_exports
    assert clouds.GERMANY.retired and not clouds.GERMANY.graph_billing_exports
    simulator = clouds.custom(api_base_url="https://127.0.0.1:9", authority_host="https://127.0.0.1:9")
    assert simulator.graph_api_url == "https://127.0.0.1:9/v1.0"
    assert simulator.graph_scope == "https://graph.microsoft.com/.default"


def test_exports_need_graph_credentials_and_a_cloud_that_has_them() -> None:
    china = PartnerCenterClient.for_cloud(clouds.CHINA_21VIANET, token_provider=StaticTokenProvider())
    bare = PartnerCenterClient(api_base_url="https://pc.test", token_provider=StaticTokenProvider(),
                               graph_api_url="https://graph.test/v1.0")

    with pytest.raises(ConfigurationError, match="global cloud only"):
        china.reconciliation.export_billed("G000000001")
    with pytest.raises(ConfigurationError, match="credentials"):
        bare.reconciliation.export_billed("G000000001")


def test_graph_error_envelope_is_read() -> None:
    body = json.dumps({"error": {"code": "BadRequest", "message": "Invalid attributeSet 'all'.",
                                 "innerError": {"request-id": "r"}}})
    throttled = json.dumps({"error": {"code": "TooManyRequests", "message": "Too many requests"}})

    error = error_from_response(http_status=400, body=body)
    slow_down = error_from_response(http_status=429, body=throttled, headers={"Retry-After": "7"})

    assert isinstance(error, BadRequestError)
    assert error.description == "Invalid attributeSet 'all'." and error.error_name == "BadRequest"
    assert isinstance(slow_down, ThrottledError) and slow_down.retry_after == 7


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset:offset + size]


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_gzip_lines_survive_any_chunking_and_several_members(chunk: int) -> None:
    rows = [json.dumps({"n": n, "text": "é" * (n % 5)}).encode() for n in range(300)]
    first = gzip.compress(b"\n".join(rows[:100]) + b"\n")
    second = gzip.compress(b"\n".join(rows[100:]))  # no final newline

    lines = [line for line in iter_gzip_lines(_chunks(first + second, chunk)) if line]

    assert lines == rows


def test_a_highly_compressed_blob_is_decompressed_in_bounded_pieces() -> None:
    line = b'{"chargeType":"cycleCharge","customerName":"' + b"x" * 2000 + b'"}'
    blob = gzip.compress((line + b"\n") * 5000)  # ~10 MB of text in a small blob

    count = sum(1 for item in iter_gzip_lines(_chunks(blob, 65536)) if item)

    assert len(blob) < 200_000 and count == 5000
