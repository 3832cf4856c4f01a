"""What an order needs before anything is created: MCA on record, valid details, allowed billing, quantities within
limits, an instance that takes orders, no repeat of a subscription the tenant already has."""

import pytest

from bss.choices import OrderStatus, RelationshipStatus
from bss.exceptions import ApplicationError
from bss.inputs import ExistingTenantInput
from bss.models import Customer, MicrosoftTenant, Order, Subscription
from bss.services import orders as order_services
from provisioning.choices import OperationKind, OperationStatus
from provisioning.models import ProvisioningOperation
from provisioning.services import lifecycle, orders
from tests.provisioning.conftest import DYNAMICS_SALES, line, new_customer, sim_requests

pytestmark = pytest.mark.django_db


def _nothing_created(pc_sim):
    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0
    assert ProvisioningOperation.objects.count() == 0
    assert sim_requests(pc_sim, "POST", "/v1/*") == []


def test_order_without_mca_on_record_is_refused_and_creates_nothing(place, pc_sim):
    with pytest.raises(order_services.MCARequired) as refused:
        place(mca=None)

    assert "Microsoft Customer Agreement" in refused.value.message
    _nothing_created(pc_sim)


@pytest.mark.parametrize(
    ("_case", "kwargs", "code", "words"),
    [
        ("bad prefix", {"new_customer": new_customer(prefix="north-wind")}, "invalid_domain_prefix", "letters"),
        ("long prefix", {"new_customer": new_customer(prefix="a" * 28)}, "invalid_domain_prefix", "27"),
        ("no email", {"new_customer": new_customer(contact_email="nope")}, "invalid_customer_details", "email"),
        ("too many", {"lines": [line(quantity=301)]}, "quantity_out_of_range", "between 1 and 300"),
        ("zero", {"lines": [line(quantity=0)]}, "quantity_out_of_range", "between 1 and 300"),
        ("same offer twice", {"lines": [line(), line()]}, "repeat_order_refused", "twice"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(place, pc_sim, _case, kwargs, code, words):
    with pytest.raises(ApplicationError) as refused:
        place(**kwargs)

    assert refused.value.code == code and words in refused.value.message
    _nothing_created(pc_sim)


def test_taken_domain_is_refused_after_the_live_check(place, pc_sim):
    pc_sim.control.create_tenant(domain="fabrikamtaken.onmicrosoft.com")

    with pytest.raises(ApplicationError) as refused:
        place(new_customer=new_customer(prefix="FabrikamTaken"))

    assert refused.value.code == "domain_taken" and "fabrikamtaken.onmicrosoft.com" in refused.value.message
    assert Order.objects.count() == 0


def test_domain_check_answers_live(sim_instance, pc_sim):
    pc_sim.control.create_tenant(domain="contosolive.onmicrosoft.com")

    assert orders.domain_prefix_check(instance=sim_instance, prefix="contosolive").available is False
    free = orders.domain_prefix_check(instance=sim_instance, prefix="contosofree123")
    assert free.available is True and free.domain == "contosofree123.onmicrosoft.com"
    assert "letters" in orders.domain_prefix_check(instance=sim_instance, prefix="con toso").message


def test_annual_billing_is_refused_where_the_instance_does_not_provision_it(place, sim_instance, pc_sim):
    sim_instance.annual_provisioning_enabled = False
    sim_instance.save()

    with pytest.raises(ApplicationError) as refused:
        place(lines=[line(cycle="annual")])

    assert refused.value.code == "billing_cycle_not_allowed"
    _nothing_created(pc_sim)


def test_retired_instance_takes_no_new_orders(place, sim_instance, pc_sim):
    sim_instance.is_retired = True
    sim_instance.save()

    with pytest.raises(ApplicationError) as refused:
        place()

    assert refused.value.code == "instance_not_accepting_orders"
    _nothing_created(pc_sim)


def test_repeat_dynamics_order_is_refused_with_a_pointer_to_add_licences(place, pc_sim):
    first = place(lines=[line(DYNAMICS_SALES, name="Dynamics 365 Sales", quantity=10, max_quantity=10000)])
    existing = Subscription.objects.get(tenant=first.tenant)

    with pytest.raises(ApplicationError) as refused:
        place(customer=first.customer, mca=None,
              lines=[line(DYNAMICS_SALES, name="Dynamics 365 Sales", quantity=2, max_quantity=10000)])

    assert refused.value.code == "repeat_order_refused" and "Buy extra licences" in refused.value.message
    assert refused.value.extra == {"subscription_id": existing.pk}


def test_new_subscription_per_order_plan_makes_a_second_instance(place, pc_sim):
    dyn = {"name": "Dynamics 365 Sales", "max_quantity": 10000, "new_subscription_per_order": True}
    first = place(lines=[line(DYNAMICS_SALES, quantity=10, **dyn)])

    second = place(customer=first.customer, mca=None, lines=[line(DYNAMICS_SALES, quantity=3, **dyn)])

    assert second.status == OrderStatus.COMPLETED and second.kind == "add_on"
    assert sorted(Subscription.objects.filter(tenant=first.tenant).values_list("quantity", flat=True)) == [3, 10]
    # No second customer, no second attestation: the MCA was on record and attested.
    kinds = set(ProvisioningOperation.objects.filter(order=second).values_list("kind", flat=True))
    assert OperationKind.CREATE_CUSTOMER not in kinds and OperationKind.CONFIRM_AGREEMENT not in kinds


def test_add_licences_line_raises_the_existing_subscription(place, pc_sim):
    first = place(lines=[line(DYNAMICS_SALES, name="Dynamics 365 Sales", quantity=10, max_quantity=10000)])
    sub = Subscription.objects.get(tenant=first.tenant)

    more = place(customer=first.customer, mca=None, lines=[
        line(DYNAMICS_SALES, name="Dynamics 365 Sales", quantity=5, max_quantity=10000, target_subscription_id=sub.pk)
    ])

    sub.refresh_from_db()
    assert more.status == OrderStatus.COMPLETED
    assert sub.quantity == 15
    partner = pc_sim.app.state.partner(pc_sim.partners.direct.tenant_id)
    assert partner.subscriptions[sub.pc_subscription_id].quantity == 15
    assert list(sub.ledger.values_list("quantity_before", "quantity_after")) == [(0, 10), (10, 15)]


def test_existing_tenant_order_waits_for_the_relationship_then_completes(
    place, run_due, pc_sim, reseller, sim_instance, django_capture_on_commit_callbacks
):
    pc_sim.control.create_tenant(domain="litware.onmicrosoft.com", companyName="Litware")

    order = place(new_customer=new_customer(), existing_tenant=ExistingTenantInput("Litware.onmicrosoft.com"))

    assert order.status == OrderStatus.AWAITING_RELATIONSHIP
    assert order.tenant.relationship_status == RelationshipStatus.AWAITING_ACCEPTANCE
    link = orders.relationship_request_link(instance=sim_instance, reseller=reseller)
    assert "invType=ResellerRelationship" in link and pc_sim.partners.direct.tenant_id in link
    with django_capture_on_commit_callbacks(execute=True):
        check = orders.order_check_relationship_now(order=order)
    assert check.found is False and check.order.status == OrderStatus.AWAITING_RELATIONSHIP
    run_due()
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_RELATIONSHIP
    assert sim_requests(pc_sim, "POST", "/v1/customers/*/carts*") == []  # checkout stays blocked

    customer = pc_sim.control.accept_relationship(pc_sim.partners.direct.tenant_id, domain="litware.onmicrosoft.com")
    run_due()  # the periodic check finds it

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    tenant = MicrosoftTenant.objects.get(pk=order.tenant_id)
    assert tenant.pc_customer_id == customer["id"] and tenant.relationship_status == RelationshipStatus.ACTIVE
    assert Subscription.objects.filter(tenant=tenant, status="active").count() == 1


def test_check_now_button_continues_the_pipeline_at_once(place, pc_sim, django_capture_on_commit_callbacks):
    pc_sim.control.create_tenant(domain="adatum.onmicrosoft.com")
    order = place(new_customer=new_customer(), existing_tenant=ExistingTenantInput("adatum.onmicrosoft.com"))
    pc_sim.control.accept_relationship(pc_sim.partners.direct.tenant_id, domain="adatum.onmicrosoft.com")

    with django_capture_on_commit_callbacks(execute=True):
        check = orders.order_check_relationship_now(order=order)

    assert check.found is True
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED


def test_permanent_error_fails_the_order_with_partner_center_message_and_retry_completes_it(
    place, pc_sim, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.factories.bss import StaffUserFactory

    pc_sim.control.inject_fault("error", method="POST", path="/v1/customers/*/carts", count=1, status=400,
                                code=800002, description="Invalid request input: simulated")
    order = place()

    assert order.status == OrderStatus.FAILED
    assert "Invalid request input: simulated" in order.failure_reason and "800002" in order.failure_reason
    failed = ProvisioningOperation.objects.get(order=order, status=OperationStatus.FAILED)
    assert failed.kind == OperationKind.CREATE_CART
    assert [m.subject for m in mailoutbox][-1].endswith("could not be completed")

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.operation_retry(actor=StaffUserFactory(), operation=failed)

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    failed.refresh_from_db()
    assert failed.status == OperationStatus.SUCCEEDED and failed.attempts.count() == 2
