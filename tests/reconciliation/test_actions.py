"""Corrective actions on findings (alone and in bulk), each with its audit rows; auto-apply on nightly runs."""

import pytest

from bss.exceptions import ApplicationError
from bss.models import AuditEvent, LicenseLedgerEntry, Subscription
from reconciliation.choices import CorrectiveAction, FindingKind, FindingStatus, Resolution, RunScope, RunStatus
from reconciliation.models import Finding, ReconciliationRun
from reconciliation.services import actions, auto_apply, runs
from tests.factories.bss import MicrosoftTenantFactory
from tests.reconciliation.conftest import change, mirror

pytestmark = pytest.mark.django_db


def reconcile(estate, capture) -> ReconciliationRun:
    with capture(execute=True):
        run = runs.reconciliation_run_start(actor=None, scope=RunScope.CUSTOMER, customer=estate.tenant.customer)
    run.refresh_from_db()
    return run


def test_adopt_partner_center_quantity_writes_the_bss_with_ledger_and_audit(
    estate, operator, django_capture_on_commit_callbacks
):
    e3 = change(estate.bss["m365_e3_old"], quantity=7)
    reconcile(estate, django_capture_on_commit_callbacks)
    finding = Finding.objects.get(kind=FindingKind.QUANTITY)

    actions.finding_adopt_partner_center(actor=operator, finding=finding)

    e3.refresh_from_db()
    finding.refresh_from_db()
    assert e3.quantity == 5
    assert (finding.status, finding.resolution, finding.resolved_by) == (
        FindingStatus.RESOLVED,
        Resolution.ADOPTED_PARTNER_CENTER,
        operator,
    )
    ledger = LicenseLedgerEntry.objects.get(subscription=e3)
    assert (ledger.quantity_before, ledger.quantity_after, ledger.reason, ledger.actor) == (
        7,
        5,
        "reconciliation_adopt",
        operator,
    )
    write = AuditEvent.objects.get(action="subscription.reconciliation_adopt")
    assert (write.actor, write.object_id, write.before["quantity"], write.after) == (
        operator,
        str(e3.pk),
        7,
        {"quantity": 5},
    )
    resolve = AuditEvent.objects.get(action="reconciliation_finding.adopt_pc")
    assert (resolve.before["status"], resolve.after["resolution"]) == ("open", "adopted_pc")
    # and the next run finds nothing
    assert reconcile(estate, django_capture_on_commit_callbacks).findings_count == 0


@pytest.mark.parametrize(
    ("_case", "bss_change", "kind", "field", "expected"),
    [
        ("status", {"status": "active"}, FindingKind.STATUS, "status", "suspended"),
        ("term", {"term_duration": "P1M"}, FindingKind.TERM, "term_duration", "P1Y"),
        ("cycle", {"billing_cycle": "annual"}, FindingKind.BILLING_CYCLE, "billing_cycle", "monthly"),
        ("auto_renew", {"auto_renew": False}, FindingKind.AUTO_RENEW, "auto_renew", True),
        ("sku", {"pc_product_id": "CFQ7TTC0LFLX"}, FindingKind.SKU, "pc_product_id", "CFQ7TTC0LH16"),
    ],
)
def test_adopt_each_field_kind(
    estate, operator, django_capture_on_commit_callbacks, _case, bss_change, kind, field, expected
):
    exchange = change(estate.bss["exchange_suspended"], **bss_change)
    reconcile(estate, django_capture_on_commit_callbacks)

    actions.finding_adopt_partner_center(actor=operator, finding=Finding.objects.get(kind=kind))

    exchange.refresh_from_db()
    assert getattr(exchange, field) == expected
    assert reconcile(estate, django_capture_on_commit_callbacks).findings_count == 0


