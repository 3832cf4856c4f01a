"""Subscription actions from the details page, end to end against the simulator over HTTPS: a POST creates one
provisioning operation, the worker (eager) applies it in Partner Center, and only then does the BSS record change.
Partner Center's refusals are shown with its message and leave the record as it was."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bss.models import LicenseLedgerEntry
from provisioning.models import ProvisioningOperation
from tests.workspace.conftest import DYNAMICS_SALES, buy_in_simulator, days_ago, record, sim_subscription

pytestmark = pytest.mark.django_db


def act(client, sub, action, **data):
    data.setdefault("confirm", "yes")  # past the confirmation step of cancel, reduce and suspend
    return client.post(reverse("workspace:subscription_action", args=[sub.pk, action]), data)


def detail(client, sub):
    response = client.get(reverse("workspace:subscription", args=[sub.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def reseller(client, world):
    client.force_login(world.reseller_user)
    return client


@pytest.fixture
def basic(world):
    """Business Basic x12, annual, bought today: inside every window."""
    return record(world.tenant, world.seeded["sub_business_basic_new"])


@pytest.fixture
def e3_old(world):
    """Microsoft 365 E3 x5, monthly term, bought 40 days ago: outside every window."""
    return record(world.tenant, world.seeded["sub_m365_e3_old"])


def test_increase_is_an_operation_and_bss_changes_only_after_partner_center(
    reseller, world, basic, pc_sim, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = act(reseller, basic, "quantity", quantity=15)

    assert response.status_code == 302
    op = ProvisioningOperation.objects.get(subscription=basic)
    assert (op.kind, op.status, op.payload["quantity"]) == ("change_quantity", "pending", 15)
    basic.refresh_from_db()
    assert basic.quantity == 12  # not yet confirmed by Partner Center
    assert sim_subscription(pc_sim, world.tenant, basic.pc_subscription_id).quantity == 12
    assert "is with Partner Center" in detail(reseller, basic)

    for callback in callbacks:  # the worker picks the operation up
        callback()

    op.refresh_from_db()
    basic.refresh_from_db()
    assert op.status == "succeeded"
    assert sim_subscription(pc_sim, world.tenant, basic.pc_subscription_id).quantity == 15
    assert basic.quantity == 15
    assert list(basic.ledger.values_list("quantity_before", "quantity_after")) == [(0, 12), (12, 15)]
    page = detail(reseller, basic)
    assert "confirmed by Partner Center" in page
    assert "subscription.quantity" in page  # history from the audit log


def test_decrease_inside_the_window(reseller, world, basic, pc_sim, run_after_commit):
    run_after_commit(act, reseller, basic, "quantity", quantity=10)

    basic.refresh_from_db()
    assert basic.quantity == 10
    assert sim_subscription(pc_sim, world.tenant, basic.pc_subscription_id).quantity == 10


def test_decrease_outside_the_window_is_refused_with_the_deadline(reseller, world, e3_old, pc_sim, run_after_commit):
    deadline = e3_old.ledger.get().created_at + dt.timedelta(hours=168)

    response = run_after_commit(act, reseller, e3_old, "quantity", quantity=4)

    assert not ProvisioningOperation.objects.filter(subscription=e3_old).exists()
    e3_old.refresh_from_db()
    assert e3_old.quantity == 5
    page = reseller.get(response["Location"]).content.decode()
    assert "no licences of this subscription can be removed now" in page
    assert f"closed on {deadline:%Y-%m-%d %H:%M} UTC" in page
    assert sim_subscription(pc_sim, world.tenant, e3_old.pc_subscription_id).quantity == 5


def test_each_addition_has_its_own_window(reseller, world, e3_old, pc_sim, run_after_commit):
    run_after_commit(act, reseller, e3_old, "quantity", quantity=8)  # +3 today: refundable for 168 hours
    e3_old.refresh_from_db()
    added = e3_old.ledger.last()
    deadline = added.created_at + dt.timedelta(hours=168)

    page = detail(reseller, e3_old)
    assert "<strong>3</strong> of 8 licences can still be removed" in page
    assert f"{deadline:%Y-%m-%d %H:%M} UTC" in page

    response = run_after_commit(act, reseller, e3_old, "quantity", quantity=4)  # 4 below: only 3 are refundable
    refused = reseller.get(response["Location"]).content.decode()
    assert "The lowest possible quantity is 5" in refused
    assert f"3 until {deadline:%Y-%m-%d %H:%M} UTC" in refused
    assert ProvisioningOperation.objects.filter(subscription=e3_old).count() == 1

    run_after_commit(act, reseller, e3_old, "quantity", quantity=5)
    e3_old.refresh_from_db()
    assert e3_old.quantity == 5
    assert sim_subscription(pc_sim, world.tenant, e3_old.pc_subscription_id).quantity == 5


def test_partner_center_refusal_shows_its_message_and_leaves_the_record(reseller, world, basic, pc_sim,
                                                                        run_after_commit):
    pc_sim.control.advance(hours=169)  # Partner Center's window has closed; the BSS ledger has not noticed yet
    ledger_before = LicenseLedgerEntry.objects.filter(subscription=basic).count()

    response = run_after_commit(act, reseller, basic, "quantity", quantity=10)

    op = ProvisioningOperation.objects.get(subscription=basic)
    assert op.status == "failed"
    assert "800090" in op.last_error_message  # Microsoft's documented code for a decrease after the window
    basic.refresh_from_db()
    assert basic.quantity == 12
    assert LicenseLedgerEntry.objects.filter(subscription=basic).count() == ledger_before
    page = reseller.get(response["Location"]).content.decode()
    assert "Partner Center refused" in page
    assert "The subscription is unchanged" in page
    assert op.last_error_message.split(" (")[0][:40] in page


def test_cancel_inside_the_window(reseller, world, basic, pc_sim, run_after_commit):
    assert "Cancel subscription" in detail(reseller, basic)

    run_after_commit(act, reseller, basic, "cancel")

    basic.refresh_from_db()
    assert basic.status == "deleted"
    assert sim_subscription(pc_sim, world.tenant, basic.pc_subscription_id).status == "deleted"
    assert "This subscription is cancelled" in detail(reseller, basic)


def test_cancel_outside_the_window_is_refused(reseller, world, e3_old, pc_sim, run_after_commit):
    page = detail(reseller, e3_old)
    assert "Cancel subscription</button>" not in page
    assert "The cancellation window closed on" in page

    response = run_after_commit(act, reseller, e3_old, "cancel")

    assert not ProvisioningOperation.objects.filter(subscription=e3_old).exists()
    assert "can be cancelled only within 7 days" in reseller.get(response["Location"]).content.decode()
    e3_old.refresh_from_db()
    assert e3_old.status == "active"
    assert sim_subscription(pc_sim, world.tenant, e3_old.pc_subscription_id).status == "active"


def test_cancel_refused_by_partner_center_after_its_window(reseller, world, basic, pc_sim, run_after_commit):
    pc_sim.control.advance(hours=169)

    run_after_commit(act, reseller, basic, "cancel")

    op = ProvisioningOperation.objects.get(subscription=basic)
    assert (op.kind, op.status) == ("cancel", "failed")
    assert "900213" in op.last_error_message
    basic.refresh_from_db()
    assert basic.status == "active"


def test_suspend_and_reactivate(reseller, world, basic, pc_sim, run_after_commit):
    page = detail(reseller, basic)
    assert "Suspension does not stop billing in new commerce." in page

    run_after_commit(act, reseller, basic, "suspend")
    basic.refresh_from_db()
    assert basic.status == "suspended"
    assert sim_subscription(pc_sim, world.tenant, basic.pc_subscription_id).status == "suspended"
    assert "billing continues in new commerce" in detail(reseller, basic)

    run_after_commit(act, reseller, basic, "reactivate")
    basic.refresh_from_db()
    assert basic.status == "active"
    assert sim_subscription(pc_sim, world.tenant, basic.pc_subscription_id).status == "active"
    assert list(ProvisioningOperation.objects.filter(subscription=basic).values_list("kind", "status")) == [
        ("reactivate", "succeeded"), ("suspend", "succeeded"),
    ]


def test_reactivate_a_subscription_suspended_in_partner_center(reseller, world, pc_sim, run_after_commit):
    exchange = record(world.tenant, world.seeded["sub_exchange_suspended"])
    assert exchange.status == "suspended"

    run_after_commit(act, reseller, exchange, "reactivate")

    exchange.refresh_from_db()
    assert exchange.status == "active"


def test_auto_renew_off_and_on(reseller, world, basic, pc_sim, run_after_commit):
    assert basic.auto_renew is True

    run_after_commit(act, reseller, basic, "auto_renew", enabled="off")
    basic.refresh_from_db()
    assert basic.auto_renew is False
    assert sim_subscription(pc_sim, world.tenant, basic.pc_subscription_id).auto_renew_enabled is False

    run_after_commit(act, reseller, basic, "auto_renew", enabled="on")
    basic.refresh_from_db()
    assert basic.auto_renew is True
    assert sim_subscription(pc_sim, world.tenant, basic.pc_subscription_id).auto_renew_enabled is True


def test_dynamics_extra_licences_raise_the_quantity_of_that_instance(reseller, world, pc_sim, run_after_commit):
    sub_id = buy_in_simulator(pc_sim, world.tenant, DYNAMICS_SALES, quantity=5)
    dynamics = record(world.tenant, sub_id)
    pc_subscriptions = len(
        pc_sim.app.state.partner(pc_sim.partners.direct.tenant_id).customer_subscriptions[world.tenant.pc_customer_id]
    )
    page = detail(reseller, dynamics)
    assert "Buy extra licences" in page
    assert "added to this Dynamics 365 instance" in page

    run_after_commit(act, reseller, dynamics, "extra_licences", additional=3)

    dynamics.refresh_from_db()
    assert dynamics.quantity == 8
    assert dynamics.pc_subscription_id == sub_id
    assert sim_subscription(pc_sim, world.tenant, sub_id).quantity == 8
    after = pc_sim.app.state.partner(pc_sim.partners.direct.tenant_id).customer_subscriptions[
        world.tenant.pc_customer_id
    ]
    assert len(after) == pc_subscriptions  # no new subscription, no new instance
    assert dynamics.__class__.objects.filter(customer=world.customer, name=dynamics.name).count() == 1


def test_azure_plan_has_no_quantity_actions(reseller, world, pc_sim, run_after_commit):
    azure = record(world.tenant, world.seeded["sub_azure_plan"])
    page = detail(reseller, azure)
    assert "Change quantity" not in page

    response = run_after_commit(act, reseller, azure, "extra_licences", additional=1)

    assert "billed by usage" in reseller.get(response["Location"]).content.decode()
    assert not ProvisioningOperation.objects.filter(subscription=azure).exists()


def test_a_second_change_waits_for_the_first(reseller, world, basic, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        act(reseller, basic, "quantity", quantity=13)
        response = act(reseller, basic, "suspend")

    assert "already in progress" in reseller.get(response["Location"]).content.decode()
    assert ProvisioningOperation.objects.filter(subscription=basic).count() == 1


def test_customer_user_adds_licences_but_cannot_remove_suspend_or_cancel(
    client, world, basic, pc_sim, run_after_commit
):
    client.force_login(world.customer_user)
    page = detail(client, basic)
    assert "to remove licences, ask your reseller" in page
    assert "Suspend subscription" not in page and "Cancel subscription" not in page

    for action, data in (("quantity", {"quantity": 10}), ("suspend", {}), ("cancel", {})):
        response = run_after_commit(act, client, basic, action, **data)
        assert response.status_code == 302
        assert "ask your reseller" in client.get(response["Location"]).content.decode()
    assert not ProvisioningOperation.objects.filter(subscription=basic).exists()

    run_after_commit(act, client, basic, "extra_licences", additional=2)
    basic.refresh_from_db()
    assert basic.quantity == 14
    assert timezone.now() - basic.updated_at < dt.timedelta(minutes=1)


def test_page_shows_partner_center_details(reseller, world, e3_old, pc_sim):
    pc_sub = sim_subscription(pc_sim, world.tenant, e3_old.pc_subscription_id)

    page = detail(reseller, e3_old)

    assert e3_old.pc_subscription_id in page
    assert pc_sub.order_id in page
    assert f"{pc_sub.creation_date:%Y-%m-%d}" in page
    assert world.tenant.pc_customer_id in page
    assert f"{days_ago(40):%Y-%m-%d}" in page
