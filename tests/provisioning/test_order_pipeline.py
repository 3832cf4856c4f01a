"""Orders provisioned end to end against the Partner Center simulator over HTTPS, with a real database."""

import pytest

from bss.choices import OrderStatus, RelationshipStatus, SubscriptionStatus
from bss.models import LicenseLedgerEntry, MCAAcceptance, Subscription
from provisioning.choices import OperationKind, OperationStatus
from provisioning.models import InitialAdminCredentials, ProvisioningOperation
from provisioning.services import orders
from tests.provisioning.conftest import AZURE_PLAN, line, new_customer, sim_customers, sim_requests

pytestmark = pytest.mark.django_db


def test_new_customer_order_ends_with_active_subscriptions_recorded_with_partner_center_ids(
    place, pc_sim, reseller_user, mailoutbox
):
    order = place(lines=[line(quantity=7)])

    assert order.status == OrderStatus.COMPLETED
    tenant = order.tenant
    assert tenant.relationship_status == RelationshipStatus.ACTIVE
    customers = sim_customers(pc_sim)
    assert tenant.pc_customer_id in customers
    assert len(customers) == 1 + len([c for c in customers if c != tenant.pc_customer_id])
    sub = Subscription.objects.get(order_line__order=order)
    pc_sub = pc_sim.app.state.partner(pc_sim.partners.direct.tenant_id).subscriptions[sub.pc_subscription_id]
    assert (sub.status, sub.quantity, sub.term_duration, sub.billing_cycle) == ("active", 7, "P1Y", "monthly")
    assert pc_sub.quantity == 7
    assert sub.cancellation_allowed_until is not None and sub.commitment_end_date is not None
    ledger = LicenseLedgerEntry.objects.filter(subscription=sub).values_list("quantity_before", "quantity_after")
    assert list(ledger) == [(0, 7)]
    assert MCAAcceptance.objects.get(customer=order.customer).attested_at is not None
    kinds = list(ProvisioningOperation.objects.filter(order=order).order_by("sequence").values_list("kind", "status"))
    assert kinds == [
        (OperationKind.CREATE_CUSTOMER, OperationStatus.SUCCEEDED),
        (OperationKind.CONFIRM_AGREEMENT, OperationStatus.SUCCEEDED),
        (OperationKind.CREATE_CART, OperationStatus.SUCCEEDED),
        (OperationKind.CHECKOUT, OperationStatus.SUCCEEDED),
        (OperationKind.AWAIT_ORDER, OperationStatus.SUCCEEDED),
        (OperationKind.RECORD_SUBSCRIPTIONS, OperationStatus.SUCCEEDED),
    ]
    assert [m.subject for m in mailoutbox] == [f"Order {str(order.number)[:8]} for Northwind Labs is complete"]


def test_initial_admin_password_is_shown_once_to_the_ordering_user_and_never_stored_in_clear(
    place, reseller_user, pc_sim
):
    order = place()
    held = InitialAdminCredentials.objects.get(order=order)
    raw = InitialAdminCredentials.objects.filter(pk=held.pk).values_list("password", flat=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM provisioning_initialadmincredentials WHERE id = %s", [held.pk])
        stored = cursor.fetchone()[0]
    assert stored != held.password and held.password not in stored and list(raw) == [held.password]

    other = type(reseller_user).objects.create(username="someone-else")
    assert orders.order_pop_admin_credentials(order=order, user=other) is None
    shown = orders.order_pop_admin_credentials(order=order, user=reseller_user)
    assert shown.user_name == "admin" and len(shown.password) >= 8
    assert shown.domain == order.tenant.default_domain
    assert orders.order_pop_admin_credentials(order=order, user=reseller_user) is None
    assert ProvisioningOperation.objects.filter(order=order, result__icontains=shown.password).count() == 0


def test_annual_billing_order_sends_billing_cycle_annual(place, pc_sim):
    order = place(lines=[line(cycle="annual")])

    assert order.status == OrderStatus.COMPLETED
    carts = [r for r in sim_requests(pc_sim, "POST", "/v1/customers/*/carts") if r["path"].endswith("/carts")]
    assert len(carts) == 1
    assert '"billingCycle": "annual"' in carts[0]["body"] or '"billingCycle":"annual"' in carts[0]["body"]
    assert Subscription.objects.get(order_line__order=order).billing_cycle == "annual"


def test_azure_plan_order_records_the_plan_and_its_azure_subscriptions(place, pc_sim):
    order = place(lines=[line(AZURE_PLAN, name="Microsoft Azure plan", quantity=1, term="", max_quantity=1)])

    assert order.status == OrderStatus.COMPLETED
    plan = Subscription.objects.get(order_line__order=order)
    assert plan.pc_product_id == "DZH318Z0BPS6" and plan.status == SubscriptionStatus.ACTIVE
    assert plan.azure_entitlements.count() == 1


def test_same_submission_twice_creates_one_order_and_one_customer(place, pc_sim):
    customer_input = new_customer()
    first = place(new_customer=customer_input, submission_key="cart-42-submit")
    again = place(new_customer=customer_input, submission_key="cart-42-submit")

    assert again.pk == first.pk
    assert ProvisioningOperation.objects.filter(kind=OperationKind.CREATE_CUSTOMER).count() == 1
    posts = sim_requests(pc_sim, "POST", "/v1/customers")
    assert len(posts) == 1
