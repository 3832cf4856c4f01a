"""Subscription changes: validated against new-commerce rules, applied to the BSS record only once Partner Center
has confirmed them (ledger rows for quantities)."""

import datetime as dt

import pytest
from django.utils import timezone

from bss.choices import SubscriptionStatus
from bss.models import LicenseLedgerEntry, Subscription
from provisioning.choices import OperationKind, OperationStatus
from provisioning.services import changes
from tests.provisioning.conftest import line

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(place):
    order = place(lines=[line(quantity=10)])
    return Subscription.objects.get(tenant=order.tenant)


@pytest.fixture
def change(reseller_user, django_capture_on_commit_callbacks):
    def _change(sub, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            op = changes.subscription_change_request(actor=reseller_user, subscription=sub, **kwargs)
        op.refresh_from_db()
        sub.refresh_from_db()
        return op

    return _change


def _pc(pc_sim, sub):
    return pc_sim.app.state.partner(pc_sim.partners.direct.tenant_id).subscriptions[sub.pc_subscription_id]


def test_increase_is_applied_after_partner_center_confirms(subscription, change, pc_sim):
    op = change(subscription, quantity=14)

    assert op.kind == OperationKind.CHANGE_QUANTITY and op.status == OperationStatus.SUCCEEDED
    assert subscription.quantity == 14 and _pc(pc_sim, subscription).quantity == 14
    assert list(subscription.ledger.values_list("quantity_before", "quantity_after")) == [(0, 10), (10, 14)]


def test_decrease_is_refused_beyond_licences_added_in_the_last_seven_days(subscription, change, pc_sim, reseller_user):
    LicenseLedgerEntry.objects.filter(subscription=subscription).update(
        created_at=timezone.now() - dt.timedelta(days=20)
    )
    change(subscription, quantity=12)  # +2 today: only those two can be removed again

    with pytest.raises(changes.SubscriptionChangeRefused) as refused:
        changes.subscription_change_request(actor=reseller_user, subscription=subscription, quantity=9)

    assert "lowest possible quantity is 10" in refused.value.message
    assert _pc(pc_sim, subscription).quantity == 12
    assert change(subscription, quantity=10).status == OperationStatus.SUCCEEDED
    assert subscription.quantity == 10 and _pc(pc_sim, subscription).quantity == 10


def test_suspend_reactivate_and_auto_renew(subscription, change, pc_sim):
    change(subscription, suspend=True)
    assert subscription.status == SubscriptionStatus.SUSPENDED and _pc(pc_sim, subscription).status == "suspended"
    change(subscription, suspend=False)
    assert subscription.status == SubscriptionStatus.ACTIVE
    change(subscription, auto_renew=False)
    assert subscription.auto_renew is False and _pc(pc_sim, subscription).auto_renew is False


def test_cancel_inside_the_window_and_refused_after_it(place, subscription, change, pc_sim, reseller_user):
    op = change(subscription, cancel=True)
    assert op.status == OperationStatus.SUCCEEDED and subscription.status == SubscriptionStatus.DELETED

    other = Subscription.objects.get(tenant=place(lines=[line(quantity=3)]).tenant)
    other.cancellation_allowed_until = timezone.now() - dt.timedelta(hours=1)
    other.save(update_fields=["cancellation_allowed_until"])
    with pytest.raises(changes.SubscriptionChangeRefused) as refused:
        changes.subscription_change_request(actor=reseller_user, subscription=other, cancel=True)
    assert "within 7 days" in refused.value.message and other.status == SubscriptionStatus.ACTIVE


def test_partner_center_refusal_leaves_the_record_unchanged(subscription, change, pc_sim):
    pc_sim.control.inject_fault("error", method="PATCH", path="/v1/customers/*/subscriptions/*", count=1, status=400,
                                code=2002, description="Quantity outside the allowed range")

    op = change(subscription, quantity=20)

    assert op.status == OperationStatus.FAILED and "Quantity outside the allowed range" in op.last_error_message
    assert subscription.quantity == 10
