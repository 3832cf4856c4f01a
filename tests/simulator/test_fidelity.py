"""Where the simulator used to be kinder than Microsoft: each test pins the documented behaviour."""

from __future__ import annotations

import http.client
import io
import ssl
import uuid
import zipfile

import pytest

from partnercenter.simulator.testing import SimulatorHandle

from .helpers import BASIC, Api


@pytest.fixture
def api(pc_sim: SimulatorHandle) -> Api:
    return Api(pc_sim, pc_sim.partners.direct.tenant_id)


def _checkout(api: Api, customer: str, quantity: int = 5) -> dict:
    cart = api.cart(customer, {"catalogItemId": BASIC, "quantity": quantity, "billingCycle": "annual",
                               "termDuration": "P1Y"}).json()
    result = api.post(f"/customers/{customer}/carts/{cart['id']}/checkout")
    assert result.status_code == 201, result.text
    return result.json()["orders"][0]


def test_checkout_names_no_subscription_until_the_order_completes(api: Api, pc_sim: SimulatorHandle) -> None:
    customer = api.new_customer_with_mca("pendingsubco")
    order = _checkout(api, customer)

    assert order["status"] == "pending"
    assert all(not line.get("subscriptionId") for line in order["lineItems"])
    pending_ids = [line.get("subscriptionId") for line in
                   api.get(f"/customers/{customer}/orders/{order['id']}").json()["lineItems"]]
    assert pending_ids == [None]

    pc_sim.control.complete_orders()
    done = api.get(f"/customers/{customer}/orders/{order['id']}").json()
    sid = done["lineItems"][0]["subscriptionId"]
    assert done["status"] == "completed" and sid
    assert api.get(f"/customers/{customer}/subscriptions/{sid}").status_code == 200
    listed = api.get(f"/customers/{customer}/subscriptions", params={"order_id": order["id"]}).json()["items"]
    assert [s["id"] for s in listed] == [sid]


def test_a_subscription_id_is_not_found_while_its_order_is_pending(api: Api, pc_sim: SimulatorHandle) -> None:
    customer = api.new_customer_with_mca("pendingget")
    order = _checkout(api, customer)
    future_id = pc_sim.app.state.partners[pc_sim.partners.direct.tenant_id].orders[order["id"]].lines[0].subscription_id

    assert api.get(f"/customers/{customer}/subscriptions/{future_id}").status_code == 404


def test_reducing_seats_after_the_window_answers_800090(api: Api, pc_sim: SimulatorHandle) -> None:
    customer = api.new_customer_with_mca("latereduce")
    sub = api.buy_subscription(customer, quantity=10)
    pc_sim.control.advance(hours=169)

    too_late = api.patch(f"/customers/{customer}/subscriptions/{sub['id']}", json={**sub, "quantity": 8})

    assert (too_late.status_code, too_late.json()["code"]) == (400, 800090)


def test_subscription_patch_may_answer_202_with_location(api: Api, pc_sim: SimulatorHandle) -> None:
    pc_sim.control.configure(subscription_patch_accepted_rate=1.0)
    customer = api.new_customer_with_mca("acceptedpatch")
    sub = api.buy_subscription(customer, quantity=3)

    answer = api.patch(f"/customers/{customer}/subscriptions/{sub['id']}", json={**sub, "quantity": 4})

    assert answer.status_code == 202
    assert answer.headers["Location"].endswith(f"/customers/{customer}/subscriptions/{sub['id']}")
    assert api.get(f"/customers/{customer}/subscriptions/{sub['id']}").json()["quantity"] == 4


def test_price_sheet_is_zipped_when_deflate_is_accepted(pc_sim: SimulatorHandle) -> None:
    session = pc_sim.session()
    token = pc_sim.control.token(pc_sim.partners.direct.tenant_id, user=True,
                                 audience="https://api.partner.microsoft.com")
    url = f"{pc_sim.base_url}/v1.0/sales/pricesheets(Market='US',PricesheetView='updatedlicensebased')/$value"

    zipped = session.get(url, headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "deflate"})

    assert zipped.status_code == 200
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        (name,) = archive.namelist()
        text = archive.read(name).decode("utf-8-sig")
    assert name.endswith(".csv")
    assert text.startswith('"ProductTitle","ProductId"')


def test_cart_post_is_idempotent_on_request_id(api: Api) -> None:
    customer = api.new_customer_with_mca("idemcart")
    body = {"lineItems": [{"id": 0, "catalogItemId": BASIC, "quantity": 2, "billingCycle": "annual",
                           "termDuration": "P1Y"}]}
    headers = {"MS-RequestId": str(uuid.uuid4())}

    first = api.post(f"/customers/{customer}/carts", json=body, headers=headers)
    replay = api.post(f"/customers/{customer}/carts", json=body, headers=headers)

    assert first.status_code == replay.status_code == 201
    assert replay.json()["id"] == first.json()["id"]


def test_a_line_without_billing_cycle_is_a_line_error(api: Api) -> None:
    customer = api.new_customer_with_mca("nocyclecart")
    answer = api.cart(customer, {"catalogItemId": BASIC, "quantity": 2, "termDuration": "P1Y"},
                      {"catalogItemId": BASIC, "quantity": 2, "termDuration": "P1Y", "billingCycle": "annual"})

    assert answer.status_code == 201, answer.text
    first, second = answer.json()["lineItems"]
    assert first["error"]["errorCode"] == 10010
    assert "error" not in second or not second["error"]


def test_orders_leave_prices_out_unless_asked(api: Api) -> None:
    customer = api.new_customer_with_mca("nopriceco")
    order = _checkout(api, customer)

    plain = api.get(f"/customers/{customer}/orders/{order['id']}").json()
    priced = api.get(f"/customers/{customer}/orders/{order['id']}", params={"include_price": "true"}).json()

    assert "totalPrice" not in plain and "pricing" not in plain["lineItems"][0]
    assert priced["totalPrice"] > 0 and priced["lineItems"][0]["pricing"]["price"] > 0


def test_next_links_carry_v1(api: Api) -> None:
    for n in range(4):
        api.create_customer(f"vonelink{n}")

    page = api.get("/customers", params={"size": 2}).json()

    assert page["links"]["next"]["uri"].startswith("/v1/customers?")


def test_one_connection_serves_many_calls(pc_sim: SimulatorHandle) -> None:
    """Keep-alive: a client pays the TLS handshake once, not on every call."""
    token = pc_sim.control.token(pc_sim.partners.direct.tenant_id)
    host, port = pc_sim.base_url.split("//")[1].split(":")
    context = ssl.create_default_context(cafile=str(pc_sim.ca_bundle))
    connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=10)
    try:
        for _ in range(3):
            connection.request("GET", "/v1/customers?size=1", headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            assert response.version == 11
            assert (response.getheader("Connection") or "").lower() != "close"
    finally:
        connection.close()


def test_an_accepted_fault_turns_a_patch_into_202(api: Api, pc_sim: SimulatorHandle) -> None:
    customer = api.new_customer_with_mca("acceptedfault")
    sub = api.buy_subscription(customer, quantity=3)
    path = f"/customers/{customer}/subscriptions/{sub['id']}"
    pc_sim.control.inject_fault("accepted", method="PATCH", path="/v1/customers/*/subscriptions/*")

    first = api.patch(path, json={**sub, "quantity": 4})
    second = api.patch(path, json={**api.get(path).json(), "quantity": 5})

    assert (first.status_code, first.headers["Location"]) == (202, f"/v1{path}")
    assert second.status_code == 200 and second.json()["quantity"] == 5
