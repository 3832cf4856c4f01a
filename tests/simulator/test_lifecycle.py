"""New-commerce lifecycle in the simulator: transitions, add-ons, promotions, scheduled next-term instructions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from partnercenter.simulator.testing import SimulatorHandle

from .helpers import BASIC, Api

STANDARD = "CFQ7TTC0LDPB:0001"


@pytest.fixture
def api(pc_sim: SimulatorHandle) -> Api:
    return Api(pc_sim, pc_sim.partners.direct.tenant_id)


def _path(customer: str, sid: str) -> str:
    return f"/customers/{customer}/subscriptions/{sid}"


def _standard_item(api: Api, eligibilities: list[dict]) -> dict:
    return next(i for i in eligibilities if i["catalogItemId"].startswith(STANDARD))


def test_transition_eligibilities_list_the_upgrade_targets(api: Api) -> None:
    customer = api.new_customer_with_mca("upgradeco")
    sub = api.buy_subscription(customer, quantity=10)

    answer = api.get(f"{_path(customer, sub['id'])}/transitionEligibilities", params={"eligibilityType": "immediate"})

    assert answer.status_code == 200
    item = _standard_item(api, answer.json()["items"])
    assert item["attributes"]["objectType"] == "TransitionEligibility"
    assert {e["transitionType"] for e in item["eligibilities"]} == {"transition_only",
                                                                     "transition_with_license_transfer"}
    assert all(e["isEligible"] for e in item["eligibilities"])


def test_partial_transition_to_a_new_target_is_co_terminous(api: Api) -> None:
    customer = api.new_customer_with_mca("partialupgrade")
    sub = api.buy_subscription(customer, quantity=10)
    target = _standard_item(api, api.get(f"{_path(customer, sub['id'])}/transitionEligibilities").json()["items"])

    done = api.post(f"{_path(customer, sub['id'])}/transitions",
                    json={"toCatalogItemId": target["catalogItemId"], "quantity": 4,
                          "transitionType": "transition_with_license_transfer"})

    assert done.status_code == 200, done.text
    body = done.json()
    assert body["events"][0] == {"name": "Conversion", "status": "Started", "timestamp": body["events"][0]["timestamp"]}
    source = api.get(_path(customer, sub["id"])).json()
    new = api.get(_path(customer, body["toSubscriptionId"])).json()
    assert source["quantity"] == 6 and source["status"] == "active"
    assert new["quantity"] == 4 and new["offerId"] == target["catalogItemId"]
    assert new["commitmentEndDate"] == source["commitmentEndDate"]
    listed = api.get(f"{_path(customer, sub['id'])}/transitions").json()["items"]
    assert [t["status"] for t in listed] == ["Completed"]


def test_full_transition_into_an_existing_target(api: Api, pc_sim: SimulatorHandle) -> None:
    customer = api.new_customer_with_mca("fullupgrade")
    sub = api.buy_subscription(customer, quantity=3)
    target = _standard_item(api, api.get(f"{_path(customer, sub['id'])}/transitionEligibilities").json()["items"])
    cart = api.cart(customer, {"catalogItemId": target["catalogItemId"], "quantity": 2, "billingCycle": "annual",
                               "termDuration": "P1Y"}).json()
    order = api.post(f"/customers/{customer}/carts/{cart['id']}/checkout").json()["orders"][0]
    pc_sim.control.complete_orders()
    existing = api.get(f"/customers/{customer}/orders/{order['id']}").json()["lineItems"][0]["subscriptionId"]
    blocked = api.post(f"{_path(customer, sub['id'])}/transitions",
                       json={"toCatalogItemId": target["catalogItemId"], "quantity": 3, "toSubscriptionId": existing})
    assert blocked.status_code == 400  # the destination is still inside its cancellation window
    pc_sim.control.advance(hours=169)

    done = api.post(f"{_path(customer, sub['id'])}/transitions",
                    json={"toCatalogItemId": target["catalogItemId"], "quantity": 3, "toSubscriptionId": existing})

    assert done.status_code == 200, done.text
    assert api.get(_path(customer, existing)).json()["quantity"] == 5
    assert api.get(_path(customer, sub["id"])).json()["status"] != "active"


def test_transition_to_a_non_target_is_refused(api: Api) -> None:
    customer = api.new_customer_with_mca("badupgrade")
    sub = api.buy_subscription(customer, quantity=3)

    refused = api.post(f"{_path(customer, sub['id'])}/transitions", json={"toCatalogItemId": BASIC, "quantity": 1})

    assert refused.status_code == 400


def test_scheduled_next_term_instruction_must_name_an_existing_target(api: Api) -> None:
    customer = api.new_customer_with_mca("nexttermco")
    sub = api.buy_subscription(customer, quantity=5)
    bogus = {"product": {"productId": "CFQ7TTC0ZZZZ", "skuId": "0009", "availabilityId": "CFQ7TTC0ZZZZ",
                         "billingCycle": "annual", "termDuration": "P1Y"}, "quantity": 5}

    refused = api.patch(_path(customer, sub["id"]), json={**sub, "scheduledNextTermInstructions": bogus})

    assert refused.status_code == 400


def test_a_sku_change_applies_at_renewal_and_a_mid_term_change_deletes_it(api: Api, pc_sim: SimulatorHandle) -> None:
    customer = api.new_customer_with_mca("skuatrenewal")
    sub = api.buy_subscription(customer, quantity=5)
    target = _standard_item(api, api.get(f"{_path(customer, sub['id'])}/transitionEligibilities",
                                         params={"eligibilityType": "scheduled"}).json()["items"])
    product_id, sku_id, availability_id = target["catalogItemId"].split(":")
    instructions = {"product": {"productId": product_id, "skuId": sku_id, "availabilityId": availability_id,
                                "billingCycle": "annual", "termDuration": "P1Y"}, "quantity": 7}

    scheduled = api.patch(_path(customer, sub["id"]), json={**sub, "scheduledNextTermInstructions": instructions})
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["offerId"] == BASIC  # nothing changes mid-term
    raised = api.patch(_path(customer, sub["id"]), json={**scheduled.json(), "quantity": 6})
    assert raised.json()["scheduledNextTermInstructions"] is None  # any mid-term change deletes it

    again = api.patch(_path(customer, sub["id"]), json={**raised.json(), "scheduledNextTermInstructions": instructions})
    assert again.status_code == 200
    pc_sim.control.advance(days=367)
    renewed = api.get(_path(customer, sub["id"])).json()
    assert renewed["offerId"] == target["catalogItemId"] and renewed["quantity"] == 7
    assert renewed["scheduledNextTermInstructions"] is None


def test_add_on_is_co_terminous_with_its_base_and_listed_under_it(api: Api, pc_sim: SimulatorHandle) -> None:
    customer = api.new_customer_with_mca("addonco")
    base = api.buy_subscription(customer, quantity=5)
    assert base["hasPurchasableAddons"] is True
    pc_sim.control.advance(days=40)
    addon_offer = next(
        o for o in pc_sim.app.backend.catalog.offers("US").values()
        if (s := pc_sim.app.backend.catalog.market("US").skus[(o.product_id, o.sku_id)]).is_addon
        and "CFQ7TTC0LH18:0001" in s.prerequisite_skus and o.term("P1Y", "annual") is not None
    )
    cart = api.cart(customer, {"catalogItemId": addon_offer.catalog_item_id, "quantity": 2, "billingCycle": "annual",
                               "termDuration": "P1Y"}).json()
    order = api.post(f"/customers/{customer}/carts/{cart['id']}/checkout").json()["orders"][0]
    pc_sim.control.complete_orders()
    addon_id = api.get(f"/customers/{customer}/orders/{order['id']}").json()["lineItems"][0]["subscriptionId"]

    addon = api.get(_path(customer, addon_id)).json()
    listed = api.get(f"{_path(customer, base['id'])}/addons").json()["items"]

    assert addon["parentSubscriptionId"] == base["id"]
    assert addon["commitmentEndDate"] == base["commitmentEndDate"]
    assert [s["id"] for s in listed] == [addon_id]


def test_product_promotions_and_eligibility(api: Api) -> None:
    customer = api.new_customer_with_mca("promoco")
    promotions = api.get("/productpromotions", params={"country": "US", "segment": "commercial"}).json()["items"]
    basic_promo = next(p for p in promotions if p["requiredProducts"][0]["productId"] == "CFQ7TTC0LH18")
    one = api.get(f"/productpromotions/{basic_promo['id']}", params={"country": "US"}).json()
    assert one["id"] == basic_promo["id"]

    answer = api.post(f"/customers/{customer}/promotionEligibilities", json={"items": [
        {"id": 0, "catalogItemId": BASIC, "quantity": 5, "termDuration": "P1Y", "billingCycle": "annual",
         "promotionId": basic_promo["id"]},
        {"id": 1, "catalogItemId": BASIC, "quantity": 5, "termDuration": "P1M", "billingCycle": "monthly",
         "promotionId": basic_promo["id"]},
    ]})

    assert answer.status_code == 200
    good, wrong_term = answer.json()["items"]
    assert good["eligibilities"][0]["isEligible"] is True
    assert wrong_term["eligibilities"][0]["isEligible"] is False
    assert wrong_term["eligibilities"][0]["errors"][0]["type"] == "Term"


def _charges(pc_sim: SimulatorHandle, *subscription_ids: str) -> list[tuple[str, str, int, int]]:
    rows = pc_sim.app.backend.state.ledger.lines
    return [(r.sub.subscription_id, r.charge_type, r.sign, r.quantity) for r in rows
            if r.sub.subscription_id in subscription_ids and r.charge_type in ("convert", "moveQuantity")]


def test_a_transition_bills_convert_into_a_new_target_and_move_quantity_into_an_existing_one(
    api: Api, pc_sim: SimulatorHandle
) -> None:
    customer = api.new_customer_with_mca("billedupgrade")
    sub = api.buy_subscription(customer, quantity=10)
    target = _standard_item(api, api.get(f"{_path(customer, sub['id'])}/transitionEligibilities").json()["items"])

    first = api.post(f"{_path(customer, sub['id'])}/transitions",
                     json={"toCatalogItemId": target["catalogItemId"], "quantity": 4}).json()
    pc_sim.control.advance(hours=169)
    second = api.post(f"{_path(customer, sub['id'])}/transitions",
                      json={"toCatalogItemId": target["catalogItemId"], "quantity": 2,
                            "toSubscriptionId": first["toSubscriptionId"]})

    assert second.status_code == 200, second.text
    new_target = first["toSubscriptionId"]
    assert _charges(pc_sim, sub["id"], new_target) == [
        (sub["id"], "convert", -1, 4), (new_target, "convert", 1, 4),
        (sub["id"], "moveQuantity", -1, 2), (new_target, "moveQuantity", 1, 2),
    ]
    rows = [r for r in pc_sim.app.backend.state.ledger.lines if r.charge_type == "convert"]
    assert rows[0].reference_id == rows[1].reference_id  # refund and charge paired
    assert rows[1].unit_price > rows[0].unit_price  # the target is billed at its own (higher) price
    assert pc_sim.app.backend.state.ledger.subscriptions[new_target].quantity == 6
    assert pc_sim.app.backend.state.ledger.subscriptions[sub["id"]].quantity == 4


def test_a_subscription_bought_with_a_promotion_is_billed_at_the_discounted_price(
    api: Api, pc_sim: SimulatorHandle
) -> None:
    customer = api.new_customer_with_mca("promobilled")
    promo = "39NFJQT1PJQB:0001:39NFJQT1Q5KN"  # 5 % off Business Basic, one-year term
    cart = api.cart(customer, {"catalogItemId": BASIC, "quantity": 10, "billingCycle": "annual",
                               "termDuration": "P1Y", "promotionId": promo}).json()
    order = api.post(f"/customers/{customer}/carts/{cart['id']}/checkout").json()["orders"][0]
    pc_sim.control.complete_orders()
    sid = api.get(f"/customers/{customer}/orders/{order['id']}").json()["lineItems"][0]["subscriptionId"]
    plain = api.buy_subscription(customer, quantity=10, term="P1M", cycle="monthly")

    assert api.get(_path(customer, sid)).json()["promotionId"] == promo
    rows = {r.sub.subscription_id: r for r in pc_sim.app.backend.state.ledger.lines if r.charge_type == "new"}
    promoted, other = rows[sid], rows[plain["id"]]
    assert promoted.effective_unit_price == promoted.unit_price * (1 - Decimal("0.05"))
    assert other.effective_unit_price == other.unit_price


def test_a_cart_line_with_a_promotion_that_does_not_fit_is_a_line_error(api: Api) -> None:
    customer = api.new_customer_with_mca("badpromo")

    cart = api.cart(customer, {"catalogItemId": BASIC, "quantity": 3, "billingCycle": "monthly",
                               "termDuration": "P1M", "promotionId": "39NFJQT1PJQB:0001:39NFJQT1Q5KN"}).json()

    error = cart["lineItems"][0]["error"]
    assert error["errorCode"] == 10014  # the promotion is one-year only
    assert error["additionalInformation"]["promotionErrorCode"] == 27007
