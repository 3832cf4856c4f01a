"""The back-office tool: permission matrix (404 and nothing changes), start/cancel, progress, actions, bulk."""

import pytest
from django.urls import reverse

from bss.models import AuditEvent
from reconciliation.choices import FindingKind, FindingStatus, RunStatus
from reconciliation.models import AutoApplyPolicy, Finding, ReconciliationRun
from tests.factories.bss import CustomerUserFactory, ResellerUserFactory, StaffUserFactory
from tests.reconciliation.conftest import change, staff_with

pytestmark = pytest.mark.django_db


def start(client, estate, capture):
    with capture(execute=True):
        return client.post(
            reverse("reconciliation:run_start"), {"scope": "customer", "customer": estate.tenant.customer.pk}
        )


@pytest.mark.parametrize(
    "_case",
    ["reseller_user", "customer_user", "staff_without_permission", "staff_with_view_only"],
)
def test_users_without_the_permissions_get_404_and_nothing_changes(client, estate, _case):
    user = {
        "reseller_user": ResellerUserFactory,
        "customer_user": CustomerUserFactory,
        "staff_without_permission": StaffUserFactory,
        "staff_with_view_only": lambda: staff_with("view_reconciliationrun"),
    }[_case]()
    change(estate.bss["m365_e3_old"], quantity=7)
    client.force_login(user)
    run = ReconciliationRun.objects.create(scope="customer", customer=estate.tenant.customer)
    finding = Finding.objects.create(
        run=run,
        kind=FindingKind.QUANTITY,
        tenant=estate.tenant,
        customer=estate.tenant.customer,
        subscription=estate.bss["m365_e3_old"],
        pc_customer_id=estate.tenant.pc_customer_id,
        summary="q",
        bss_values={"quantity": 7},
        pc_values={"quantity": 5},
        last_seen_at=run.created_at,
    )
    before = AuditEvent.objects.count()

    posts = [
        client.post(reverse("reconciliation:run_start"), {"scope": "customer", "customer": estate.tenant.customer.pk}),
        client.post(reverse("reconciliation:run_cancel", args=[run.pk])),
        client.post(reverse("reconciliation:finding_action", args=[finding.pk]), {"action": "adopt_pc"}),
        client.post(reverse("reconciliation:findings_bulk"), {"action": "ignore", "reason": "x", "target": "matching"}),
        client.post(reverse("reconciliation:policies_update"), {"auto_quantity": "on"}),
    ]

    assert [r.status_code for r in posts] == [404] * 5
    if _case != "staff_with_view_only":
        gets = [
            client.get(reverse("reconciliation:home")),
            client.get(reverse("reconciliation:run_detail", args=[run.pk])),
            client.get(reverse("reconciliation:run_progress", args=[run.pk])),
            client.get(reverse("reconciliation:finding_list")),
            client.get(reverse("reconciliation:finding_detail", args=[finding.pk])),
        ]
        assert [r.status_code for r in gets] == [404] * 5
    assert ReconciliationRun.objects.count() == 1 and not run.cancel_requested
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN and not AutoApplyPolicy.objects.exists()
    assert AuditEvent.objects.count() == before
    estate.bss["m365_e3_old"].refresh_from_db()
    assert estate.bss["m365_e3_old"].quantity == 7


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("reconciliation:home"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_tool_is_listed_only_for_staff_with_the_view_permission(client, operator):
    client.force_login(StaffUserFactory())
    assert b"Subscriptions Validation/Reconciliation" not in client.get(reverse("backoffice:tools")).content
    client.force_login(operator)
    assert b"Subscriptions Validation/Reconciliation" in client.get(reverse("backoffice:tools")).content


def test_operator_runs_sees_progress_and_findings_and_applies_an_action(
    client, estate, operator, django_capture_on_commit_callbacks
):
    change(estate.bss["m365_e3_old"], quantity=7)
    client.force_login(operator)

    response = start(client, estate, django_capture_on_commit_callbacks)

    run = ReconciliationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reconciliation:run_detail", args=[run.pk])
    progress = client.get(reverse("reconciliation:run_progress", args=[run.pk])).json()
    assert (progress["status"], progress["customers_finished"], progress["customers_total"], progress["findings"]) == (
        RunStatus.COMPLETED,
        1,
        1,
        1,
    )
    assert b"Quantity mismatch" in client.get(reverse("reconciliation:run_detail", args=[run.pk])).content
    finding = Finding.objects.get()
    listing = client.get(reverse("reconciliation:finding_list")).content.decode()
    assert estate.pc["m365_e3_old"].id in listing
    detail = client.get(reverse("reconciliation:finding_detail", args=[finding.pk])).content.decode()
    assert "Adopt Partner Center" in detail and estate.pc["m365_e3_old"].id in detail

    response = client.post(reverse("reconciliation:finding_action", args=[finding.pk]), {"action": "adopt_pc"})

    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.status == FindingStatus.RESOLVED
    assert (
        "reconciliation_finding.adopt_pc"
        in client.get(reverse("reconciliation:finding_detail", args=[finding.pk])).content.decode()
    )


def test_running_run_page_polls_and_can_be_cancelled(client, estate, operator):
    client.force_login(operator)
    client.post(reverse("reconciliation:run_start"), {"scope": "customer", "customer": estate.tenant.customer.pk})
    run = ReconciliationRun.objects.get()
    page = client.get(reverse("reconciliation:run_detail", args=[run.pk])).content.decode()
    assert reverse("reconciliation:run_progress", args=[run.pk]) in page and "run_progress.js" in page

    client.post(reverse("reconciliation:run_cancel", args=[run.pk]))

    run.refresh_from_db()
    assert (run.status, run.cancel_requested, run.cancelled_by) == (RunStatus.CANCELLED, True, operator)


def test_bulk_ignore_over_everything_matching_the_filter(client, estate, operator, django_capture_on_commit_callbacks):
    change(estate.bss["m365_e3_old"], quantity=7, auto_renew=False)
    change(estate.bss["exchange_suspended"], billing_cycle="annual")
    client.force_login(operator)
    start(client, estate, django_capture_on_commit_callbacks)

    response = client.post(
        reverse("reconciliation:findings_bulk") + f"?kind={FindingKind.QUANTITY}",
        {"action": "ignore", "reason": "reviewed with the customer", "target": "matching"},
    )

    assert response.status_code == 302
    statuses = dict(Finding.objects.values_list("kind", "status"))
    assert statuses == {
        FindingKind.QUANTITY: FindingStatus.IGNORED,
        FindingKind.AUTO_RENEW: FindingStatus.OPEN,
        FindingKind.BILLING_CYCLE: FindingStatus.OPEN,
    }
    assert AuditEvent.objects.filter(action="reconciliation_finding.ignore", actor=operator).count() == 1


def test_bulk_on_ticked_findings(client, estate, operator, django_capture_on_commit_callbacks):
    change(estate.bss["m365_e3_old"], quantity=7, auto_renew=False)
    client.force_login(operator)
    start(client, estate, django_capture_on_commit_callbacks)
    ids = list(Finding.objects.values_list("pk", flat=True))

    client.post(reverse("reconciliation:findings_bulk"), {"action": "adopt_pc", "target": "selected", "ids": ids})

    assert set(Finding.objects.values_list("status", flat=True)) == {FindingStatus.RESOLVED}


def test_policies_are_saved_with_audit(client, operator):
    client.force_login(operator)
    client.post(reverse("reconciliation:policies_update"), {"auto_auto_renew": "on"})
    assert dict(AutoApplyPolicy.objects.values_list("kind", "enabled")) == {"auto_renew": True}
    assert AuditEvent.objects.get(action="reconciliation_policy.set").actor == operator
