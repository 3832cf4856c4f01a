"""New-commerce reconciliation exports on Microsoft Graph (billing facts sheet §2): request an export (202 +
``Location``), poll the operation honouring ``Retry-After``, read the manifest, then stream each blob —
gzip-compressed JSON Lines — line by line without ever holding a whole blob in memory.

An expired link (410 on the operation or manifest, the blob store refusing the SAS, a vanished blob) raises
:class:`ExportExpiredError`: the answer is a new export. A ``failed`` operation raises
:class:`ExportOperationFailedError` (code 5000: no data for that invoice yet, or a legacy ``D…`` invoice).
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, Literal

import requests
import urllib3

from .. import _parse
from .._transport import Transport
from ..billing_types import ExportBlob, ExportManifest, ExportOperation, ReconLineItem
from ..errors import (
    ConfigurationError,
    ExportExpiredError,
    ExportNotReadyError,
    ExportOperationFailedError,
    ResponseValidationError,
    TransportError,
    parse_retry_after,
)

AttributeSet = Literal["full", "basic"]
BillingPeriod = Literal["current", "last"]
_BILLING = "/reports/partners/billing"
_EXPIRED_STATUSES = (403, 404, 410)
_MAX_DECOMPRESSED = 1 << 20


def iter_gzip_lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The lines of a gzip stream (several members allowed), decompressed a bounded piece at a time."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pending = b""
    for chunk in chunks:
        data = chunk
        while data:
            out = decompressor.decompress(data, _MAX_DECOMPRESSED)
            data = decompressor.unconsumed_tail
            if decompressor.eof:
                rest = decompressor.unused_data
                out += decompressor.flush()
                decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
                data = rest + data
            if out:
                pending += out
                *lines, pending = pending.split(b"\n")
                yield from lines
    pending += decompressor.flush()
    if pending:
        yield from pending.split(b"\n")


class ReconciliationResource:
    """``client.reconciliation``: billed (by invoice) and unbilled (by period and currency) invoice
    reconciliation exports."""

    def __init__(
        self,
        transport: Transport | None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        default_poll_seconds: float = 5.0,
        max_poll_seconds: float = 60.0,
        chunk_size: int = 64 * 1024,
        unavailable_reason: str = "no Microsoft Graph credentials were configured",
    ) -> None:
        self._t = transport
        self._sleep = sleep
        self.default_poll_seconds = default_poll_seconds
        self.max_poll_seconds = max_poll_seconds
        self.chunk_size = chunk_size
        self._unavailable = unavailable_reason

    def _graph(self) -> Transport:
        if self._t is None:
            raise ConfigurationError(f"partner billing exports are not available: {self._unavailable}")
        return self._t

    # -- requesting an export ---------------------------------------------------------------------------------
    def _export(self, path: str, body: dict[str, Any], operation: str) -> str:
        response = self._graph().request("POST", path, json_body=body, expected=(202,), operation=operation)
        location = response.headers.get("Location")
        if not location:
            raise ResponseValidationError(f"{operation}: 202 without a Location header", http_status=202)
        return location

    def export_billed(self, invoice_id: str, *, attribute_set: AttributeSet = "full") -> str:
        """Start the export of a billed invoice's reconciliation lines; returns the operation URL."""
        return self._export(f"{_BILLING}/reconciliation/billed/export",
                            {"invoiceId": invoice_id, "attributeSet": attribute_set}, "export billed reconciliation")

    def export_unbilled(self, *, currency_code: str, billing_period: BillingPeriod = "current",
                        attribute_set: AttributeSet = "full") -> str:
        """Start the export of the unbilled lines of the ``current`` or ``last`` period in the partner's billing
        currency; returns the operation URL."""
        return self._export(f"{_BILLING}/reconciliation/unbilled/export",
                            {"currencyCode": currency_code, "billingPeriod": billing_period,
                             "attributeSet": attribute_set}, "export unbilled reconciliation")

    # -- the operation and its manifest --------------------------------------------------------------------------
    def get_operation(self, operation_url: str) -> ExportOperation:
        response = self._graph().request("GET", operation_url, allow_statuses=(410,), operation="get export operation")
        if response.status_code == 410:
            raise ExportExpiredError("the export operation expired; request a new export", http_status=410)
        try:
            data = response.json()
        except ValueError as exc:
            raise ResponseValidationError("export operation: response is not JSON") from exc
        return _parse.export_operation(data, retry_after=parse_retry_after(response.headers.get("Retry-After")))

    def get_manifest(self, manifest_url: str) -> ExportManifest:
        url = manifest_url if "/" in manifest_url else f"{_BILLING}/manifests/{manifest_url}"
        response = self._graph().request("GET", url, allow_statuses=(410,), operation="get export manifest")
        if response.status_code == 410:
            raise ExportExpiredError("the export manifest expired; request a new export", http_status=410)
        try:
            return _parse.export_manifest(response.json())
        except ValueError as exc:
            raise ResponseValidationError("export manifest: response is not JSON") from exc

    def wait(self, operation_url: str, *, max_polls: int = 30) -> ExportManifest:
        """Poll until the operation succeeds (its manifest) or fails (:class:`ExportOperationFailedError`),
        sleeping ``Retry-After`` between polls; :class:`ExportNotReadyError` after ``max_polls``."""
        operation: ExportOperation | None = None
        for poll in range(max(1, max_polls)):
            operation = self.get_operation(operation_url)
            if operation.status == "succeeded":
                if operation.manifest is not None:
                    return operation.manifest
                if not operation.manifest_url:
                    raise ResponseValidationError("succeeded export operation without a resourceLocation")
                return self.get_manifest(operation.manifest_url)
            if operation.status == "failed":
                raise ExportOperationFailedError(
                    f"export operation {operation.id} failed: {operation.error_code}: {operation.error_message}",
                    error_code=operation.error_code, operation_id=operation.id)
            if poll + 1 < max_polls:
                delay = operation.retry_after if operation.retry_after is not None else self.default_poll_seconds
                self._sleep(min(max(delay, 0.0), self.max_poll_seconds))
        retry_after = operation.retry_after if operation is not None else None
        raise ExportNotReadyError(f"export still running after {max_polls} polls", operation_url=operation_url,
                                  retry_after=retry_after)

    # -- blobs ----------------------------------------------------------------------------------------------
    def iter_blob_lines(self, manifest: ExportManifest, blob: ExportBlob) -> Iterator[bytes]:
        """The raw JSON lines of one blob, decompressed while downloading."""
        response = self._graph().request(
            "GET", manifest.blob_url(blob), auth="none", stream=True, allow_statuses=_EXPIRED_STATUSES,
            headers={"Accept": "*/*"}, family="billing", operation="download reconciliation blob")
        try:
            if response.status_code in _EXPIRED_STATUSES:
                code = response.headers.get("x-ms-error-code") or str(response.status_code)
                raise ExportExpiredError(f"blob {blob.name} refused ({code}): the export's links expired; "
                                         "request a new export", http_status=response.status_code)
            try:
                for line in iter_gzip_lines(response.raw.stream(self.chunk_size, decode_content=False)):
                    line = line.strip().lstrip(b"\xef\xbb\xbf")
                    if line:
                        yield line
            except zlib.error as exc:
                raise ResponseValidationError(f"blob {blob.name} is not gzip: {exc}") from exc
            except (OSError, urllib3.exceptions.HTTPError, requests.RequestException) as exc:
                raise TransportError(f"blob {blob.name}: download broke off ({type(exc).__name__})") from exc
        finally:
            response.close()

    def iter_blob(self, manifest: ExportManifest, blob: ExportBlob) -> Iterator[ReconLineItem]:
        for line in self.iter_blob_lines(manifest, blob):
            try:
                data = json.loads(line, parse_float=Decimal)
            except ValueError as exc:
                raise ResponseValidationError(f"blob {blob.name}: a line is not JSON") from exc
            yield _parse.recon_line_item(data)

    def iter_line_items(self, manifest: ExportManifest) -> Iterator[ReconLineItem]:
        """Every line of every blob of the manifest, blob by blob."""
        for blob in manifest.blobs:
            yield from self.iter_blob(manifest, blob)

    # -- the whole flow -----------------------------------------------------------------------------------------
    def billed_line_items(self, invoice_id: str, *, attribute_set: AttributeSet = "full",
                          max_polls: int = 30) -> Iterator[ReconLineItem]:
        """Export, wait and stream a billed invoice's lines. An :class:`ExportExpiredError` mid-way means: call
        again (a new export)."""
        manifest = self.wait(self.export_billed(invoice_id, attribute_set=attribute_set), max_polls=max_polls)
        return self.iter_line_items(manifest)

    def unbilled_line_items(self, *, currency_code: str, billing_period: BillingPeriod = "current",
                            attribute_set: AttributeSet = "full", max_polls: int = 30) -> Iterator[ReconLineItem]:
        manifest = self.wait(self.export_unbilled(currency_code=currency_code, billing_period=billing_period,
                                                  attribute_set=attribute_set), max_polls=max_polls)
        return self.iter_line_items(manifest)
