"""Azure plan daily-rated usage line items (billing facts sheet §4): one row per Azure subscription (entitlement),
meter and usage day, from the billed or unbilled usage export v2 on Microsoft Graph."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class UsageLineItem:
    """One daily-rated usage row. Money: ``billing_pre_tax_total`` in ``billing_currency`` (after PEC and FX),
    ``pricing_pre_tax_total`` in ``pricing_currency`` (USD). ``subscription_id`` is the Azure plan,
    ``entitlement_id`` the Azure subscription. ``extra`` keeps attributes this type does not name."""

    partner_id: str | None
    customer_id: str | None
    customer_name: str | None
    invoice_number: str | None
    mpn_id: str | None
    tier2_mpn_id: str | None
    product_id: str | None
    sku_id: str | None
    sku_name: str | None
    subscription_id: str | None
    entitlement_id: str | None
    entitlement_description: str | None
    usage_date: datetime | None
    charge_start_date: datetime | None
    charge_end_date: datetime | None
    charge_type: str | None
    meter_id: str | None
    meter_name: str | None
    meter_category: str | None
    meter_sub_category: str | None
    meter_region: str | None
    meter_type: str | None
    unit: str | None
    unit_type: str | None
    resource_uri: str | None
    resource_group: str | None
    resource_location: str | None
    consumed_service: str | None
    quantity: Decimal | None
    unit_price: Decimal | None
    effective_unit_price: Decimal | None
    billing_pre_tax_total: Decimal | None
    billing_currency: str | None
    pricing_pre_tax_total: Decimal | None
    pricing_currency: str | None
    pc_to_bc_exchange_rate: Decimal | None
    pc_to_bc_exchange_rate_date: datetime | None
    partner_earned_credit_percentage: Decimal | None
    credit_percentage: Decimal | None
    credit_type: str | None
    benefit_type: str | None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)
