"""GDAP in the product: role templates (least-privilege seeds, one default per instance, Microsoft's rules said
before Microsoft refuses), a new customer's order asks for GDAP from the default template, the customer's approval
leads to access for the template's security groups, expiry notices (30, 7, 1 days, each once), and the back-office
list with its filters, CSV export and permission."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import IntegrityError
from django.utils import timezone

from bss import tasks as bss_tasks
from bss.exceptions import ApplicationError
from bss.models import GdapRelationship, GdapRoleTemplate
from bss.models.gdap import GLOBAL_ADMINISTRATOR_ROLE_ID
from bss.services import gdap as gdap_services
from provisioning.choices import OperationKind, OperationStatus
from provisioning.models import ProvisioningOperation
from tests.backoffice.conftest import staff_with
from tests.factories.bss import GdapRelationshipFactory, GdapRoleTemplateFactory, ResellerFactory

pytestmark = pytest.mark.django_db

GROUP_HELPDESK = "0b6a7c5e-1111-4a2b-9c3d-5e6f7a8b9c0d"
GROUP_TIER2 = "0b6a7c5e-2222-4a2b-9c3d-5e6f7a8b9c0d"


@pytest.fixture
def template(sim_instance) -> GdapRoleTemplate:
    gdap_services.gdap_templates_seed(instance=sim_instance)
    return gdap_services.gdap_template_save(
        actor=None, instance=sim_instance, name="Helpdesk",
        role_ids=GdapRoleTemplate.objects.get(instance=sim_instance, name="Helpdesk").role_ids,
        duration_days=730, auto_extend=True, security_group_ids=[GROUP_HELPDESK, GROUP_TIER2], is_default=True,
    )


def _gdap_op(order) -> ProvisioningOperation:
    return ProvisioningOperation.objects.get(order=order, kind=OperationKind.REQUEST_GDAP)


# -- templates ----------------------------------------------------------------------------------------------------
def test_least_privilege_templates_are_seeded_once(sim_instance):
    gdap_services.gdap_templates_seed(instance=sim_instance)
    gdap_services.gdap_templates_seed(instance=sim_instance)
    templates = GdapRoleTemplate.objects.filter(instance=sim_instance)
    assert sorted(t.name for t in templates) == ["Helpdesk", "Licence management", "Security reader"]
    assert all(GLOBAL_ADMINISTRATOR_ROLE_ID not in t.role_ids for t in templates)
    assert gdap_services.gdap_default_template(sim_instance) is None


def test_a_new_instance_gets_the_templates():
    from bss.services.instances import instance_create

    instance = instance_create(actor=None, name="Contoso CSP", partner_tenant_id="4b827261-d21f-4aa9-b7db-7fa1f56fb163")
    assert sorted(GdapRoleTemplate.objects.filter(instance=instance).values_list("name", flat=True)) == [
        "Helpdesk", "Licence management", "Security reader"]


def test_one_default_per_instance(sim_instance):
    first = gdap_services.gdap_template_save(actor=None, instance=sim_instance, name="A",
                                             role_ids=["729827e3-9c14-49f7-bb1b-9608f156bbb8"], is_default=True)
    second = gdap_services.gdap_template_save(actor=None, instance=sim_instance, name="B",
                                              role_ids=["729827e3-9c14-49f7-bb1b-9608f156bbb8"], is_default=True)
    first.refresh_from_db()
    assert not first.is_default and second.is_default
    assert gdap_services.gdap_default_template(sim_instance) == second
    with pytest.raises(IntegrityError):
        GdapRoleTemplateFactory(instance=sim_instance, is_default=True)


def test_no_auto_extend_with_global_administrator(sim_instance):
    with pytest.raises(ApplicationError, match="Global Administrator"):
        gdap_services.gdap_template_save(actor=None, instance=sim_instance, name="Too much",
                                         role_ids=[GLOBAL_ADMINISTRATOR_ROLE_ID], auto_extend=True)
    with pytest.raises(ApplicationError):
        gdap_services.gdap_template_save(actor=None, instance=sim_instance, name="Too long",
                                         role_ids=["729827e3-9c14-49f7-bb1b-9608f156bbb8"], duration_days=731)


# -- the order -----------------------------------------------------------------------------------------------------
def test_new_customer_order_ends_with_an_active_relationship_and_group_access(place, drive, template, pc_sim):
    order = drive(place())
    assert order.status == "completed"

    op = _gdap_op(order)
    assert op.status == OperationStatus.SUCCEEDED and op.result["status"] == "approvalPending"
    assert op.result["approval_url"].startswith(
        "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/")
    relationship = GdapRelationship.objects.get(tenant=order.tenant)
    assert relationship.status == "approvalPending" and relationship.template == template
    assert relationship.pc_relationship_id == op.result["relationship_id"]
    assert relationship.role_ids == template.role_ids and relationship.auto_extend

    # Nothing to assign before the customer approves.
    bss_tasks.gdap_sync_task()
    relationship.refresh_from_db()
    assert relationship.status == "approvalPending" and relationship.access_assignments == []

    pc_sim.control.gdap_answer(relationship.pc_relationship_id, approve=True)
    bss_tasks.gdap_sync_task()
    relationship.refresh_from_db()
    assert relationship.status == "active" and relationship.activated_at is not None
    assert sorted(a["security_group_id"] for a in relationship.access_assignments) == [GROUP_HELPDESK, GROUP_TIER2]

    bss_tasks.gdap_sync_task()  # Microsoft has applied them; nothing is assigned twice
    relationship.refresh_from_db()
    assert [a["status"] for a in relationship.access_assignments] == ["active", "active"]

    # Microsoft's side: the template's roles, both groups, each with the roles.
    sim_view = {r["id"]: r for r in pc_sim.control._object("GET", "gdap/relationships")["value"]}
    seen = sim_view[relationship.pc_relationship_id]
    assert seen["customer"]["tenantId"] == order.tenant.pc_customer_id
    assert [r["roleDefinitionId"] for r in seen["accessDetails"]["unifiedRoles"]] == template.role_ids
    assert sorted(a["accessContainer"]["accessContainerId"] for a in seen["accessAssignments"]) == [
        GROUP_HELPDESK, GROUP_TIER2]


def test_no_default_template_no_gdap_step(place, drive, sim_instance):
    gdap_services.gdap_templates_seed(instance=sim_instance)
    order = drive(place())
    assert order.status == "completed"
    assert not ProvisioningOperation.objects.filter(order=order, kind=OperationKind.REQUEST_GDAP).exists()


def test_the_step_is_idempotent(place, drive, template, pc_sim):
    from bss.partner_center import get_client
    from provisioning.pipeline import gdap as gdap_step

    order = drive(place())
    op = _gdap_op(order)
    again = gdap_step.request_gdap(get_client(order.tenant.instance), op)  # a re-run, or the read-back
    assert again.result["relationship_id"] == op.result["relationship_id"]
    assert len(pc_sim.control._object("GET", "gdap/relationships")["value"]) == 1


def test_declined_request_is_recorded(place, drive, template, pc_sim):
    order = drive(place())
    relationship = GdapRelationship.objects.get(tenant=order.tenant)
    pc_sim.control.gdap_answer(relationship.pc_relationship_id, approve=False)
    bss_tasks.gdap_daily_task()
    relationship.refresh_from_db()
    assert relationship.status == "terminated" and relationship.access_assignments == []


def test_expiry_is_read_from_microsoft(place, drive, sim_instance, pc_sim):
    gdap_services.gdap_template_save(actor=None, instance=sim_instance, name="Short", duration_days=40,
                                     auto_extend=False, role_ids=["729827e3-9c14-49f7-bb1b-9608f156bbb8"],
                                     is_default=True)
    order = drive(place())
    relationship = GdapRelationship.objects.get(tenant=order.tenant)
    pc_sim.control.gdap_answer(relationship.pc_relationship_id)
    pc_sim.control.advance(days=15)
    bss_tasks.gdap_daily_task()
    relationship.refresh_from_db()
    assert relationship.status == "expiring"
    pc_sim.control.advance(days=30)
    bss_tasks.gdap_daily_task()
    relationship.refresh_from_db()
    assert relationship.status == "expired"


# -- expiry notices ------------------------------------------------------------------------------------------------
def test_expiry_notices_at_30_7_and_1_days_each_once(mailoutbox):
    reseller = ResellerFactory(email="ops@reseller.example")
    watcher = staff_with("bss.view_gdaprelationship")
    watcher.email = "noc@provider.example"
    watcher.save()
    staff_with("bss.view_customer")  # other staff are not told
    now = timezone.now()
    relationship = GdapRelationshipFactory(tenant__customer__reseller=reseller, auto_extend=False,
                                           end_at=now + dt.timedelta(days=45))
    GdapRelationshipFactory(auto_extend=True, end_at=now + dt.timedelta(days=3))  # renews: no notice

    assert gdap_services.gdap_expiry_notices_send(now=now) == 0
    assert gdap_services.gdap_expiry_notices_send(now=now + dt.timedelta(days=16)) == 1
    assert gdap_services.gdap_expiry_notices_send(now=now + dt.timedelta(days=17)) == 0
    assert gdap_services.gdap_expiry_notices_send(now=now + dt.timedelta(days=38, hours=12)) == 1
    assert gdap_services.gdap_expiry_notices_send(now=now + dt.timedelta(days=44, hours=1)) == 1
    assert gdap_services.gdap_expiry_notices_send(now=now + dt.timedelta(days=44, hours=2)) == 0

    assert [m.subject.split(" ends in ")[1] for m in mailoutbox] == ["30 days", "7 days", "1 day"]
    assert mailoutbox[0].to == ["noc@provider.example", "ops@reseller.example"]
    relationship.refresh_from_db()
    assert relationship.notices_sent == [1, 7, 30]


def test_a_late_first_look_sends_only_the_nearest_notice(mailoutbox):
    now = timezone.now()
    GdapRelationshipFactory(auto_extend=False, end_at=now + dt.timedelta(days=5),
                            tenant__customer__reseller=ResellerFactory(email="ops@reseller.example"))
    assert gdap_services.gdap_expiry_notices_send(now=now) == 1
    assert gdap_services.gdap_expiry_notices_send(now=now + dt.timedelta(hours=1)) == 0
    assert "7 days" in mailoutbox[0].subject


# -- back office ---------------------------------------------------------------------------------------------------
def test_backoffice_list_filters_csv_and_permission(client):
    now = timezone.now()
    soon = GdapRelationshipFactory(display_name="Soon #1", end_at=now + dt.timedelta(days=10),
                                   tenant__customer__company_name="Fabrikam")
    later = GdapRelationshipFactory(display_name="Later #2", end_at=now + dt.timedelta(days=300))
    GdapRelationshipFactory(display_name="Waiting #3", status="approvalPending")

    client.force_login(staff_with("bss.view_customer"))
    assert client.get("/backoffice/gdap/").status_code == 404
    assert client.get("/backoffice/gdap/relationships.csv").status_code == 404

    client.force_login(staff_with("bss.view_gdaprelationship"))
    page = client.get("/backoffice/gdap/", {"expiring": "30"})
    assert page.status_code == 200
    assert b"Soon #1" in page.content and b"Later #2" not in page.content and b"Waiting #3" not in page.content
    pending = client.get("/backoffice/gdap/", {"status": "approvalPending"}).content
    assert b"Waiting #3" in pending and b"Soon #1" not in pending and b"approval link" in pending
    by_template = client.get("/backoffice/gdap/", {"template": later.template_id}).content
    assert b"Later #2" in by_template and b"Soon #1" not in by_template

    export = client.get("/backoffice/gdap/relationships.csv", {"expiring": "30"})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [(r["customer"], r["display_name"], r["status"]) for r in rows] == [("Fabrikam", "Soon #1", "active")]
    assert rows[0]["relationship_id"] == soon.pc_relationship_id

    tools = client.get("/backoffice/setup/tools/").content
    assert b"GDAP relationships" in tools