def test_adopt_refuses_a_stale_finding_and_changes_nothing(estate, operator, django_capture_on_commit_callbacks):
    e3 = change(estate.bss["m365_e3_old"], quantity=7)
    reconcile(estate, django_capture_on_commit_callbacks)
    change(e3, quantity=8)  # someone changed it after the run

    with pytest.raises(ApplicationError) as error:
        actions.finding_adopt_partner_center(actor=operator, finding=Finding.objects.get(kind=FindingKind.QUANTITY))

    assert error.value.code == "finding_stale"
    e3.refresh_from_db()
    assert e3.quantity == 8 and not AuditEvent.objects.filter(action__startswith="subscription.").exists()
    assert Finding.objects.get(kind=FindingKind.QUANTITY).status == FindingStatus.OPEN


def test_push_bss_auto_renew_goes_through_a_provisioning_operation(
    estate, operator, django_capture_on_commit_callbacks
):
    pytest.importorskip("provisioning.services")
    e3 = change(estate.bss["m365_e3_old"], auto_renew=False)
    reconcile(estate, django_capture_on_commit_callbacks)
    finding = Finding.objects.get(kind=FindingKind.AUTO_RENEW)

    with django_capture_on_commit_callbacks(execute=True):
        actions.finding_push_bss(actor=operator, finding=finding)

    finding.refresh_from_db()
    assert (finding.status, finding.resolution) == (FindingStatus.RESOLVED, Resolution.PUSHED_BSS)
    assert finding.provisioning_operation_id is not None
    assert estate.pc_now("m365_e3_old").auto_renew_enabled is False
    assert AuditEvent.objects.filter(action="reconciliation_finding.push_bss", actor=operator).count() == 1
    e3.refresh_from_db()
    assert e3.auto_renew is False


def test_push_is_not_offered_for_adopt_only_kinds(estate, operator, django_capture_on_commit_callbacks):
    change(estate.bss["m365_e3_old"], term_duration="P1Y")
    reconcile(estate, django_capture_on_commit_callbacks)

    with pytest.raises(ApplicationError) as error:
        actions.finding_push_bss(actor=operator, finding=Finding.objects.get(kind=FindingKind.TERM))

    assert error.value.code == "action_not_applicable"


def test_import_an_unknown_subscription(estate, operator, django_capture_on_commit_callbacks):
    Subscription.objects.filter(pk=estate.bss["azure_plan"].pk).delete()
    reconcile(estate, django_capture_on_commit_callbacks)
    finding = Finding.objects.get(kind=FindingKind.MISSING_IN_BSS)

    actions.finding_import(actor=operator, finding=finding)

    imported = Subscription.objects.get(pc_subscription_id=estate.pc["azure_plan"].id)
    assert (imported.customer, imported.tenant, imported.pc_product_id) == (
        estate.tenant.customer,
        estate.tenant,
        "DZH318Z0BPS6",
    )
    finding.refresh_from_db()
    assert (finding.resolution, finding.subscription) == (Resolution.IMPORTED, imported)
    assert AuditEvent.objects.filter(action="subscription.import", object_id=str(imported.pk)).exists()
    assert AuditEvent.objects.filter(action="reconciliation_finding.import", actor=operator).exists()


def test_link_an_unknown_subscription_to_the_bss_record_that_lost_its_id(
    estate, operator, django_capture_on_commit_callbacks
):
    e3 = change(estate.bss["m365_e3_old"], pc_subscription_id=None)
    reconcile(estate, django_capture_on_commit_callbacks)
    unknown = Finding.objects.get(kind=FindingKind.MISSING_IN_BSS)
    assert unknown.suggested_subscription == e3

    result = actions.findings_bulk_apply(actor=operator, finding_ids=[unknown.pk], action=CorrectiveAction.LINK)

    assert result.applied == [unknown.pk]
    e3.refresh_from_db()
    assert e3.pc_subscription_id == estate.pc["m365_e3_old"].id
    assert set(Finding.objects.values_list("kind", "resolution")) == {
        (FindingKind.MISSING_IN_BSS, Resolution.LINKED),
        (FindingKind.MISSING_IN_PARTNER_CENTER, Resolution.LINKED),
    }
    event = AuditEvent.objects.get(action="subscription.reconciliation_link")
    assert (event.before, event.after["pc_subscription_id"]) == ({"pc_subscription_id": None}, e3.pc_subscription_id)
    assert reconcile(estate, django_capture_on_commit_callbacks).findings_count == 0


