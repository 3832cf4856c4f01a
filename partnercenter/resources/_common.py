from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..types import Address, CartLineItemRequest


def drop_none(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def address_json(address: Address) -> dict[str, Any]:
    return drop_none(
        {
            "country": address.country,
            "region": address.region,
            "city": address.city,
            "state": address.state,
            "addressLine1": address.address_line1,
            "addressLine2": address.address_line2,
            "addressLine3": address.address_line3,
            "postalCode": address.postal_code,
            "firstName": address.first_name,
            "lastName": address.last_name,
            "phoneNumber": address.phone_number,
        }
    )


def customer_filter(company_name: str | None, domain: str | None, indirect_reseller_id: str | None) -> str | None:
    chosen = [
        (f, v)
        for f, v in (("CompanyName", company_name), ("Domain", domain), ("IndirectReseller", indirect_reseller_id))
        if v
    ]
    if not chosen:
        return None
    if len(chosen) > 1:
        raise ValueError("Partner Center accepts one customer filter at a time")
    field, value = chosen[0]
    return json.dumps({"Field": field, "Value": value, "Operator": "starts_with"}, separators=(",", ":"))


def iso_utc(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cart_line_json(index: int, line: CartLineItemRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": index,
        "catalogItemId": line.catalog_item_id,
        "quantity": line.quantity,
        "billingCycle": line.billing_cycle,
    }
    if line.term_duration:
        body["termDuration"] = line.term_duration
    if line.friendly_name:
        body["friendlyName"] = line.friendly_name
    if line.promotion_id:
        body["promotionId"] = line.promotion_id
    if line.custom_term_end_date is not None:
        body["customTermEndDate"] = iso_utc(line.custom_term_end_date)
    if line.transaction_reseller_id:
        body["participants"] = [{"key": "transaction_reseller", "value": line.transaction_reseller_id}]
    if line.provisioning_context:
        body["provisioningContext"] = dict(line.provisioning_context)
    if line.attestation_accepted is not None:
        body["attestationAccepted"] = line.attestation_accepted
    return body
