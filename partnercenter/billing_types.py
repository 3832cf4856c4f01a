"""Typed results of Microsoft's bill: invoices and invoice summaries (Partner Center v1), the reconciliation
export's operation and manifest (Microsoft Graph), and the new-commerce invoice reconciliation line item with
every attribute of the billing facts sheet §2.6. Built only by :mod:`partnercenter._parse`.

Money and quantities are :class:`~decimal.Decimal`; timestamps are timezone-aware :class:`~datetime.datetime`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

__all__ = [
    "ExportBlob",
    "ExportManifest",
    "ExportOperation",
    "Invoice",
    "InvoiceDetail",
    "InvoiceSummary",
    "ReconLineItem",
]


@dataclass(frozen=True, slots=True)
class InvoiceDetail:
    invoice_line_item_type: str | None
    billing_provider: str | None
    uri: str | None


@dataclass(frozen=True, slots=True)
class Invoice:
    """``id`` is the invoice number: ``G…`` new commerce, ``D…`` legacy (the v2 exports accept ``G…`` only)."""

    id: str
    invoice_date: datetime | None
    billing_period_start: datetime | None
    billing_period_end: datetime | None
    total_charges: Decimal | None
    paid_amount: Decimal | None
    currency_code: str | None
    currency_symbol: str | None
    document_type: str | None
    invoice_type: str | None
    status: str | None
    pdf_download_link: str | None = None
    details: tuple[InvoiceDetail, ...] = ()
    amendments: tuple[Invoice, ...] = ()
    amends_of: str | None = None

    @property
    def is_new_commerce(self) -> bool:
        return self.id.upper().startswith("G")


@dataclass(frozen=True, slots=True)
class InvoiceSummary:
    """One currency's account summary; ``balance_amount`` is what is unpaid."""

    currency_code: str | None
    currency_symbol: str | None
    balance_amount: Decimal | None
    accounting_date: datetime | None
    first_invoice_creation_date: datetime | None
    last_payment_date: datetime | None
    last_payment_amount: Decimal | None
    latest_invoice_date: datetime | None
    details: tuple[tuple[str, Decimal | None], ...] = ()
    """(invoice type, balance) per invoice type (``Recurring``, ``OneTime``)."""


@dataclass(frozen=True, slots=True)
class ExportBlob:
    name: str
    partition_value: str | None = None


@dataclass(frozen=True, slots=True)
class ExportManifest:
    id: str
    schema_version: str | None
    data_format: str | None
    created: datetime | None
    etag: str | None
    partner_tenant_id: str | None
    root_directory: str
    sas_token: str
    partition_type: str | None
    blob_count: int
    blobs: tuple[ExportBlob, ...]

    def blob_url(self, blob: ExportBlob) -> str:
        """``{rootDirectory}/{name}?{sasToken}`` as Microsoft's sample builds it."""
        return f"{self.root_directory.rstrip('/')}/{blob.name}?{self.sas_token.lstrip('?')}"


@dataclass(frozen=True, slots=True)
class ExportOperation:
    """``status``: ``notstarted``, ``running``, ``succeeded`` (``completed`` is read as ``succeeded``) or
    ``failed``. On success ``manifest_url`` or the inline ``manifest`` is set; on failure ``error_code`` and
    ``error_message``."""

    id: str
    status: str
    created: datetime | None
    last_action: datetime | None
    manifest_url: str | None = None
    manifest: ExportManifest | None = None
    error_code: str | None = None
    error_message: str | None = None
    retry_after: float | None = None

    @property
    def done(self) -> bool:
        return self.status in ("succeeded", "failed")


@dataclass(frozen=True, slots=True)
class ReconLineItem:
    """One new-commerce invoice reconciliation line (billed or unbilled). Refund rows carry a negative
    ``effective_unit_price`` and ``subtotal``; rows of one refund/charge pair share ``reference_id``.
    ``extra`` keeps attributes this type does not name (new columns Microsoft adds)."""

    partner_id: str | None
    customer_id: str | None
    customer_name: str | None
    customer_domain_name: str | None
    customer_country: str | None
    invoice_number: str | None
    mpn_id: str | None
    reseller_mpn_id: str | None
    order_id: str | None
    order_date: datetime | None
    product_id: str | None
    sku_id: str | None
    availability_id: str | None
    sku_name: str | None
    product_name: str | None
    charge_type: str | None
    unit_price: Decimal | None
    quantity: Decimal | None
    subtotal: Decimal | None
    tax_total: Decimal | None
    total_for_customer: Decimal | None
    currency: str | None
    price_adjustment_description: tuple[str, ...]
    publisher_name: str | None
    publisher_id: str | None
    subscription_description: str | None
    subscription_id: str | None
    charge_start_date: datetime | None
    charge_end_date: datetime | None
    term_and_billing_cycle: str | None
    effective_unit_price: Decimal | None
    unit_type: str | None
    alternate_id: str | None
    billable_quantity: Decimal | None
    billing_frequency: str | None
    pricing_currency: str | None
    pc_to_bc_exchange_rate: Decimal | None
    pc_to_bc_exchange_rate_date: datetime | None
    meter_description: str | None
    reservation_order_id: str | None
    credit_reason_code: str | None
    subscription_start_date: datetime | None
    subscription_end_date: datetime | None
    reference_id: str | None
    product_qualifiers: tuple[str, ...]
    promotion_id: str | None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_refund(self) -> bool:
        return self.subtotal is not None and self.subtotal < 0