def test_ignore_needs_a_reason_and_stays_ignored_while_nothing_changes(
    estate, operator, django_capture_on_commit_callbacks
):
    e3 = change(estate.bss["m365_e3_old"], quantity=7)
    reconcile(estate, django_capture_on_commit_callbacks)
    finding = Finding.objects.get(kind=FindingKind.QUANTITY)
    with pytest.raises(ApplicationError):
        actions.finding_ignore(actor=operator, finding=finding, reason="  ")

    actions.finding_ignore(actor=operator, finding=finding, reason="2 licences are held for a migration")
    rerun = reconcile(estate, django_capture_on_commit_callbacks)

    finding.refresh_from_db()
    assert (finding.status, finding.reason, finding.run) == (
        FindingStatus.IGNORED,
        "2 licences are held for a migration",
        rerun,
    )
    assert rerun.findings_count == 0
    change(e3, quantity=9)  # the difference changed: raised again
    reconcile(estate, django_capture_on_commit_callbacks)
    finding.refresh_from_db()
    assert (finding.status, finding.resolution, finding.bss_values) == (FindingStatus.OPEN, "", {"quantity": 9})


def test_adopting_an_orphan_records_the_relationship_as_removed(
    sim, estate, instance, operator, django_capture_on_commit_callbacks
):
    orphan_tenant = MicrosoftTenantFactory(instance=instance, customer=estate.tenant.customer)
    with django_capture_on_commit_callbacks(execute=True):
        runs.reconciliation_run_start(actor=None, scope=RunScope.INSTANCE, instance=instance)
    finding = Finding.objects.get(kind=FindingKind.ORPHAN)

    actions.finding_adopt_partner_center(actor=operator, finding=finding)

    orphan_tenant.refresh_from_db()
    assert orphan_tenant.relationship_status == "removed"
    assert AuditEvent.objects.get(action="tenant.reconciliation_relationship_removed").actor == operator


def test_bulk_adopt_applies_what_fits_and_skips_the_rest_with_reasons(
    estate, operator, django_capture_on_commit_callbacks
):
    change(estate.bss["m365_e3_old"], quantity=7, auto_renew=False)
    Subscription.objects.filter(pk=estate.bss["azure_plan"].pk).delete()
    reconcile(estate, django_capture_on_commit_callbacks)
    ids = list(Finding.objects.order_by("pk").values_list("pk", flat=True))
    unknown = Finding.objects.get(kind=FindingKind.MISSING_IN_BSS).pk

    result = actions.findings_bulk_apply(actor=operator, finding_ids=ids, action=CorrectiveAction.ADOPT_PARTNER_CENTER)

    assert sorted(result.applied) == sorted(set(ids) - {unknown})
    assert [fid for fid, _ in result.skipped] == [unknown]
    e3 = Subscription.objects.get(pk=estate.bss["m365_e3_old"].pk)
    assert (e3.quantity, e3.auto_renew) == (5, True)
    assert AuditEvent.objects.filter(action="reconciliation_finding.adopt_pc", actor=operator).count() == 2


def test_pending_findings_can_only_be_ignored(estate, operator, django_capture_on_commit_callbacks):
    change(estate.bss["business_basic_new"], quantity=11)  # Partner Center bought it minutes ago
    reconcile(estate, django_capture_on_commit_callbacks)
    finding = Finding.objects.get(kind=FindingKind.QUANTITY, status=FindingStatus.PENDING)

    with pytest.raises(ApplicationError) as error:
        actions.finding_adopt_partner_center(actor=operator, finding=finding)

    assert error.value.code == "finding_not_open"


