"""GDAP in reconciliation and the import: a customer without a live relationship, or whose relationship ends
within 30 days without auto-extend, is a finding (only where cspbss manages GDAP: a default template is set); the
corrective actions request a relationship from the default template or turn auto-extend on, through the same core
services as the staff pages; an expiring relationship also sends its notice; "Import Office 365 Customers" brings
the relationships Microsoft holds with each customer in, linked to the tenant."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bss import tasks as bss_tasks
from bss.exceptions import ApplicationError
from bss.models import GdapRelationship, GdapRoleTemplate
from bss.models.gdap import GLOBAL_ADMINISTRATOR_ROLE_ID, HELPDESK_ADMINISTRATOR
from bss.partner_center import get_client
from bss.services import gdap as gdap_services
from reconciliation.choices import CorrectiveAction, FindingKind, FindingStatus, Resolution, RunScope
from reconciliation.imports.services.runs import import_preview_start, import_run_start
from reconciliation.models import Finding
from reconciliation.services import runs
from reconciliation.services.actions import finding_apply
from tests.factories.bss import StaffUserFactory
from tests.imports.conftest import direct, importer, sim  # noqa: F401 - the import's fixtures, as they are
from tests.reconciliation.conftest import staff_with

pytestmark = pytest.mark.django_db

GDAP_KINDS = (FindingKind.GDAP_MISSING, FindingKind.GDAP_EXPIRING)


def _run(capture, customer) -> list[Finding]:
    with capture(execute=True):
        runs.reconciliation_run_start(actor=None, scope=RunScope.CUSTOMER, customer=customer)
    return list(Finding.objects.filter(customer=customer, kind__in=GDAP_KINDS).order_by("pk"))


def _default(instance, **fields) -> GdapRoleTemplate:
    values = {"role_ids": [HELPDESK_ADMINISTRATOR], "duration_days": 730, "auto_extend": True, **fields}
    return gdap_services.gdap_template_save(actor=None, instance=instance, name="Helpdesk", is_default=True,
                                            **values)


def test_no_default_template_no_gdap_findings(place, drive, sim_instance, django_capture_on_commit_callbacks):
    order = drive(place())
    assert _run(django_capture_on_commit_callbacks, order.customer) == []


def test_a_customer_without_an_active_relationship_is_a_finding_and_request_resolves_it(
        place, drive, sim_instance, pc_sim, django_capture_on_commit_callbacks):
    _default(sim_instance)
    order = drive(place())
    first = GdapRelationship.objects.get(tenant=order.tenant)
    capture = django_capture_on_commit_callbacks

    [waiting] = _run(capture, order.customer)
    assert waiting.kind == FindingKind.GDAP_MISSING and waiting.status == FindingStatus.OPEN
    assert "waits for the customer's approval" in waiting.summary
    with pytest.raises(ApplicationError, match="already waiting for the customer"):
        finding_apply(actor=StaffUserFactory(), finding=waiting, action=CorrectiveAction.REQUEST_GDAP)

    pc_sim.control.gdap_answer(first.pc_relationship_id, approve=False)  # the customer declines
    [declined] = _run(capture, order.customer)
    assert declined.pk == waiting.pk and "waits" not in declined.summary
    assert declined.pc_values["relationships"] == {first.pc_relationship_id: "terminated"}

    resolved = finding_apply(actor=StaffUserFactory(), finding=declined, action=CorrectiveAction.REQUEST_GDAP)
    assert (resolved.status, resolved.resolution) == (FindingStatus.RESOLVED, Resolution.GDAP_REQUESTED)
    second = GdapRelationship.objects.exclude(pk=first.pk).get(tenant=order.tenant)
    assert second.status == "approvalPending"

    pc_sim.control.gdap_answer(second.pc_relationship_id, approve=True)
    assert _run(capture, order.customer) == [resolved]  # approved: no new finding
    second.refresh_from_db()
    assert second.status == "active"


def test_an_expiring_relationship_sends_its_notice_is_a_finding_and_extend_resolves_it(
        place, drive, sim_instance, pc_sim, mailoutbox, django_capture_on_commit_callbacks):
    _default(sim_instance, duration_days=40, auto_extend=False)
    order = drive(place())
    relationship = GdapRelationship.objects.get(tenant=order.tenant)
    pc_sim.control.gdap_answer(relationship.pc_relationship_id, approve=True)
    capture = django_capture_on_commit_callbacks
    bss_tasks.gdap_sync_task()
    assert _run(capture, order.customer) == []  # active, 40 days left

    pc_sim.control.advance(days=15)  # Microsoft's clock: 25 days left
    [finding] = _run(capture, order.customer)
    relationship.refresh_from_db()
    assert relationship.status == "expiring"
    assert finding.kind == FindingKind.GDAP_EXPIRING and relationship.display_name in finding.summary
    assert finding.pc_values["relationship_id"] == relationship.pc_relationship_id
    assert gdap_services.gdap_expiry_notices_send(now=timezone.now() + dt.timedelta(days=15)) == 1
    assert "ends in 30 days" in mailoutbox[-1].subject

    resolved = finding_apply(actor=StaffUserFactory(), finding=finding, action=CorrectiveAction.EXTEND_GDAP)
    assert (resolved.status, resolved.resolution) == (FindingStatus.RESOLVED, Resolution.GDAP_EXTENDED)
    relationship.refresh_from_db()
    assert relationship.auto_extend and relationship.status == "active"  # Microsoft renews it: not expiring
    assert _run(capture, order.customer) == [resolved]


def test_extend_is_refused_with_global_administrator(client, place, drive, sim_instance, pc_sim,
                                                     django_capture_on_commit_callbacks):
    _default(sim_instance, role_ids=[GLOBAL_ADMINISTRATOR_ROLE_ID], duration_days=20, auto_extend=False)
    order = drive(place())
    relationship = GdapRelationship.objects.get(tenant=order.tenant)
    pc_sim.control.gdap_answer(relationship.pc_relationship_id, approve=True)
    [finding] = _run(django_capture_on_commit_callbacks, order.customer)
    assert finding.kind == FindingKind.GDAP_EXPIRING
    with pytest.raises(ApplicationError, match="Auto-extend is not possible with the Global Administrator role"):
        finding_apply(actor=StaffUserFactory(), finding=finding, action=CorrectiveAction.EXTEND_GDAP)

    # The finding's page offers the GDAP actions and shows the same refusal.
    client.force_login(staff_with("view_reconciliationrun", "apply_corrective_action"))
    page = client.get(reverse("reconciliation:finding_detail", args=[finding.pk])).content.decode()
    assert "Extend the GDAP relationship (auto-extend)" in page and "Request a GDAP relationship" in page
    shown = client.post(reverse("reconciliation:finding_action", args=[finding.pk]),
                        {"action": CorrectiveAction.EXTEND_GDAP}, follow=True).content.decode()
    assert "Auto-extend is not possible with the Global Administrator role" in shown
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN


def test_import_brings_existing_relationships_in(sim, direct, importer, django_capture_on_commit_callbacks):  # noqa: F811
    northwind = sim.control.seeded["customer_mca"]
    gdap_services.gdap_templates_seed(instance=direct.instance)
    helpdesk = GdapRoleTemplate.objects.get(instance=direct.instance, name="Helpdesk")
    client = get_client(direct.instance)
    made = client.gdap.create_relationship(display_name="Made in Partner Center", duration="P365D",
                                           role_ids=helpdesk.role_ids, customer_tenant_id=northwind)
    client.gdap.lock_for_approval(made.id)
    sim.control.gdap_answer(made.id, approve=True)

    with django_capture_on_commit_callbacks(execute=True):
        run = import_preview_start(actor=importer, instance=direct.instance, page_size=500)
    run.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        import_run_start(actor=importer, run=run)
    run.refresh_from_db()
    assert run.status == "completed", run.error

    linked = GdapRelationship.objects.get(pc_relationship_id=made.id)
    assert linked.tenant.pc_customer_id == northwind and linked.status == "active"
    assert linked.template == helpdesk  # the template with exactly its roles
    item = run.items.get(pc_customer_id=northwind)
    assert "1 GDAP relationship(s) linked" in item.reason
