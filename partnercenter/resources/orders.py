from __future__ import annotations

import builtins
from urllib.parse import quote

from .. import _parse
from .._transport import Transport
from ..pagination import iter_items, iter_pages
from ..types import Order, OrderProvisioningStatus


class OrdersResource:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def get(self, *, customer_id: str, order_id: str, include_price: bool = False) -> Order:
        params = {"include_price": "true"} if include_price else None
        data = self._t.request_json(
            "GET", f"/v1/customers/{quote(customer_id)}/orders/{quote(order_id)}", params=params
        )
        return _parse.order(data)

    def list(self, *, customer_id: str, billing_type: str | None = None) -> list[Order]:
        """All orders of a customer. New orders can take minutes to show up here; use :meth:`get`."""
        params = {"billingType": billing_type} if billing_type else None
        pages = iter_pages(
            self._t, f"/v1/customers/{quote(customer_id)}/orders", params=params, parser=_parse.order, what="orders"
        )
        return list(iter_items(pages))

    def get_provisioning_status(self, *, customer_id: str, order_id: str) -> builtins.list[OrderProvisioningStatus]:
        """Per-line provisioning (App+User only)."""
        pages = iter_pages(
            self._t,
            f"/v1/customers/{quote(customer_id)}/orders/{quote(order_id)}/provisioningstatus",
            params=None,
            parser=_parse.order_provisioning_status,
            what="order provisioning status",
            auth="user",
        )
        return list(iter_items(pages))
