"""Plain-requests helpers for the simulator's HTTP tests (deliberately not our client)."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from partnercenter.simulator.testing import SimulatorHandle

BASIC = "CFQ7TTC0LH18:0001:CFQ7TTC0K971"
MCA_TEMPLATE = "117a77b0-9360-443b-8795-c6dedc750cf9"


class Api:
    def __init__(self, sim: SimulatorHandle, tenant_id: str, *, user: bool = True) -> None:
        self.sim = sim
        self.session = sim.session(tenant_id, user=user)
        self.root = f"{sim.base_url}/v1"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.root + path, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("PATCH", path, **kwargs)

    def create_customer(self, prefix: str, *, request_id: str | None = None, **extra: Any) -> requests.Response:
        body = {
            "companyProfile": {"domain": f"{prefix}.onmicrosoft.com"},
            "billingProfile": {
                "email": f"it@{prefix}.example", "culture": "en-US", "language": "en", "companyName": prefix.title(),
                "defaultAddress": {"firstName": "Ana", "lastName": "Ruiz", "addressLine1": "400 Pine St",
                                   "city": "Seattle", "state": "WA", "postalCode": "98101", "country": "US"},
            },
            **extra,
        }
        headers = {"MS-RequestId": request_id or str(uuid.uuid4()), "MS-CorrelationId": str(uuid.uuid4())}
        return self.post("/customers", json=body, headers=headers)

    def confirm_mca(self, customer_id: str) -> requests.Response:
        return self.post(f"/customers/{customer_id}/agreements", json={
            "primaryContact": {"firstName": "Ana", "lastName": "Ruiz", "email": "ana@example.com"},
            "templateId": MCA_TEMPLATE, "dateAgreed": "2025-03-04T00:00:00Z", "type": "MicrosoftCustomerAgreement"})

    def new_customer_with_mca(self, prefix: str) -> str:
        customer_id = self.create_customer(prefix).json()["id"]
        assert self.confirm_mca(customer_id).status_code == 201
        return customer_id

    def cart(self, customer_id: str, *lines: dict[str, Any], **extra: Any) -> requests.Response:
        items = [{"id": i, **line} for i, line in enumerate(lines)]
        return self.post(f"/customers/{customer_id}/carts", json={"lineItems": items, **extra})

    def buy(self, customer_id: str, quantity: int = 10, term: str = "P1Y", cycle: str = "annual") -> dict[str, Any]:
        cart = self.cart(customer_id, {"catalogItemId": BASIC, "quantity": quantity, "billingCycle": cycle,
                                       "termDuration": term}).json()
        result = self.post(f"/customers/{customer_id}/carts/{cart['id']}/checkout")
        assert result.status_code == 201, result.text
        return result.json()

    def buy_subscription(self, customer_id: str, **kwargs: Any) -> dict[str, Any]:
        order = self.buy(customer_id, **kwargs)["orders"][0]
        self.sim.control.complete_orders()
        # Microsoft names a line's subscription only once the order has provisioned it.
        completed = self.get(f"/customers/{customer_id}/orders/{order['id']}").json()
        sid = completed["lineItems"][0]["subscriptionId"]
        return self.get(f"/customers/{customer_id}/subscriptions/{sid}").json()
