"""Microsoft's bill over HTTP: invoices on Partner Center v1 (``/v1/invoices``), the reconciliation exports on
Microsoft Graph (``/v1.0`` and ``/beta`` ``/reports/partners/billing/...``: 202 + ``Location``, operations,
manifests) and the blob store the manifests point at (``/blob/...``, directory SAS, gzip JSON Lines)."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from werkzeug.wrappers import Request, Response

from . import recon_render, usage
from .backend import Caller
from .errors import PCError
from .exports import BLOB_PREFIX, ExportJob
from .http_json import json_response, pc_error_response
from .instance import Simulator
from .ledger import Invoice, LedgerRow, invoice_total
from .state import SimState

GRAPH_BILLING_RE = re.compile(r"^/(?P<version>v1\.0|beta)/reports/partners/billing/(?P<rest>.+)$")
INVOICE_RE = re.compile(r"^/v1/invoices(?:/(?P<id>[^/]+)(?P<statement>/documents/statement)?)?/?$")
OPERATION_CONTEXT = "$metadata#reports/partners/billing/operations/$entity"
MINIMAL_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
               b"trailer<</Root 1 0 R>>\n%%EOF\n")


def is_graph_billing(lower: str) -> bool:
    return GRAPH_BILLING_RE.match(lower) is not None


def is_invoices(lower: str) -> bool:
    return INVOICE_RE.match(lower) is not None


def graph_error(status: int, code: str, message: str, request: Request) -> Response:
    return json_response(status, {"error": {
        "code": code, "message": message,
        "innerError": {"date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
                       "request-id": str(uuid.uuid4()),
                       "client-request-id": request.headers.get("client-request-id") or str(uuid.uuid4())},
    }})


def _naive(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class BillingAPI:
    """Invoices, exports and blobs of one simulator instance."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    @property
    def state(self) -> SimState:
        return self.sim.state

    def _mode(self) -> tuple[str, Decimal]:
        config = self.state.config
        return config.billing_rounding, Decimal(str(config.billing_tax_rate))

    # -- Partner Center v1: invoices -------------------------------------------------------------------------
    def serve_invoices(self, request: Request, lower: str, caller: Caller) -> Response:
        match = INVOICE_RE.match(lower)
        assert match is not None
        if request.method != "GET":
            return pc_error_response(PCError(405, 800002, description="The requested method is not allowed"))
        mode, tax = self._mode()
        billing = self.sim.backend.billing
        invoice_id = match["id"]
        try:
            with self.state.lock:
                if invoice_id is None:
                    invoices = billing.invoices(caller.partner)
                    items = [recon_render.invoice_json(i, billing.billed_rows(i), mode=mode, tax_rate=tax)
                             for i in invoices]
                    return json_response(200, {"totalCount": len(items), "items": items, "links": {},
                                               "attributes": {"objectType": "Collection"}})
                if invoice_id == "summaries":
                    caller.require_user()
                    return json_response(200, self._summaries(caller, mode, tax))
                invoice = billing.invoice(caller, invoice_id)
                if match["statement"]:
                    return Response(MINIMAL_PDF, status=200, content_type="application/pdf", headers={
                        "Content-Disposition": f"attachment; filename=Invoice_{invoice.id}.pdf"})
                return json_response(200, recon_render.invoice_json(
                    invoice, billing.billed_rows(invoice), mode=mode, tax_rate=tax, by_id=True))
        except PCError as error:
            return pc_error_response(error)

    def _summaries(self, caller: Caller, mode: str, tax: Decimal) -> dict[str, Any]:
        billing = self.sim.backend.billing
        by_currency: dict[str, list[tuple[Invoice, Decimal]]] = {}
        for invoice in billing.invoices(caller.partner):
            _, total = invoice_total(billing.billed_rows(invoice), mode, tax)
            by_currency.setdefault(invoice.currency, []).append((invoice, total))
        items = [recon_render.summary_json(c, v) for c, v in sorted(by_currency.items())]
        return {"totalCount": len(items), "items": items, "attributes": {"objectType": "Collection"}}

    # -- Microsoft Graph: exports, operations, manifests ---------------------------------------------------------
    def serve_graph(self, request: Request, lower: str, caller: Caller) -> Response:
        match = GRAPH_BILLING_RE.match(lower)
        assert match is not None
        graph_root = f"{request.host_url.rstrip('/')}/{match['version']}"
        rest = match["rest"].rstrip("/")
        parts = rest.split("/")
        with self.state.lock:
            if request.method == "POST" and len(parts) == 3 and parts[0] in ("reconciliation", "usage") \
                    and parts[1] in ("billed", "unbilled") and parts[2] == "export":
                return self._export(request, caller, graph_root, parts[0], parts[1])
            if request.method == "GET" and len(parts) == 2 and parts[0] == "operations":
                return self._operation(request, caller, graph_root, parts[1])
            if request.method == "GET" and len(parts) == 2 and parts[0] == "manifests":
                return self._manifest(request, caller, parts[1])
        return graph_error(404, "ResourceNotFound", f"Resource not found for the segment '{parts[0]}'.", request)

    def _body(self, request: Request) -> dict[str, Any] | None:
        raw = request.get_data(cache=True)
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None
        return {str(k).lower(): v for k, v in data.items()} if isinstance(data, dict) else None

    def _export(self, request: Request, caller: Caller, graph_root: str, family: str, kind: str) -> Response:
        body = self._body(request)
        if body is None:
            return graph_error(400, "BadRequest", "The request body must be a JSON object.", request)
        attribute_set = str(body.get("attributeset") or "full")
        if attribute_set not in ("full", "basic"):
            return graph_error(400, "BadRequest", f"Invalid attributeSet '{attribute_set}'.", request)
        partner = caller.partner
        billing = self.sim.backend.billing
        now = self.state.clock.now()
        mode, tax = self._mode()
        casing = self.state.config.billing_key_casing
        rows: list[LedgerRow] | None
        failure: tuple[str, str] | None = None
        if kind == "billed":
            invoice_id = str(body.get("invoiceid") or "").strip()
            if not invoice_id:
                return graph_error(400, "BadRequest", "The invoiceId parameter is required.", request)
            invoice = billing.find_invoice(partner, invoice_id)
            month = invoice.period if invoice else "000000"
            root = (f"billedusagefastpath/v1/PartnerTenantId={partner.tenant_id}/BillingMonth={month}/"
                    f"InvoiceId={invoice_id.upper()}/InvoiceVersion="
                    f"{invoice.invoice_date.strftime('%Y%m') if invoice else '000000'}/Fragment={attribute_set}/"
                    "PartitionType=default")
            if invoice is None:
                rows, failure = None, ("5000", f"No reconciliation data available currently for Invoice {invoice_id}")
            elif family == "usage":  # Azure daily-rated usage of the invoice's month (usage.py)
                first, last = usage.billed_range(invoice.period)
                job = self.sim.exports.start(partner.tenant_id, now, root + "/Usage=daily", usage.usage_rows(
                    partner, self.state.seed, self.sim.usage, first=first, last=last, currency=invoice.currency,
                    invoice_number=invoice.id, attribute_set=attribute_set), None, self.state.ids.guid())
                return self._accepted(graph_root, job.id)
            else:
                rows = billing.billed_rows(invoice)
        else:
            currency = str(body.get("currencycode") or "").strip().upper()
            period = str(body.get("billingperiod") or "").strip().lower()
            if not currency or period not in ("current", "last"):
                return graph_error(400, "BadRequest", "currencyCode and billingPeriod (current or last) are required.",
                                   request)
            root = (f"unbilledusagefastpath/v1/PartnerTenantId={partner.tenant_id}/BillingMonth="
                    f"{now.strftime('%Y%m')}/BillingPeriod={period}/Currency={currency}/Fragment={attribute_set}/"
                    "PartitionType=default")
            if family == "usage":  # Azure daily-rated usage of the open period so far (usage.py)
                first, last = usage.unbilled_range(now, period)
                job = self.sim.exports.start(partner.tenant_id, now, root + "/Usage=daily", usage.usage_rows(
                    partner, self.state.seed, self.sim.usage, first=first, last=last, currency=currency,
                    attribute_set=attribute_set), None, self.state.ids.guid())
                return self._accepted(graph_root, job.id)
            rows = billing.unbilled_rows(partner, period, currency)
        lines = None if rows is None else [
            recon_render.line_item(r, mode=mode, tax_rate=tax, attribute_set=attribute_set, casing=casing)
            for r in rows]
        job = self.sim.exports.start(partner.tenant_id, now, root, lines, failure, self.state.ids.guid())
        return self._accepted(graph_root, job.id)

    def _accepted(self, graph_root: str, job_id: str) -> Response:
        return Response(b"", status=202, headers={
            "Location": f"{graph_root}/reports/partners/billing/operations/{job_id}",
            "Retry-After": str(self.state.config.billing_retry_after_seconds)})

    def _job(self, caller: Caller, job_id: str) -> ExportJob | None:
        job = self.sim.exports.jobs.get(job_id.lower())
        return job if job is not None and job.partner_tenant_id == caller.partner.tenant_id else None

    def _gone(self, job: ExportJob, request: Request) -> Response | None:
        hours = float(self.state.config.billing_link_hours or 0)
        if hours and self.state.clock.now() >= job.created + dt.timedelta(hours=hours):
            return graph_error(410, "Gone", "The export has expired. Submit a new request.", request)
        return None

    def _operation(self, request: Request, caller: Caller, graph_root: str, job_id: str) -> Response:
        job = self._job(caller, job_id)
        if job is None:
            return graph_error(404, "ResourceNotFound", f"Operation {job_id} not found.", request)
        gone = self._gone(job, request)
        if gone is not None:
            return gone
        config = self.state.config
        now = self.state.clock.now()
        manifest_id = job.manifest_id or self.state.ids.guid()
        status = self.sim.exports.poll(job, now, polls_needed=config.billing_export_polls,
                                       items_per_blob=config.billing_blob_items, sas_hours=config.billing_sas_hours,
                                       manifest_id=manifest_id)
        body: dict[str, Any] = {
            "@odata.context": f"{graph_root}/{OPERATION_CONTEXT}",
            "@odata.type": "#microsoft.graph.partners.billing.runningOperation",
            "id": job.id, "status": status, "createdDateTime": _naive(job.created),
            "lastActionDateTime": _stamp(job.finished or now),
        }
        headers: dict[str, str] = {}
        if status == "running":
            headers["Retry-After"] = str(config.billing_retry_after_seconds)
        elif status == "failed":
            assert job.failure is not None
            body["@odata.type"] = "#microsoft.graph.partners.billing.failedOperation"
            body["error"] = {"message": job.failure[1], "code": job.failure[0]}
        else:
            body["@odata.type"] = "#microsoft.graph.partners.billing.exportSuccessOperation"
            body["resourceLocation@odata.navigationLink"] = (
                f"{graph_root}/reports/partners/billing/manifests/{job.manifest_id}")
        return json_response(200, body, headers)

    def _manifest(self, request: Request, caller: Caller, manifest_id: str) -> Response:
        job_id = self.sim.exports.manifests.get(manifest_id.lower())
        job = self._job(caller, job_id) if job_id else None
        if job is None:
            return graph_error(404, "ResourceNotFound", f"Manifest {manifest_id} not found.", request)
        gone = self._gone(job, request)
        if gone is not None:
            return gone
        root = f"{request.host_url.rstrip('/')}{BLOB_PREFIX}{job.root_path}"
        return json_response(200, {
            "id": job.manifest_id, "schemaVersion": "1", "dataFormat": "compressedJSON",
            "createdDateTime": _stamp(job.finished or job.created), "eTag": job.etag,
            "partnerTenantId": job.partner_tenant_id, "rootDirectory": root,
            "sasToken": self.sim.exports.sas_token(job), "partitionType": "default",
            "blobCount": len(job.blobs),
            "blobs": [{"name": b.name, "partitionValue": "default"} for b in job.blobs],
        })

    # -- the blob store ---------------------------------------------------------------------------------------------
    def serve_blob(self, request: Request, path: str) -> Response:
        query = dict(request.args.items())
        with self.state.lock:
            status, found = self.sim.exports.blob(path[len(BLOB_PREFIX):], query, self.state.clock.now())
            delay = self.sim.exports.take_slow() if status == 200 else 0.0
        if isinstance(found, str):
            message = ("Server failed to authenticate the request. Make sure the value of Authorization header is "
                       "formed correctly including the signature." if found == "AuthenticationFailed"
                       else "The specified blob does not exist.")
            xml = (f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{found}</Code>'
                   f"<Message>{message}</Message></Error>")
            return Response(xml.encode(), status=status, content_type="application/xml",
                            headers={"x-ms-error-code": found})
        data = found.data

        def trickle() -> Iterator[bytes]:
            step = max(1, len(data) // 4)
            for offset in range(0, len(data), step):
                time.sleep(delay / 4)
                yield data[offset:offset + step]

        body: Any = trickle() if delay else data
        response = Response(body, status=200, content_type="application/octet-stream",
                            headers={"x-ms-blob-type": "BlockBlob"})
        if not delay:
            response.headers["Content-Length"] = str(len(data))
        return response
