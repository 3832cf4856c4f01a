"""Runs against the HTTPS simulator with a real database: every kind of difference, the pending window, clean
estates, re-runs, cancellation and failures."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from bss.exceptions import ApplicationError
from bss.models import AuditEvent, MicrosoftTenant, Subscription
from reconciliation.choices import (
    CustomerCheckStatus,
    FindingKind,
    FindingStatus,
    Resolution,
    RunScope,
    RunStatus,
)
from reconciliation.models import Finding, ReconciliationRun
from reconciliation.services import checks, runs
from tests.factories.bss import CustomerFactory, MicrosoftTenantFactory
from tests.reconciliation.conftest import age_row, change, mirror

pytestmark = pytest.mark.django_db


def run_now(django_capture_on_commit_callbacks, **kwargs) -> ReconciliationRun:
    """Start a run and let its after-commit sweep and tasks run (Celery is eager in tests)."""
    with django_capture_on_commit_callbacks(execute=True):
        run = runs.reconciliation_run_start(actor=kwargs.pop("actor", None), **kwargs)
    run.refresh_from_db()
    return run


def subscription_reads(sim, customer_id):
    return [r for r in sim.control.requests(method="GET") if r["path"] == f"/v1/customers/{customer_id}/subscriptions"]


def test_clean_estate_gives_zero_findings_with_one_partner_center_read(
    sim, estate, operator, django_capture_on_commit_callbacks
):
    sim.control.clear_requests()

    run = run_now(
        django_capture_on_commit_callbacks, actor=operator, scope=RunScope.CUSTOMER, customer=estate.tenant.customer
    )

    assert (run.status, run.customers_total, run.customers_done, run.customers_failed) == (RunStatus.COMPLETED, 1, 1, 0)
    assert (run.findings_count, run.pending_count, run.pc_calls) == (0, 0, 1)
    assert Finding.objects.count() == 0
    assert len(subscription_reads(sim, estate.tenant.pc_customer_id)) == 1
    assert AuditEvent.objects.filter(action="reconciliation_run.start", actor=operator).count() == 1


def test_every_kind_of_difference_is_found_with_both_sides_and_partner_center_details(
    sim, estate, instance, django_capture_on_commit_callbacks
):
    bss = estate.bss
    change(bss["m365_e3_old"], quantity=7, term_duration="P1Y", pc_product_id="CFQ7TTC0LH18")
    change(
        bss["exchange_suspended"],
        status="active",
        billing_cycle="annual",
        auto_renew=False,
        commitment_end_date=bss["exchange_suspended"].commitment_end_date + dt.timedelta(days=1),
    )
    Subscription.objects.filter(pk=bss["azure_plan"].pk).delete()  # unknown to the BSS
    # Partner Center never heard of this one:
    ghost = mirror(estate.tenant, estate.pc["m365_e3_old"], pc_subscription_id=str(uuid.uuid4()))
    orphan_tenant = MicrosoftTenantFactory(
        customer=CustomerFactory(), instance=instance, pc_customer_id=str(uuid.uuid4())
    )

    run = run_now(django_capture_on_commit_callbacks, scope=RunScope.INSTANCE, instance=instance)

    assert (run.status, run.customers_total, run.customers_done) == (RunStatus.COMPLETED, 2, 2)
    found = {(f.kind, f.subscription_id): f for f in Finding.objects.all()}
    e3, exchange = bss["m365_e3_old"].pk, bss["exchange_suspended"].pk
    assert set(found) == {
        (FindingKind.QUANTITY, e3),
        (FindingKind.TERM, e3),
        (FindingKind.SKU, e3),
        (FindingKind.STATUS, exchange),
        (FindingKind.BILLING_CYCLE, exchange),
        (FindingKind.AUTO_RENEW, exchange),
        (FindingKind.COMMITMENT_END_DATE, exchange),
        (FindingKind.MISSING_IN_BSS, None),
        (FindingKind.MISSING_IN_PARTNER_CENTER, ghost.pk),
        (FindingKind.ORPHAN, None),
    }
    assert all(f.status == FindingStatus.OPEN for f in found.values())
    assert run.findings_count == 10 and run.pending_count == 0
    quantity = found[(FindingKind.QUANTITY, e3)]
    assert (quantity.bss_values, quantity.pc_values) == ({"quantity": 7}, {"quantity": 5})
    assert quantity.pc_details["id"] == estate.pc["m365_e3_old"].id and quantity.pc_details["quantity"] == 5
    status = found[(FindingKind.STATUS, exchange)]
    assert (status.bss_values, status.pc_values) == ({"status": "active"}, {"status": "suspended"})
    unknown = found[(FindingKind.MISSING_IN_BSS, None)]
    assert (
        unknown.pc_subscription_id == estate.pc["azure_plan"].id
        and unknown.pc_values["pc_product_id"] == "DZH318Z0BPS6"
    )
    orphan = found[(FindingKind.ORPHAN, None)]
    assert orphan.tenant == orphan_tenant and "20002" in orphan.pc_values["reason"]


def test_recent_changes_are_pending_not_findings(sim, estate, django_capture_on_commit_callbacks):
    # Partner Center bought "Business Basic - HQ" minutes ago; the BSS changed the E3 a minute ago.
    change(estate.bss["business_basic_new"], quantity=11)
    Subscription.objects.filter(pk=estate.bss["m365_e3_old"].pk).update(quantity=6, updated_at=timezone.now())

    run = run_now(django_capture_on_commit_callbacks, scope=RunScope.CUSTOMER, customer=estate.tenant.customer)

    assert (run.findings_count, run.pending_count) == (0, 2)
    assert set(Finding.objects.values_list("kind", "status")) == {(FindingKind.QUANTITY, FindingStatus.PENDING)}


def test_rerun_updates_findings_instead_of_duplicating_and_clears_fixed_ones(
    sim, estate, django_capture_on_commit_callbacks
):
    e3 = change(estate.bss["m365_e3_old"], quantity=7)
    change(estate.bss["exchange_suspended"], auto_renew=False)
    first = run_now(django_capture_on_commit_callbacks, scope=RunScope.CUSTOMER, customer=estate.tenant.customer)
    quantity = Finding.objects.get(kind=FindingKind.QUANTITY)

    change(e3, quantity=5)  # fixed by hand in the BSS
    second = run_now(django_capture_on_commit_callbacks, scope=RunScope.CUSTOMER, customer=estate.tenant.customer)

    assert Finding.objects.count() == 2
    quantity.refresh_from_db()
    assert (quantity.status, quantity.resolution, quantity.run) == (FindingStatus.RESOLVED, Resolution.CLEARED, second)
    auto_renew = Finding.objects.get(kind=FindingKind.AUTO_RENEW)
    assert (auto_renew.status, auto_renew.run, auto_renew.first_seen_at < auto_renew.last_seen_at) == (
        FindingStatus.OPEN,
        second,
        True,
    )
    assert first.findings_count == 2 and second.findings_count == 1


def test_partner_center_failure_marks_the_customer_failed_and_the_run_completes(
    sim, estate, instance, django_capture_on_commit_callbacks
):
    other = MicrosoftTenantFactory(instance=instance, pc_customer_id=sim.control.seeded["customer_education"])
    sim.control.inject_fault("5xx", method="GET", path=f"/v1/customers/{estate.tenant.pc_customer_id}/subscriptions")

    run = run_now(django_capture_on_commit_callbacks, scope=RunScope.INSTANCE, instance=instance)

    assert (run.status, run.customers_done, run.customers_failed) == (RunStatus.COMPLETED, 1, 1)
    failed = run.checks.get(status=CustomerCheckStatus.FAILED)
    assert failed.tenant == estate.tenant and "HTTP 5" in failed.error
    assert run.checks.get(status=CustomerCheckStatus.DONE).tenant == other
    assert Finding.objects.count() == 0


def test_cancel_skips_the_customers_not_yet_checked(sim, estate, instance, operator):
    for _ in range(3):
        MicrosoftTenantFactory(instance=instance)
    run = runs.reconciliation_run_start(actor=operator, scope=RunScope.INSTANCE, instance=instance)
    first = run.checks.order_by("pk").first()
    ReconciliationRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    checks.reconciliation_customer_check(run_id=run.pk, tenant_id=first.tenant_id)
    sim.control.clear_requests()

    runs.reconciliation_run_cancel(actor=operator, run=run)
    for check in run.checks.all():  # the queued tasks still arrive: they must not call Partner Center
        checks.reconciliation_customer_check(run_id=run.pk, tenant_id=check.tenant_id)

    run.refresh_from_db()
    assert (run.status, run.customers_total, run.customers_done, run.customers_cancelled) == (
        RunStatus.CANCELLED,
        4,
        1,
        3,
    )
    assert run.cancelled_by == operator and run.finished_at is not None
    assert sim.control.requests(method="GET") == []
    event = AuditEvent.objects.get(action="reconciliation_run.cancel")
    assert (event.actor, event.after["customers_skipped"]) == (operator, 3)


def test_cancel_before_the_sweep_starts_finishes_the_run_without_any_call(
    sim, estate, operator, django_capture_on_commit_callbacks
):
    run = runs.reconciliation_run_start(actor=operator, scope=RunScope.CUSTOMER, customer=estate.tenant.customer)
    with django_capture_on_commit_callbacks(execute=True):
        runs.reconciliation_run_cancel(actor=operator, run=run)
    sim.control.clear_requests()

    assert runs.reconciliation_run_fan_out(run_id=run.pk) == 0

    run.refresh_from_db()
    assert (run.status, run.customers_cancelled) == (RunStatus.CANCELLED, 1)
    assert sim.control.requests(method="GET") == []


def test_a_second_run_over_the_same_scope_is_refused_while_one_is_active(estate, operator):
    runs.reconciliation_run_start(actor=operator, scope=RunScope.CUSTOMER, customer=estate.tenant.customer)
    with pytest.raises(ApplicationError) as error:
        runs.reconciliation_run_start(actor=operator, scope=RunScope.CUSTOMER, customer=estate.tenant.customer)
    assert error.value.code == "run_in_progress"
    assert ReconciliationRun.objects.count() == 1


def test_reseller_scope_checks_only_that_resellers_customers(sim, estate, instance, django_capture_on_commit_callbacks):
    MicrosoftTenantFactory(instance=instance, pc_customer_id=sim.control.seeded["customer_education"])

    run = run_now(django_capture_on_commit_callbacks, scope=RunScope.RESELLER, reseller=estate.tenant.customer.reseller)

    assert list(run.checks.values_list("tenant_id", flat=True)) == [estate.tenant.pk]


def test_tenants_without_partner_center_id_or_relationship_are_not_checked(estate, instance):
    MicrosoftTenantFactory(instance=instance, pc_customer_id=None, relationship_status="pending_creation")
    MicrosoftTenantFactory(instance=instance, relationship_status="removed")

    run = runs.reconciliation_run_start(actor=None, scope=RunScope.INSTANCE, instance=instance)

    assert run.customers_total == 1
    assert MicrosoftTenant.objects.count() == 3


def test_lanes_bound_the_concurrency(settings, estate, instance):
    settings.RECONCILIATION_CONCURRENCY = 2
    for _ in range(4):
        MicrosoftTenantFactory(instance=instance)
    run = runs.reconciliation_run_start(actor=None, scope=RunScope.INSTANCE, instance=instance)

    lanes = runs.reconciliation_run_fan_out(run_id=run.pk)

    run.refresh_from_db()
    assert lanes == 2
    assert (run.status, run.customers_done + run.customers_failed) == (RunStatus.COMPLETED, 5)


def test_age_helper_keeps_rows_outside_the_window(estate):
    row = estate.bss["m365_e3_old"]
    age_row(row)
    assert row.updated_at < timezone.now() - dt.timedelta(minutes=15)
