from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from .. import _parse
from .._transport import Transport
from ..types import Cart, CartCheckoutResult, CartLineItemRequest
from ._common import cart_line_json


class CartsResource:
    """Carts: create, read, replace, check out. Checkout turns each order group into an order."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def create(
        self,
        *,
        customer_id: str,
        request_id: str,
        line_items: Sequence[CartLineItemRequest],
        partner_on_record_attestation_accepted: bool | None = None,
    ) -> Cart:
        body = self._body(line_items, partner_on_record_attestation_accepted)
        data = self._t.request_json(
            "POST",
            f"/v1/customers/{quote(customer_id)}/carts",
            json_body=body,
            request_id=request_id,
            auth=_auth_for(line_items),
            expected=(201, 200),
            operation="create cart",
        )
        return _parse.cart(data)

    def get(self, *, customer_id: str, cart_id: str) -> Cart:
        return _parse.cart(self._t.request_json("GET", f"/v1/customers/{quote(customer_id)}/carts/{quote(cart_id)}"))

    def update(
        self,
        *,
        customer_id: str,
        cart_id: str,
        request_id: str,
        line_items: Sequence[CartLineItemRequest],
        partner_on_record_attestation_accepted: bool | None = None,
    ) -> Cart:
        """Replace the cart's lines (``PUT``, the whole cart)."""
        body = self._body(line_items, partner_on_record_attestation_accepted)
        body["id"] = cart_id
        data = self._t.request_json(
            "PUT",
            f"/v1/customers/{quote(customer_id)}/carts/{quote(cart_id)}",
            json_body=body,
            request_id=request_id,
            auth=_auth_for(line_items),
            expected=(201, 200),
            operation="update cart",
        )
        return _parse.cart(data)

    def checkout(self, *, customer_id: str, cart_id: str, request_id: str) -> CartCheckoutResult:
        """``POST .../carts/{id}/checkout``. Idempotent per cart: a retry returns the first checkout's orders.

        Partly failed checkouts come back with ``order_errors`` (per order group), not as an exception."""
        data = self._t.request_json(
            "POST",
            f"/v1/customers/{quote(customer_id)}/carts/{quote(cart_id)}/checkout",
            request_id=request_id,
            # The cart may carry a partner of record (App+User only); a plain cart works with either token.
            auth="user_preferred",
            expected=(201, 200),
            operation="checkout cart",
        )
        return _checkout_result(data)

    @staticmethod
    def _body(line_items: Sequence[CartLineItemRequest], attestation: bool | None) -> dict[str, Any]:
        if not line_items:
            raise ValueError("a cart needs at least one line item")
        body: dict[str, Any] = {"lineItems": [cart_line_json(i, li) for i, li in enumerate(line_items)]}
        if attestation is not None:
            body["partnerOnRecordAttestationAccepted"] = attestation
        return body


def _auth_for(line_items: Sequence[CartLineItemRequest]) -> Any:
    # Ordering for a customer of an indirect reseller (a partner of record on a line) is documented as App+User only.
    return "user" if any(line.transaction_reseller_id for line in line_items) else "app"


def _checkout_result(data: Any) -> CartCheckoutResult:
    # One documented sample answers with a bare Order instead of a CartCheckoutResult; accept both.
    if isinstance(data, dict) and "orders" not in {k.lower() for k in data} and "id" in {k.lower() for k in data}:
        return CartCheckoutResult(orders=(_parse.order(data),))
    return _parse.checkout_result(data)
