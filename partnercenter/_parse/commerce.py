"""Carts, checkout results, orders and order provisioning status."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import ResponseValidationError
from ..types import (
    Cart,
    CartCheckoutResult,
    CartLineItem,
    CartLineItemError,
    Order,
    OrderError,
    OrderLineItem,
    OrderProvisioningStatus,
    Pricing,
    QuantityProvisioning,
)
from .base import JsonObject, etag, root


def _pricing(o: JsonObject | None) -> Pricing | None:
    if o is None:
        return None
    return Pricing(
        list_price=o.decimal("listPrice"),
        discounted_price=o.decimal("discountedPrice"),
        prorated_price=o.decimal("proratedPrice"),
        price=o.decimal("price"),
        extended_price=o.decimal("extendedPrice"),
    )


def _key_values(items: Iterable[JsonObject]) -> tuple[tuple[str, str], ...]:
    return tuple((i.str("key") or "", i.str("value") or "") for i in items)


def _cart_line_item(o: JsonObject) -> CartLineItem:
    error = o.obj("error")
    renews_to = o.obj("renewsTo")
    context = o.raw("provisioningContext")
    additional = error.raw("additionalInformation") if error else None
    line_id = o.int("id")
    quantity = o.int("quantity")
    if line_id is None or quantity is None:
        raise ResponseValidationError("cart line item without 'id' or 'quantity'")
    return CartLineItem(
        id=line_id,
        catalog_item_id=o.req_str("catalogItemId", "cart line item"),
        quantity=quantity,
        billing_cycle=o.str("billingCycle"),
        term_duration=o.str("termDuration"),
        friendly_name=o.str("friendlyName"),
        currency_code=o.str("currencyCode"),
        promotion_id=o.str("promotionId"),
        order_group=o.str("orderGroup"),
        custom_term_end_date=o.datetime("customTermEndDate"),
        renews_to_term_duration=renews_to.str("termDuration") if renews_to else None,
        provisioning_context={str(k): str(v) for k, v in context.items()} if isinstance(context, Mapping) else {},
        participants=_key_values(o.objs("participants")),
        addon_items=tuple(_cart_line_item(a) for a in o.objs("addonItems")),
        pricing=_pricing(o.obj("pricing")),
        error=CartLineItemError(
            error_code=error.int("errorCode"),
            error_description=error.str("errorDescription"),
            additional_information=dict(additional) if isinstance(additional, Mapping) else {},
        )
        if error
        else None,
    )


def cart(data: Any) -> Cart:
    o = root(data, "cart")
    return Cart(
        id=o.req_str("id", "cart"),
        status=o.str("status"),
        line_items=tuple(_cart_line_item(li) for li in o.objs("lineItems")),
        creation_timestamp=o.datetime("creationTimestamp"),
        last_modified_timestamp=o.datetime("lastModifiedTimestamp"),
        expiration_timestamp=o.datetime("expirationTimestamp"),
        last_modified_user=o.str("lastModifiedUser"),
        partner_on_record_attestation_accepted=o.bool("partnerOnRecordAttestationAccepted"),
    )


def _order_line_item(o: JsonObject) -> OrderLineItem:
    number = o.int("lineItemNumber")
    return OrderLineItem(
        line_item_number=number if number is not None else 0,
        offer_id=o.str("offerId"),
        subscription_id=o.str("subscriptionId"),
        parent_subscription_id=o.str("parentSubscriptionId"),
        term_duration=o.str("termDuration"),
        transaction_type=o.str("transactionType"),
        friendly_name=o.str("friendlyName"),
        quantity=o.int("quantity"),
        partner_id_on_record=o.str("partnerIdOnRecord"),
        promotion_id=o.str("promotionId"),
        pricing=_pricing(o.obj("pricing")),
    )


def order(data: Any) -> Order:
    o = root(data, "order")
    return Order(
        id=o.req_str("id", "order"),
        alternate_id=o.str("alternateId"),
        reference_customer_id=o.str("referenceCustomerId"),
        billing_cycle=o.str("billingCycle"),
        currency_code=o.str("currencyCode"),
        currency_symbol=o.str("currencySymbol"),
        line_items=tuple(_order_line_item(li) for li in o.objs("lineItems")),
        creation_date=o.datetime("creationDate"),
        status=o.str("status"),
        transaction_type=o.str("transactionType"),
        total_price=o.decimal("totalPrice"),
        etag=etag(o),
    )


def checkout_result(data: Any) -> CartCheckoutResult:
    o = root(data, "checkout result")
    return CartCheckoutResult(
        orders=tuple(order(raw) for raw in (o.raw("orders") or []) if isinstance(raw, Mapping)),
        order_errors=tuple(
            OrderError(order_group_id=e.str("orderGroupId"), code=e.int("code"), description=e.str("description"))
            for e in o.objs("orderErrors")
        ),
    )


def order_provisioning_status(data: Any) -> OrderProvisioningStatus:
    o = root(data, "order provisioning status")
    number = o.int("lineItemNumber")
    return OrderProvisioningStatus(
        line_item_number=number if number is not None else o.int("orderLineItemId"),
        status=o.str("status"),
        quantity_provisioning=tuple(
            QuantityProvisioning(quantity=q.int("quantity"), status=q.str("status"))
            for q in o.objs("quantityProvisioningInformation")
        ),
    )
