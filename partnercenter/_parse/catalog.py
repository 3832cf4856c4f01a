"""The catalog (products, SKUs, availabilities and their terms) and price-sheet rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ResponseValidationError
from ..types import Availability, PriceSheetRow, Product, RefundOption, Sku, Term
from .base import JsonObject, parse_us_datetime, root, to_decimal


def product(data: Any) -> Product:
    o = root(data, "product")
    product_type = o.obj("productType")
    sub_type = product_type.obj("subType") if product_type else None
    return Product(
        id=o.req_str("id", "product"),
        title=o.str("title"),
        description=o.str("description"),
        product_type_id=product_type.str("id") if product_type else None,
        product_type_name=product_type.str("displayName") if product_type else None,
        product_sub_type_id=sub_type.str("id") if sub_type else None,
        is_microsoft_product=o.bool("isMicrosoftProduct"),
        publisher_name=o.str("publisherName"),
    )


def sku(data: Any) -> Sku:
    o = root(data, "sku")
    dynamic = o.raw("dynamicAttributes")
    return Sku(
        id=o.req_str("id", "sku"),
        product_id=o.str("productId"),
        title=o.str("title"),
        description=o.str("description"),
        minimum_quantity=o.int("minimumQuantity"),
        maximum_quantity=o.int("maximumQuantity"),
        is_trial=o.bool("isTrial"),
        supported_billing_cycles=o.strs("supportedBillingCycles"),
        purchase_prerequisites=o.strs("purchasePrerequisites"),
        inventory_variables=o.strs("inventoryVariables"),
        provisioning_variables=o.strs("provisioningVariables"),
        actions=o.strs("actions"),
        dynamic_attributes=dict(dynamic) if isinstance(dynamic, Mapping) else {},
    )


def refund_option(o: JsonObject) -> RefundOption:
    return RefundOption(
        type=o.str("type"),
        sequence_id=o.int("sequenceId"),
        expires_after=o.str("expiresAfter"),
        expires_at=o.datetime("expiresAt"),
    )


def _term(o: JsonObject) -> Term:
    refund_options: list[RefundOption] = []
    for policy in o.objs("cancellationPolicies"):
        refund_options.extend(refund_option(r) for r in policy.objs("refundOptions"))
    return Term(
        duration=o.str("duration"),
        billing_cycle=(o.str("billingCycle") or "").lower() or None,
        id=o.str("id"),
        description=o.str("description"),
        refund_options=tuple(refund_options),
    )


def availability(data: Any) -> Availability:
    o = root(data, "availability")
    currency = o.obj("defaultCurrency")
    return Availability(
        id=o.req_str("id", "availability"),
        product_id=o.str("productId"),
        sku_id=o.str("skuId"),
        catalog_item_id=o.str("catalogItemId"),
        currency_code=currency.str("code") if currency else None,
        segment=o.str("segment"),
        country=o.str("country"),
        is_purchasable=o.bool("isPurchasable"),
        is_renewable=o.bool("isRenewable"),
        terms=tuple(_term(t) for t in o.objs("terms")),
    )


_PRICE_SHEET_COLUMNS = {
    "producttitle": "product_title",
    "productid": "product_id",
    "skuid": "sku_id",
    "skutitle": "sku_title",
    "publisher": "publisher",
    "skudescription": "sku_description",
    "unitofmeasure": "unit_of_measure",
    "termduration": "term_duration",
    "billingplan": "billing_plan",
    "market": "market",
    "currency": "currency",
    "tags": "tags",
}


def normalize_csv_header(name: str) -> str:
    # Microsoft's sample ends the last header with a typographic quote ("ERP Price“).
    return name.strip().strip("\ufeff\"'\u201c\u201d ").strip()


def price_sheet_row(header: list[str], values: list[str]) -> PriceSheetRow:
    fields: dict[str, Any] = {}
    extra: dict[str, str] = {}
    for name, value in zip(header, values, strict=False):
        key = name.replace(" ", "").lower()
        if key in _PRICE_SHEET_COLUMNS:
            fields[_PRICE_SHEET_COLUMNS[key]] = value or None
        elif key == "unitprice":
            fields["unit_price"] = to_decimal(value)
        elif key == "erpprice":
            fields["erp_price"] = to_decimal(value)
        elif key == "pricingtierrangemin":
            fields["pricing_tier_range_min"] = to_decimal(value)
        elif key == "pricingtierrangemax":
            fields["pricing_tier_range_max"] = to_decimal(value)
        elif key == "effectivestartdate":
            fields["effective_start_date"] = parse_us_datetime(value)
        elif key == "effectiveenddate":
            fields["effective_end_date"] = parse_us_datetime(value)
        else:
            extra[name] = value
    if not fields.get("product_id") or not fields.get("sku_id"):
        raise ResponseValidationError("price sheet row without ProductId/SkuId")
    return PriceSheetRow(extra=extra, **fields)
