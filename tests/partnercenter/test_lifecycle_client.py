"""The client's new-commerce lifecycle calls, partner-level reads and less common paths (202 polling, zipped
price sheet), end to end against the simulator."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest

from partnercenter import (
    CartLineItemRequest,
    PartnerCenterClient,
    PermissionDeniedError,
    ResponseValidationError,
    _parse,
)
from partnercenter.lifecycle_types import PromotionEligibilityRequest
from partnercenter.types import ScheduledNextTermInstructions

pytest.importorskip("partnercenter.simulator.testing", reason="simulator not available")

from partnercenter.simulator.testing import SimulatorHandle

from .test_client_against_simulator import RecordingSleep, _address, make_client

BASIC = "CFQ7TTC0LH18:0001:CFQ7TTC0K971"


@pytest.fixture
def sim(pc_sim: SimulatorHandle) -> SimulatorHandle:
    pc_sim.control.configure(order_provisioning_seconds=0)
    return pc_sim


@pytest.fixture
def client(sim: SimulatorHandle) -> Iterator[PartnerCenterClient]:
    with make_client(sim, sim.partners.direct, RecordingSleep()) as c:
        yield c


def _subscription(client: PartnerCenterClient, customer_id: str, quantity: int = 10) -> str:
    cart = client.carts.create(
        customer_id=customer_id,
        request_id=str(uuid.uuid4()),
        line_items=[CartLineItemRequest(catalog_item_id=BASIC, quantity=quantity, billing_cycle="annual",
                                        term_duration="P1Y")],
    )
    order = client.carts.checkout(customer_id=customer_id, cart_id=cart.id, request_id=str(uuid.uuid4())).orders[0]
    sid = client.orders.get(customer_id=customer_id, order_id=order.id).line_items[0].subscription_id
    assert sid
    return sid


def test_a_202_answer_is_polled_at_its_location(client: PartnerCenterClient, sim: SimulatorHandle) -> None:
    customer_id = sim.control.seeded["customer_mca"]
    sid = _subscription(client, customer_id, quantity=3)
    sim.control.configure(subscription_patch_accepted_rate=1.0)
    sim.control.clear_requests()

    changed = client.subscriptions.set_quantity(customer_id=customer_id, subscription_id=sid, quantity=5,
                                                request_id=str(uuid.uuid4()))

    assert changed.quantity == 5
    calls = [(r["method"], r["status"]) for r in sim.control.requests() if sid in r["path"]]
    assert calls == [("GET", 200), ("PATCH", 202), ("GET", 200)]


def test_the_zipped_price_sheet_is_read(client: PartnerCenterClient, sim: SimulatorHandle) -> None:
    rows = list(client.price_sheets.iter_rows(market="US", compressed=True))

    assert any(r.product_id == "CFQ7TTC0LH18" and r.term_duration == "P1Y" for r in rows)
    sheet = [r for r in sim.control.requests(method="GET") if "pricesheets" in r["path"]][-1]
    assert sheet["headers"]["accept-encoding"] == "deflate"


def test_page_refuses_a_response_that_is_not_a_collection() -> None:
    with pytest.raises(ResponseValidationError):
        _parse.page({"id": "x", "attributes": {"objectType": "Subscription"}}, _parse.subscription, "subscriptions")
    assert _parse.page({"totalCount": 0, "items": []}, _parse.subscription, "subscriptions").items == ()


def test_scheduled_next_term_instructions_are_typed(client: PartnerCenterClient, sim: SimulatorHandle) -> None:
    customer_id = sim.control.seeded["customer_mca"]
    sid = _subscription(client, customer_id, quantity=4)
    target = next(e for e in client.subscriptions.list_transition_eligibilities(
        customer_id=customer_id, subscription_id=sid, eligibility_type="scheduled") if e.is_eligible)
    product_id, sku_id, availability_id = target.catalog_item_id.split(":")

    sub = client.subscriptions.schedule_next_term(
        customer_id=customer_id, subscription_id=sid, request_id=str(uuid.uuid4()),
        instructions=ScheduledNextTermInstructions(product_id=product_id, sku_id=sku_id,
                                                   availability_id=availability_id, billing_cycle="annual",
                                                   term_duration="P1Y", quantity=6),
    )

    assert sub.scheduled_next_term_instructions is not None
    assert sub.scheduled_next_term_instructions.catalog_item_id == target.catalog_item_id
    assert sub.scheduled_next_term_instructions.quantity == 6
    cleared = client.subscriptions.schedule_next_term(customer_id=customer_id, subscription_id=sid,
                                                      instructions=None, request_id=str(uuid.uuid4()))
    assert cleared.scheduled_next_term_instructions is None


def test_partial_transition_and_its_status(client: PartnerCenterClient, sim: SimulatorHandle) -> None:
    customer_id = sim.control.seeded["customer_mca"]
    sid = _subscription(client, customer_id, quantity=10)
    target = client.subscriptions.list_transition_eligibilities(customer_id=customer_id, subscription_id=sid)[0]
    assert target.is_eligible

    transition = client.subscriptions.create_transition(
        customer_id=customer_id, subscription_id=sid, to_catalog_item_id=target.catalog_item_id, quantity=4,
        request_id=str(uuid.uuid4()), transition_type="transition_with_license_transfer",
    )

    assert transition.to_subscription_id and transition.events[0].status == "Started"
    assert [t.completed for t in client.subscriptions.list_transitions(customer_id=customer_id,
                                                                         subscription_id=sid)] == [True]
    assert client.subscriptions.get(customer_id=customer_id, subscription_id=sid).quantity == 6
    new = client.subscriptions.get(customer_id=customer_id, subscription_id=transition.to_subscription_id)
    assert new.quantity == 4 and new.offer_id == target.catalog_item_id


def test_add_ons_of_a_base(client: PartnerCenterClient, sim: SimulatorHandle) -> None:
    customer_id = sim.control.seeded["customer_mca"]
    sid = _subscription(client, customer_id)

    base = client.subscriptions.get(customer_id=customer_id, subscription_id=sid)

    assert base.has_purchasable_addons is True
    assert client.subscriptions.list_addons(customer_id=customer_id, subscription_id=sid) == []


def test_promotions_and_eligibility(client: PartnerCenterClient, sim: SimulatorHandle) -> None:
    promotions = client.promotions.list(country="US")
    basic = next(p for p in promotions if p.required_products[0].product_id == "CFQ7TTC0LH18")
    assert client.promotions.get(promotion_id=basic.id, country="US").id == basic.id
    assert basic.required_products[0].percent_discount is not None

    answers = client.promotions.check_eligibility(
        customer_id=sim.control.seeded["customer_mca"], request_id=str(uuid.uuid4()),
        items=[PromotionEligibilityRequest(catalog_item_id=BASIC, quantity=5, term_duration="P1Y",
                                           billing_cycle="annual", promotion_id=basic.id),
               PromotionEligibilityRequest(catalog_item_id=BASIC, quantity=5, term_duration="P1M",
                                           billing_cycle="monthly", promotion_id=basic.id)],
    )

    assert [a.eligibilities[0].is_eligible for a in answers] == [True, False]
    assert answers[1].eligibilities[0].errors[0].type == "Term"


def test_audit_records_relationships_and_mpa_status(sim: SimulatorHandle) -> None:
    with make_client(sim, sim.partners.indirect, RecordingSleep()) as client:
        customer = next(iter(client.customers.list()))
        client.customers.create(request_id=str(uuid.uuid4()), domain=f"auditco{uuid.uuid4().hex[:8]}.onmicrosoft.com",
                                company_name="Audit Co", email="it@audit.example", address=_address())
        start = dt.date.fromisoformat(sim.control.now()[:10]) - dt.timedelta(days=1)

        records = client.audit_records.list(start_date=start)
        relationships = client.customers.list_relationships(customer_id=customer.id)
        status = client.customers.get_reseller_mpa_status(mpn_id="5123456")
        with pytest.raises(PermissionDeniedError) as refused:
            client.customers.get_reseller_mpa_status(mpn_id="5234567")

    assert "add_customer" in {r.operation_type for r in records}
    assert all(r.relationship_type for r in relationships)
    assert status.agreement_status == "active" and status.mpn_id == "5123456"
    assert refused.value.code == 900123
