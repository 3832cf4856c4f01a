"""Changes at renewal end to end against the simulator: a next-term instruction set, deleted by Microsoft on a
mid-term seat change and re-applied by the BSS, then the renewal with the instruction's quantity recorded in the
licence ledger and rated as a `renew` charge; reconciliation's missing-instruction finding and its re-apply."""

import datetime as dt
from decimal import Decimal

import pytest

from billing.rating import ChargeType
from billing.rating.ledger import rate_subscription
from billing.services.history import Audience, priced_history
from bss.choices import LedgerEventKind
from bss.models import NextTermInstruction, Subscription
from provisioning.choices import OperationKind, OperationStatus
from provisioning.models import ProvisioningOperation
from provisioning.services import changes, renewals
from reconciliation.choices import CorrectiveAction, FindingKind, FindingStatus, Resolution, RunScope
from reconciliation.models import Finding
from reconciliation.services import actions, runs
from tests.factories.catalog import PriceFactory, ProductFactory, SkuFactory
from tests.provisioning.conftest import BUSINESS_BASIC, line

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(place):
    order = place(lines=[line(quantity=10)])
    return Subscription.objects.get(tenant=order.tenant)


@pytest.fixture
def run_after_commit(django_capture_on_commit_callbacks):
    def _run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return _run


@pytest.fixture
def reconcile(run_after_commit, staff):
    def _reconcile(sub):
        run = run_after_commit(runs.reconciliation_run_start, actor=staff, scope=RunScope.CUSTOMER,
                               customer=sub.customer)
        run.refresh_from_db()
        sub.refresh_from_db()
        return run

    return _reconcile


@pytest.fixture
def staff(db):
    from tests.factories.bss import UserFactory

    return UserFactory(is_staff=True, is_superuser=True)


def _pc(pc_sim, sub):
    return pc_sim.app.state.partner(pc_sim.partners.direct.tenant_id).subscriptions[sub.pc_subscription_id]


def _price_list(sub, unit_price):
    product_id, sku_id, _ = BUSINESS_BASIC
    sku = SkuFactory(product=ProductFactory(instance=sub.tenant.instance, market=sub.customer.marketplace.market,
                                            product_id=product_id), sku_id=sku_id)
    PriceFactory(sku=sku, term_duration="P1Y", billing_cycle="monthly", unit_price=unit_price,
                 erp_price=unit_price * Decimal("1.2"), currency=sub.customer.marketplace.currency,
                 effective_start=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))


