"""Partner Center misbehaves during provisioning (simulator fault injection over HTTPS): the order still completes
once Partner Center answers, with exactly one customer, one Partner Center order and the right subscriptions."""

import pytest

from bss.choices import OrderStatus
from bss.models import Subscription
from provisioning.choices import AttemptOutcome, OperationKind, OperationStatus
from provisioning.models import ProvisioningOperation
from tests.provisioning.conftest import BUSINESS_STANDARD, line, new_customer, sim_requests

pytestmark = pytest.mark.django_db

CHECKOUT = "/v1/customers/*/carts/*/checkout"


def _assert_exactly_once(pc_sim, order, quantities):
    partner = pc_sim.app.state.partner(pc_sim.partners.direct.tenant_id)
    domain = order.tenant.default_domain
    assert [c.id for c in partner.customers.values() if c.domain == domain] == [order.tenant.pc_customer_id]
    pc_orders = partner.customer_orders[order.tenant.pc_customer_id]
    assert len(pc_orders) == 1
    pc_subs = sorted(s.quantity for s in partner.subscriptions.values() if s.customer_id == order.tenant.pc_customer_id)
    assert pc_subs == sorted(quantities)
    ours = sorted(Subscription.objects.filter(tenant=order.tenant).values_list("quantity", flat=True))
    assert ours == sorted(quantities)
    assert set(Subscription.objects.filter(tenant=order.tenant).values_list("pc_subscription_id", flat=True)) == {
        s.id for s in partner.subscriptions.values() if s.customer_id == order.tenant.pc_customer_id
    }


def _outcomes(order, kind):
    op = ProvisioningOperation.objects.get(order=order, kind=kind)
    return list(op.attempts.values_list("outcome", flat=True))


def test_429_storm_on_checkout_is_retried_until_partner_center_answers(place, drive, pc_sim):
    pc_sim.control.inject_fault("429", method="POST", path=CHECKOUT, count=4, retryAfter=2)

    order = drive(place(lines=[line(quantity=3)]))

    assert order.status == OrderStatus.COMPLETED
    assert _outcomes(order, OperationKind.CHECKOUT) == [AttemptOutcome.TRANSIENT_ERROR] * 4 + [AttemptOutcome.SUCCEEDED]
    checkout = ProvisioningOperation.objects.get(order=order, kind=OperationKind.CHECKOUT)
    assert checkout.attempts.first().http_status == 429
    # Every retry re-sent the same MS-RequestId, to the same cart.
    calls = list(sim_requests(pc_sim, "POST", CHECKOUT))
    assert len(calls) == 5 and len({c["path"] for c in calls}) == 1
    assert {c["headers"]["ms-requestid"] for c in calls} == {
        str(checkout.ms_request_id)
    }
    _assert_exactly_once(pc_sim, order, [3])


def test_5xx_on_create_customer_is_retried_with_the_same_request_id(place, drive, pc_sim):
    pc_sim.control.inject_fault("5xx", method="POST", path="/v1/customers", count=3, status=503)

    order = drive(place())

    assert order.status == OrderStatus.COMPLETED
    assert _outcomes(order, OperationKind.CREATE_CUSTOMER) == [AttemptOutcome.TRANSIENT_ERROR] * 3 + [
        AttemptOutcome.SUCCEEDED
    ]
    _assert_exactly_once(pc_sim, order, [5])


def test_response_dropped_after_checkout_committed_is_read_back_not_bought_twice(place, drive, pc_sim):
    pc_sim.control.inject_fault("drop", method="POST", path=CHECKOUT, count=1)

    order = drive(place(lines=[line(quantity=4)]))

    assert order.status == OrderStatus.COMPLETED
    assert _outcomes(order, OperationKind.CHECKOUT) == [AttemptOutcome.UNKNOWN, AttemptOutcome.SUCCEEDED]
    checkout = ProvisioningOperation.objects.get(order=order, kind=OperationKind.CHECKOUT)
    assert checkout.result["settled_by"].startswith("read-back")
    _assert_exactly_once(pc_sim, order, [4])


def test_response_dropped_after_create_customer_committed_finds_the_customer_by_its_domain(place, drive, pc_sim):
    pc_sim.control.inject_fault("drop", method="POST", path="/v1/customers", count=1)

    order = drive(place())

    assert order.status == OrderStatus.COMPLETED
    assert _outcomes(order, OperationKind.CREATE_CUSTOMER) == [AttemptOutcome.UNKNOWN, AttemptOutcome.SUCCEEDED]
    _assert_exactly_once(pc_sim, order, [5])
    # The replay with the stored MS-RequestId returned the one-time credentials as well.
    assert hasattr(order, "initial_admin_credentials")


@pytest.mark.parametrize(
    ("_case", "path", "kind"),
    [
        ("create cart", "/v1/customers/*/carts", OperationKind.CREATE_CART),
        ("checkout", CHECKOUT, OperationKind.CHECKOUT),
    ],
)
def test_timeout_leaves_the_step_unknown_until_a_read_back_settles_it(place, drive, pc_sim, _case, path, kind):
    pc_sim.control.inject_fault("timeout", method="POST", path=path, count=1, seconds=2.5)

    standard = line(BUSINESS_STANDARD, name="Business Standard", quantity=1)
    order = drive(place(lines=[line(quantity=2), standard]))

    assert order.status == OrderStatus.COMPLETED
    assert _outcomes(order, kind) == [AttemptOutcome.UNKNOWN, AttemptOutcome.SUCCEEDED]
    _assert_exactly_once(pc_sim, order, [2, 1])


def test_a_second_submission_while_the_first_is_provisioning_changes_nothing(place, drive, pc_sim):
    customer = new_customer()
    first = drive(place(new_customer=customer, submission_key="same-cart"))
    pc_sim.control.inject_fault("5xx", method="*", path="*", count=50)
    second = drive(place(new_customer=customer, submission_key="same-cart"))
    pc_sim.control.clear_faults()

    assert second.pk == first.pk and second.status == OrderStatus.COMPLETED
    assert ProvisioningOperation.objects.exclude(status=OperationStatus.SUCCEEDED).count() == 0
    _assert_exactly_once(pc_sim, first, [5])
