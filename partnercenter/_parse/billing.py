"""Microsoft's bill: invoices and summaries (Partner Center v1), export operations and manifests (Graph), and
reconciliation line items from the export blobs (any key casing: API names or file columns)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..billing_types import (
    ExportBlob,
    ExportManifest,
    ExportOperation,
    Invoice,
    InvoiceDetail,
    InvoiceSummary,
    ReconLineItem,
)
from ..errors import ResponseValidationError
from .base import JsonObject, parse_datetime, root, to_decimal

_STATUSES = {"completed": "succeeded", "notstarted": "notstarted", "not_started": "notstarted"}


def _self_uri(detail: JsonObject) -> str | None:
    links = detail.obj("links")
    own = links.obj("self") if links else None
    return own.str("uri") if own else None


def invoice(data: Any) -> Invoice:
    o = root(data, "invoice")
    details = tuple(
        InvoiceDetail(
            invoice_line_item_type=d.str("invoiceLineItemType"),
            billing_provider=d.str("billingProvider"),
            uri=_self_uri(d),
        )
        for d in o.objs("invoiceDetails")
    )
    amendments = o.raw("amendments")
    return Invoice(
        id=o.req_str("id", "invoice"),
        invoice_date=o.datetime("invoiceDate"),
        billing_period_start=o.datetime("billingPeriodStartDate"),
        billing_period_end=o.datetime("billingPeriodEndDate"),
        total_charges=o.decimal("totalCharges"),
        paid_amount=o.decimal("paidAmount"),
        currency_code=o.str("currencyCode"),
        currency_symbol=o.str("currencySymbol"),
        document_type=o.str("documentType"),
        invoice_type=o.str("invoiceType"),
        status=o.str("status"),
        pdf_download_link=o.str("pdfDownloadLink"),
        details=details,
        amendments=tuple(invoice(a) for a in amendments if isinstance(a, Mapping))
        if isinstance(amendments, list) else (),
        amends_of=o.str("amendsOf"),
    )


def invoice_summary(data: Any) -> InvoiceSummary:
    o = root(data, "invoice summary")
    details = []
    for d in o.objs("details"):
        summary = d.obj("summary")
        details.append((d.str("invoiceType") or "", summary.decimal("balanceAmount") if summary else None))
    return InvoiceSummary(
        currency_code=o.str("currencyCode"),
        currency_symbol=o.str("currencySymbol"),
        balance_amount=o.decimal("balanceAmount"),
        accounting_date=o.datetime("accountingDate"),
        first_invoice_creation_date=o.datetime("firstInvoiceCreationDate"),
        last_payment_date=o.datetime("lastPaymentDate"),
        last_payment_amount=o.decimal("lastPaymentAmount"),
        latest_invoice_date=o.datetime("latestInvoiceDate"),
        details=tuple(details),
    )


def export_manifest(data: Any) -> ExportManifest:
    o = root(data, "export manifest")
    blobs = tuple(ExportBlob(name=b.req_str("name", "manifest blob"), partition_value=b.str("partitionValue"))
                  for b in o.objs("blobs"))
    count = o.int("blobCount")
    return ExportManifest(
        id=o.req_str("id", "export manifest"),
        schema_version=o.str("schemaVersion"),
        data_format=o.str("dataFormat"),
        created=o.datetime("createdDateTime"),
        etag=o.str("eTag"),
        partner_tenant_id=o.str("partnerTenantId"),
        root_directory=o.req_str("rootDirectory", "export manifest"),
        sas_token=o.str("sasToken") or "",
        partition_type=o.str("partitionType"),
        blob_count=len(blobs) if count is None else count,
        blobs=blobs,
    )


def export_operation(data: Any, *, retry_after: float | None = None) -> ExportOperation:
    """An operation; ``resourceLocation`` is read as a navigation link or as an inline manifest."""
    o = root(data, "export operation")
    status = (o.str("status") or "").strip().lower()
    status = _STATUSES.get(status, status)
    if not status:
        raise ResponseValidationError("export operation without 'status' in Microsoft Graph response")
    manifest_url = o.str("resourceLocation@odata.navigationLink")
    manifest = None
    location = o.raw("resourceLocation")
    if isinstance(location, Mapping):
        manifest = export_manifest(location)
    elif isinstance(location, str) and location and not manifest_url:
        manifest_url = location
    error = o.obj("error")
    return ExportOperation(
        id=o.req_str("id", "export operation"),
        status=status,
        created=o.datetime("createdDateTime"),
        last_action=o.datetime("lastActionDateTime"),
        manifest_url=manifest_url,
        manifest=manifest,
        error_code=error.str("code") if error else None,
        error_message=error.str("message") if error else None,
        retry_after=retry_after,
    )


def _json_list(value: Any) -> tuple[str, ...]:
    """``["15.0% Partner earned credit ..."]`` sent as JSON-array text (or as a list, or as plain text)."""
    if value is None or value == "":
        return ()
    if isinstance(value, list):
        return tuple(str(v) for v in value if v is not None)
    text = str(value).strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            return (text,)
        if isinstance(parsed, list):
            return tuple(str(v) for v in parsed if v is not None)
    return (text,)


# attribute -> the names it may arrive under (compared case-insensitively); the first is the API name.
_ALIASES: dict[str, tuple[str, ...]] = {
    "reseller_mpn_id": ("resellerMpnId", "tier2MpnId"),
    "total_for_customer": ("totalForCustomer", "total"),
    "pc_to_bc_exchange_rate": ("pcToBCExchangeRate",),
    "pc_to_bc_exchange_rate_date": ("pcToBCExchangeRateDate",),
}
_TEXT = (
    "partner_id", "customer_id", "customer_name", "customer_domain_name", "customer_country", "invoice_number",
    "mpn_id", "reseller_mpn_id", "order_id", "product_id", "sku_id", "availability_id", "sku_name",
    "product_name", "charge_type", "currency", "publisher_name", "publisher_id", "subscription_description",
    "subscription_id", "term_and_billing_cycle", "unit_type", "alternate_id", "billing_frequency",
    "pricing_currency", "meter_description", "reservation_order_id", "credit_reason_code", "reference_id",
    "promotion_id",
)
_MONEY = ("unit_price", "quantity", "subtotal", "tax_total", "total_for_customer", "effective_unit_price",
          "billable_quantity", "pc_to_bc_exchange_rate")
_DATES = ("order_date", "charge_start_date", "charge_end_date", "pc_to_bc_exchange_rate_date",
          "subscription_start_date", "subscription_end_date")
_LISTS = ("price_adjustment_description", "product_qualifiers")


def _names(attribute: str) -> tuple[str, ...]:
    if attribute in _ALIASES:
        return _ALIASES[attribute]
    head, *rest = attribute.split("_")
    return (head + "".join(p.capitalize() for p in rest),)


_KNOWN = {n.lower() for a in (*_TEXT, *_MONEY, *_DATES, *_LISTS) for n in _names(a)}


def recon_line_item(data: Any) -> ReconLineItem:
    """One JSON Lines row of a reconciliation blob (or a v1 line item: numbers may arrive as strings)."""
    if not isinstance(data, Mapping):
        raise ResponseValidationError(f"expected a JSON object for a reconciliation line, got {type(data).__name__}")
    lowered = {str(k).lower(): v for k, v in data.items()}

    def raw(attribute: str) -> Any:
        for name in _names(attribute):
            value = lowered.get(name.lower())
            if value is not None:
                return value
        return None

    values: dict[str, Any] = {}
    for attribute in _TEXT:
        value = raw(attribute)
        values[attribute] = None if value is None or value == "" else str(value)
    for attribute in _MONEY:
        values[attribute] = to_decimal(raw(attribute))
    for attribute in _DATES:
        values[attribute] = parse_datetime(raw(attribute))
    for attribute in _LISTS:
        values[attribute] = _json_list(raw(attribute))
    extra = {str(k): v for k, v in data.items() if str(k).lower() not in _KNOWN}
    return ReconLineItem(**values, extra=extra)


__all__ = ["export_manifest", "export_operation", "invoice", "invoice_summary", "recon_line_item"]