def test_instruction_survives_a_seat_change_and_the_subscription_renews_with_it(
    subscription, reseller_user, pc_sim, run_after_commit, reconcile, staff
):
    sub = subscription
    op = run_after_commit(renewals.next_term_request, actor=reseller_user, subscription=sub,
                          wanted=renewals.NextTermRequest(quantity=6))
    op.refresh_from_db()
    assert op.kind == OperationKind.SET_NEXT_TERM and op.status == OperationStatus.SUCCEEDED
    assert _pc(pc_sim, sub).scheduled_next_term_instructions["quantity"] == 6
    assert NextTermInstruction.objects.get(subscription=sub).confirmed_at is not None

    # A mid-term seat change: Microsoft deletes the instruction, the BSS sends it again.
    change = run_after_commit(changes.subscription_change_request, actor=reseller_user, subscription=sub, quantity=12)
    change.refresh_from_db()
    assert change.status == OperationStatus.SUCCEEDED
    reapplied = ProvisioningOperation.objects.filter(subscription=sub, kind=OperationKind.SET_NEXT_TERM).first()
    assert reapplied is not None and reapplied.payload["reason"] == "after_quantity_change"
    assert reapplied.status == OperationStatus.SUCCEEDED
    assert _pc(pc_sim, sub).quantity == 12
    assert _pc(pc_sim, sub).scheduled_next_term_instructions["quantity"] == 6

    # Past the term end: Partner Center renews with the instruction's quantity; the next check records it.
    _price_list(sub, Decimal("7.00"))
    old_end = sub.commitment_end_date
    pc_sim.control.set_clock(f"{old_end + dt.timedelta(days=2)}T12:00:00Z")
    reconcile(sub)

    assert sub.quantity == 6 and sub.commitment_end_date > old_end
    renewal = sub.ledger.order_by("-effective_at", "-id").first()
    assert renewal.kind == LedgerEventKind.RENEW and (renewal.quantity_before, renewal.quantity_after) == (12, 6)
    assert renewal.effective_at == dt.datetime.combine(old_end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    assert renewal.reason == "renewal_with_instruction" and renewal.unit_cost == Decimal("7.00")
    assert not NextTermInstruction.objects.filter(subscription=sub).exists()
    assert not Finding.objects.filter(subscription=sub, status=FindingStatus.OPEN).exists()
    # Billing rates the recorded renewal (no inferred second one).
    history = priced_history(sub, list(sub.ledger.all()), audience=Audience.CUSTOMER)
    renews = [e for e in history.events if e.kind.value == "renew"]
    assert len(renews) == 1 and renews[0].quantity_after == 6
    charges = rate_subscription(history.events, through=old_end + dt.timedelta(days=1))
    renew_charges = [c for c in charges if c.charge_type is ChargeType.RENEW]
    assert len(renew_charges) == 1 and renew_charges[0].quantity == 6

    # A second check records nothing more.
    reconcile(sub)
    assert sub.ledger.filter(kind=LedgerEventKind.RENEW).count() == 1


def test_refusals_are_microsofts(subscription, reseller_user, run_after_commit, pc_sim):
    with pytest.raises(renewals.NextTermRefused) as refused:
        renewals.next_term_request(actor=reseller_user, subscription=subscription, wanted=renewals.NextTermRequest())
    assert refused.value.code == "empty_instruction"
    with pytest.raises(renewals.NextTermRefused) as refused:
        renewals.next_term_request(actor=reseller_user, subscription=subscription,
                                   wanted=renewals.NextTermRequest(term_duration="P9Y"))
    assert refused.value.code == "invalid_term"

    run_after_commit(changes.subscription_change_request, actor=reseller_user, subscription=subscription,
                     auto_renew=False)
    subscription.refresh_from_db()
    with pytest.raises(renewals.NextTermRefused) as refused:
        renewals.next_term_request(actor=reseller_user, subscription=subscription,
                                   wanted=renewals.NextTermRequest(quantity=3))
    assert refused.value.code == "auto_renew_off" and "Turn auto-renew on" in refused.value.message
    assert not NextTermInstruction.objects.filter(subscription=subscription).exists()


def test_missing_instruction_is_a_finding_and_reapply_fixes_it(
    subscription, reseller_user, pc_sim, run_after_commit, reconcile, staff
):
    sub = subscription
    run_after_commit(renewals.next_term_request, actor=reseller_user, subscription=sub,
                     wanted=renewals.NextTermRequest(quantity=4))
    NextTermInstruction.objects.filter(subscription=sub).update(updated_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    # Someone changes seats in Partner Center directly: Microsoft deletes the instruction.
    _pc(pc_sim, sub).scheduled_next_term_instructions = None

    reconcile(sub)
    finding = Finding.objects.get(subscription=sub, kind=FindingKind.NEXT_TERM_MISSING)
    assert finding.status == FindingStatus.OPEN and "4 licences" in finding.summary

    finding = run_after_commit(actions.finding_apply, actor=staff, finding=finding, action=CorrectiveAction.REAPPLY)
    assert finding.resolution == Resolution.REAPPLIED
    assert _pc(pc_sim, sub).scheduled_next_term_instructions["quantity"] == 4

    reconcile(sub)
    assert not Finding.objects.filter(subscription=sub, kind=FindingKind.NEXT_TERM_MISSING,
                                      status=FindingStatus.OPEN).exists()


def test_turning_auto_renew_off_drops_the_change_at_renewal(subscription, reseller_user, pc_sim, run_after_commit):
    run_after_commit(renewals.next_term_request, actor=reseller_user, subscription=subscription,
                     wanted=renewals.NextTermRequest(quantity=3))

    op = run_after_commit(changes.subscription_change_request, actor=reseller_user, subscription=subscription,
                          auto_renew=False)
    op.refresh_from_db()

    assert op.status == OperationStatus.SUCCEEDED, op.last_error_message
    assert _pc(pc_sim, subscription).auto_renew is False
    assert _pc(pc_sim, subscription).scheduled_next_term_instructions is None
    assert not NextTermInstruction.objects.filter(subscription=subscription).exists()