def test_nightly_run_auto_applies_only_the_kinds_whose_policy_is_on(
    estate, instance, operator, django_capture_on_commit_callbacks
):
    auto_apply.auto_apply_policy_set(actor=operator, kind=FindingKind.AUTO_RENEW, enabled=True)
    e3 = change(estate.bss["m365_e3_old"], auto_renew=False, quantity=7)

    with django_capture_on_commit_callbacks(execute=True):
        (run,) = runs.reconciliation_nightly_start()

    run.refresh_from_db()
    e3.refresh_from_db()
    assert (run.status, run.auto_applied_count) == (RunStatus.COMPLETED, 1)
    assert (e3.auto_renew, e3.quantity) == (True, 7)  # quantity's policy is off
    assert Finding.objects.get(kind=FindingKind.AUTO_RENEW).resolution == Resolution.AUTO_ADOPTED
    assert Finding.objects.get(kind=FindingKind.QUANTITY).status == FindingStatus.OPEN
    event = AuditEvent.objects.get(action="subscription.reconciliation_adopt")
    assert (event.actor, event.actor_label) == (None, "reconciliation auto-apply")


def test_auto_apply_is_off_by_default(estate, instance, django_capture_on_commit_callbacks):
    change(estate.bss["m365_e3_old"], auto_renew=False)
    with django_capture_on_commit_callbacks(execute=True):
        runs.reconciliation_nightly_start()
    assert Finding.objects.get(kind=FindingKind.AUTO_RENEW).status == FindingStatus.OPEN


def test_missing_in_partner_center_adopt_cancels_the_bss_record(estate, operator, django_capture_on_commit_callbacks):
    ghost = mirror(estate.tenant, estate.pc["m365_e3_old"], pc_subscription_id="00000000-0000-4000-8000-000000000001")
    reconcile(estate, django_capture_on_commit_callbacks)

    actions.finding_adopt_partner_center(
        actor=operator, finding=Finding.objects.get(kind=FindingKind.MISSING_IN_PARTNER_CENTER)
    )

    ghost.refresh_from_db()
    assert ghost.status == "deleted"


def test_push_quantity_raises_partner_center_to_the_bss_value(estate, operator, django_capture_on_commit_callbacks):
    # Judged against Partner Center's 5 licences, 7 is an increase, allowed at any time.
    change(estate.bss["m365_e3_old"], quantity=7)
    reconcile(estate, django_capture_on_commit_callbacks)
    finding = Finding.objects.get(kind=FindingKind.QUANTITY)

    with django_capture_on_commit_callbacks(execute=True):
        actions.finding_push_bss(actor=operator, finding=finding)

    finding.refresh_from_db()
    assert (finding.status, finding.resolution) == (FindingStatus.RESOLVED, Resolution.PUSHED_BSS)
    assert estate.pc_now("m365_e3_old").quantity == 7
    assert Subscription.objects.get(pk=estate.bss["m365_e3_old"].pk).quantity == 7


def test_push_of_a_decrease_partner_center_would_refuse_is_explained_and_changes_nothing(
    estate, operator, django_capture_on_commit_callbacks
):
    # The licences were bought long ago: Partner Center refunds none of them, so 5 -> 3 cannot be pushed.
    change(estate.bss["m365_e3_old"], quantity=3)
    reconcile(estate, django_capture_on_commit_callbacks)
    finding = Finding.objects.get(kind=FindingKind.QUANTITY)

    with pytest.raises(ApplicationError) as error:
        actions.finding_push_bss(actor=operator, finding=finding)

    assert error.value.code == "push_refused" and "Only licences added in the last 7 days" in error.value.message
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN and finding.provisioning_operation_id is None
    assert estate.pc_now("m365_e3_old").quantity == 5
