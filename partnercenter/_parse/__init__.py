"""JSON -> :mod:`partnercenter.types`. The only package that touches raw response dicts.

Partner Center property names are read case-insensitively (some documented responses are PascalCase).
Optional fields may be missing or null; a missing identifier raises :class:`ResponseValidationError`.
One module per resource family: ``customers`` (with relationships and agreements), ``catalog`` (with price-sheet
rows), ``commerce`` (carts, checkout, orders), ``subscriptions`` and ``billing`` (invoices, Graph exports,
reconciliation lines), all on ``base`` (the case-insensitive object,
value conversions, links and pages). The resources call them as ``_parse.<name>``.
"""

from __future__ import annotations

from .base import etag_of, link, page, parse_datetime, parse_us_datetime, to_decimal, to_int
from .billing import export_manifest, export_operation, invoice, invoice_summary, recon_line_item
from .catalog import availability, normalize_csv_header, price_sheet_row, product, sku
from .commerce import cart, checkout_result, order, order_provisioning_status
from .customers import (
    address,
    agreement,
    agreement_metadata,
    company_profile,
    customer,
    indirect_reseller,
    relationship_request,
)
from .lifecycle import (
    audit_record,
    mpa_status,
    product_promotion,
    promotion_eligibility_item,
    transition,
    transition_eligibility,
)
from .subscriptions import azure_entitlement, subscription, subscription_provisioning_status

__all__ = [
    "address",
    "agreement",
    "agreement_metadata",
    "audit_record",
    "availability",
    "azure_entitlement",
    "cart",
    "checkout_result",
    "company_profile",
    "customer",
    "etag_of",
    "export_manifest",
    "export_operation",
    "indirect_reseller",
    "invoice",
    "invoice_summary",
    "link",
    "mpa_status",
    "normalize_csv_header",
    "order",
    "order_provisioning_status",
    "page",
    "parse_datetime",
    "parse_us_datetime",
    "price_sheet_row",
    "product",
    "product_promotion",
    "promotion_eligibility_item",
    "recon_line_item",
    "relationship_request",
    "sku",
    "subscription",
    "subscription_provisioning_status",
    "to_decimal",
    "to_int",
    "transition",
    "transition_eligibility",
]
