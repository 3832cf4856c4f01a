"""Create the cart and check it out. Nothing is applied to the BSS here: the subscriptions are recorded once the
Partner Center order has completed (`partner_order`)."""

from __future__ import annotations

from partnercenter.client import PartnerCenterClient
from partnercenter.types import CartLineItemRequest
from provisioning.choices import OperationKind
from provisioning.models import ProvisioningOperation
from provisioning.pipeline.base import Outcome, PermanentFailure, Step, customer_id_of, previous_step, sanitize


def create_cart(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    """A cart holds nothing until checked out, and Partner Center has no way to list carts: after a timeout a new
    cart is created (the lost one expires unused after 7 days). Checkout then always uses the cart stored here."""
    customer_id = customer_id_of(op)
    lines = op.payload["lines"]
    reseller_id = op.payload.get("transaction_reseller_id") or None
    cart = client.carts.create(
        customer_id=customer_id,
        request_id=str(op.ms_request_id),
        line_items=[
            CartLineItemRequest(
                catalog_item_id=line["catalog_item_id"],
                quantity=line["quantity"],
                billing_cycle=line["billing_cycle"],
                term_duration=line.get("term_duration") or None,
                promotion_id=line.get("promotion_id") or None,
                transaction_reseller_id=reseller_id,
            )
            for line in lines
        ],
        partner_on_record_attestation_accepted=True if reseller_id else None,
    )
    if cart.line_errors:
        names = {i: line["product_name"] for i, line in enumerate(lines)}
        problems = "; ".join(
            f"{names.get(item.id, item.catalog_item_id)}: {error.error_description or error.error_code}"
            for item, error in cart.line_errors
        )
        raise PermanentFailure(f"Partner Center refused the cart: {problems}", code="cart_line_error")
    return Outcome(result={"cart_id": cart.id}, response=sanitize(cart))


def _checkout_result(client: PartnerCenterClient, op: ProvisioningOperation, customer_id: str, cart_id: str) -> Outcome:
    result = client.carts.checkout(customer_id=customer_id, cart_id=cart_id, request_id=str(op.ms_request_id))
    if result.order_errors:
        problems = "; ".join(f"{e.description or 'error'} (code {e.code})" for e in result.order_errors)
        raise PermanentFailure(f"Checkout failed: {problems}", code=str(result.order_errors[0].code or "checkout"))
    if not result.orders:
        raise PermanentFailure("Checkout returned no order.", code="checkout_no_order")
    orders = [
        {
            "id": order.id,
            "status": order.status,
            "billing_cycle": order.billing_cycle,
            "line_items": [
                {
                    "number": li.line_item_number,
                    "offer_id": li.offer_id,
                    "subscription_id": li.subscription_id,
                    "quantity": li.quantity,
                }
                for li in order.line_items
            ],
        }
        for order in result.orders
    ]
    return Outcome(result={"cart_id": cart_id, "orders": orders}, response=sanitize(result))


def checkout(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    customer_id = customer_id_of(op)
    cart_id = previous_step(op, OperationKind.CREATE_CART).result["cart_id"]
    return _checkout_result(client, op, customer_id, cart_id)


def settle_checkout(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    """After a timeout: read the cart. Checked out ("Ordered") -> checkout again, which Partner Center answers with
    the first checkout's orders (idempotent per cart); still "Active" -> check it out now. Same cart either way."""
    customer_id = customer_id_of(op)
    cart_id = previous_step(op, OperationKind.CREATE_CART).result["cart_id"]
    cart = client.carts.get(customer_id=customer_id, cart_id=cart_id)
    outcome = _checkout_result(client, op, customer_id, cart_id)
    outcome.result["settled_by"] = f"read-back (cart was {cart.status})"
    return outcome


CREATE_CART = Step(execute=create_cart)
CHECKOUT = Step(execute=checkout, settle=settle_checkout)
