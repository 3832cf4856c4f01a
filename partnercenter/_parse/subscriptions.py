"""Subscriptions, their provisioning status and Azure plan entitlements."""

from __future__ import annotations

import re
from typing import Any

from ..types import (
    AzureEntitlement,
    RefundableQuantity,
    RefundableQuantityDetail,
    ScheduledNextTermInstructions,
    Subscription,
    SubscriptionProvisioningStatus,
)
from .base import JsonObject, etag, root
from .catalog import refund_option


def _catalog_ids(o: JsonObject) -> tuple[str | None, str | None, str | None]:
    """(productId, skuId, availabilityId) from a new-commerce ``offerId`` or from the product/sku links."""
    offer_id = o.str("offerId") or ""
    parts = offer_id.split(":")
    if len(parts) == 3 and all(parts):
        return parts[0], parts[1], parts[2]
    product_id = o.str("productId")
    sku_id = o.str("skuId")
    links = o.obj("links")
    if links:
        sku_link = links.obj("sku")
        if sku_link and sku_link.str("uri"):
            match = re.search(r"/products/([^/?]+)/skus/([^/?]+)", sku_link.str("uri") or "")
            if match:
                product_id = product_id or match.group(1)
                sku_id = sku_id or match.group(2)
    return product_id, sku_id, None


def subscription(data: Any) -> Subscription:
    o = root(data, "subscription")
    product_id, sku_id, availability_id = _catalog_ids(o)
    product_type = o.obj("productType")
    refundable = o.obj("refundableQuantity")
    refundable_quantity = None
    if refundable is not None:
        refundable_quantity = RefundableQuantity(
            total_quantity=refundable.int("totalQuantity") or 0,
            details=tuple(
                RefundableQuantityDetail(
                    quantity=d.int("quantity") or 0, allowed_until=d.datetime("allowedUntilDateTime")
                )
                for d in refundable.objs("details")
            ),
        )
    return Subscription(
        id=o.req_str("id", "subscription"),
        offer_id=o.str("offerId"),
        offer_name=o.str("offerName"),
        friendly_name=o.str("friendlyName"),
        product_id=product_id,
        sku_id=sku_id,
        availability_id=availability_id,
        product_type_id=product_type.str("id") if product_type else None,
        quantity=o.int("quantity"),
        unit_type=o.str("unitType"),
        status=o.str("status"),
        auto_renew_enabled=o.bool("autoRenewEnabled"),
        billing_type=o.str("billingType"),
        billing_cycle=o.str("billingCycle"),
        term_duration=o.str("termDuration"),
        renewal_term_duration=o.str("renewalTermDuration") or None,
        creation_date=o.datetime("creationDate"),
        effective_start_date=o.datetime("effectiveStartDate"),
        commitment_end_date=o.datetime("commitmentEndDate"),
        cancellation_allowed_until_date=o.datetime("cancellationAllowedUntilDate"),
        refundable_quantity=refundable_quantity,
        refund_options=tuple(refund_option(r) for r in o.objs("refundOptions")),
        order_id=o.str("orderId"),
        parent_subscription_id=o.str("parentSubscriptionId"),
        entitlement_id=o.str("entitlementId"),
        partner_id=o.str("partnerId") or None,
        promotion_id=o.str("promotionId"),
        is_trial=o.bool("isTrial"),
        contract_type=o.str("contractType"),
        publisher_name=o.str("publisherName"),
        suspension_reasons=o.strs("suspensionReasons"),
        etag=etag(o),
        scheduled_next_term_instructions=_next_term(o.obj("scheduledNextTermInstructions")),
        has_purchasable_addons=o.bool("hasPurchasableAddons"),
    )


def _next_term(o: JsonObject | None) -> ScheduledNextTermInstructions | None:
    if o is None:
        return None
    product = o.obj("product")
    return ScheduledNextTermInstructions(
        product_id=product.str("productId") if product else None,
        sku_id=product.str("skuId") if product else None,
        availability_id=product.str("availabilityId") if product else None,
        billing_cycle=product.str("billingCycle") if product else None,
        term_duration=product.str("termDuration") if product else None,
        quantity=o.int("quantity"),
        custom_term_end_date=o.datetime("customTermEndDate"),
    )


def subscription_provisioning_status(data: Any) -> SubscriptionProvisioningStatus:
    o = root(data, "subscription provisioning status")
    return SubscriptionProvisioningStatus(
        sku_id=o.str("skuId"), status=o.str("status"), quantity=o.int("quantity"), end_date=o.datetime("endDate")
    )


def azure_entitlement(data: Any) -> AzureEntitlement:
    o = root(data, "azure entitlement")
    return AzureEntitlement(
        id=o.req_str("id", "azure entitlement"),
        friendly_name=o.str("friendlyName"),
        status=o.str("status"),
        subscription_id=o.str("subscriptionId"),
        entitlement_type=o.str("entitlementType"),
    )
