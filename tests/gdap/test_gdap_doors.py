"""GDAP at the doors: the workspace shows each tenant's GDAP status and roles (customer and reseller), the
reseller's customer page too; admin work on the customer's behalf (the admin portals) is refused with the reason
while no live relationship grants a role; an existing tenant's order asks for GDAP at once and shows its approval
link next to the reseller relationship's (storefront and back office); staff request another template's
relationship, extend and terminate it from the customer's page (audited, refusals shown)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from bss import tasks as bss_tasks
from bss.choices import RelationshipStatus
from bss.inputs import ExistingTenantInput
from bss.models import AuditEvent, GdapRelationship, GdapRoleTemplate, User
from bss.models.gdap import GLOBAL_ADMINISTRATOR_ROLE_ID, HELPDESK_ADMINISTRATOR
from bss.services import gdap as gdap_services
from provisioning.choices import OperationKind
from provisioning.models import ProvisioningOperation
from tests.backoffice.conftest import staff_with
from tests.factories.bss import (
    CustomerFactory,
    CustomerUserFactory,
    GdapRelationshipFactory,
    MicrosoftTenantFactory,
    ResellerUserFactory,
)
from tests.provisioning.conftest import BUSINESS_STANDARD, line, new_customer

pytestmark = pytest.mark.django_db

GROUP = "0b6a7c5e-3333-4a2b-9c3d-5e6f7a8b9c0d"


@pytest.fixture
def template(sim_instance) -> GdapRoleTemplate:
    gdap_services.gdap_templates_seed(instance=sim_instance)
    return gdap_services.gdap_template_save(
        actor=None, instance=sim_instance, name="Helpdesk",
        role_ids=GdapRoleTemplate.objects.get(instance=sim_instance, name="Helpdesk").role_ids,
        duration_days=730, auto_extend=True, security_group_ids=[GROUP], is_default=True)


def _gdap_staff(*extra: str) -> User:
    user = staff_with("bss.view_customer", "bss.view_gdaprelationship", *extra)
    return User.objects.get(pk=user.pk)


# -- workspace ----------------------------------------------------------------------------------------------------
def test_workspace_shows_gdap_status_and_roles_and_refuses_portals_without_it(client, reseller_user, reseller,
                                                                              marketplace):
    customer = CustomerFactory(reseller=reseller, marketplace=marketplace, company_name="Contoso")
    tenant = MicrosoftTenantFactory(customer=customer, instance=marketplace.instance,
                                    default_domain="contoso.onmicrosoft.com",
                                    pc_customer_id="9d1f8c6e-0000-4000-8000-000000000001")
    client.force_login(reseller_user)
    panel = reverse("workspace:panel", args=[customer.pk])
    portal = reverse("workspace:tenant_portal", args=[tenant.pk, "admin"])

    page = client.get(panel).content.decode()
    assert 'data-gdap-status="none"' in page and "No relationship" in page
    assert "there is no active GDAP (delegated admin) relationship with contoso.onmicrosoft.com" in page
    assert portal not in page  # no link to what would be refused
    refused = client.get(portal, follow=True)
    assert refused.redirect_chain[-1][0] == panel
    assert "there is no active GDAP" in refused.content.decode()

    waiting = GdapRelationshipFactory(tenant=tenant, status="approvalPending", activated_at=None)
    page = client.get(panel).content.decode()
    assert 'data-gdap-status="approvalPending"' in page and waiting.approval_url in page
    assert "has not approved the GDAP" in page

    GdapRelationshipFactory(tenant=tenant, status="active", role_ids=[HELPDESK_ADMINISTRATOR])
    page = client.get(panel).content.decode()
    assert 'data-gdap-status="active"' in page and "Helpdesk Administrator" in page
    assert portal in page
    opened = client.get(portal)
    assert opened.status_code == 302 and opened["Location"] == "https://admin.microsoft.com"

    # The reseller's customer page of the storefront shows it too.
    overview = client.get(reverse("storefront:workspace", args=[customer.pk])).content.decode()
    assert 'data-gdap-status="active"' in overview and "Helpdesk Administrator" in overview


def test_a_relationship_without_a_needed_role_is_refused_and_the_customer_needs_none(client, reseller, marketplace):
    customer = CustomerFactory(reseller=reseller, marketplace=marketplace)
    tenant = MicrosoftTenantFactory(customer=customer, instance=marketplace.instance)
    GdapRelationshipFactory(tenant=tenant, status="active", role_ids=["e8611ab8-c189-46e8-94e1-60213ab1f814"])
    reseller_user = ResellerUserFactory(reseller=reseller)
    client.force_login(reseller_user)
    refused = client.get(reverse("workspace:tenant_portal", args=[tenant.pk, "admin"]), follow=True)
    assert "does not grant a role that allows it" in refused.content.decode()

    own = CustomerUserFactory(customer=customer)
    client.force_login(own)
    page = client.get(reverse("workspace:panel", args=[customer.pk])).content.decode()
    assert 'data-gdap-status="active"' in page and 'href="https://admin.microsoft.com"' in page  # its own portal
    opened = client.get(reverse("workspace:tenant_portal", args=[tenant.pk, "admin"]))
    assert opened.status_code == 302 and opened["Location"] == "https://admin.microsoft.com"


def test_another_resellers_tenant_is_not_found(client, reseller_user):
    tenant = MicrosoftTenantFactory()
    client.force_login(reseller_user)
    assert client.get(reverse("workspace:tenant_portal", args=[tenant.pk, "admin"])).status_code == 404


# -- existing-tenant orders -----------------------------------------------------------------------------------------
def test_existing_tenant_order_shows_the_gdap_link_next_to_the_relationship_link(
        client, place, run_due, pc_sim, template, reseller_user):
    pc_sim.control.create_tenant(domain="litware.onmicrosoft.com", companyName="Litware")
    order = place(new_customer=new_customer(), existing_tenant=ExistingTenantInput("litware.onmicrosoft.com"))

    assert order.status == "awaiting_relationship"
    ops = list(ProvisioningOperation.objects.filter(order=order).order_by("sequence"))
    assert [op.kind for op in ops[:2]] == [OperationKind.REQUEST_GDAP, OperationKind.AWAIT_RELATIONSHIP]
    relationship = GdapRelationship.objects.get(tenant=order.tenant)
    assert relationship.status == "approvalPending" and relationship.template == template

    client.force_login(reseller_user)
    page = client.get(reverse("storefront:order_detail", args=[order.pk])).content.decode()
    assert "invType=ResellerRelationship" in page and relationship.approval_url in page
    assert "Delegated admin (GDAP) approval" in page

    staff = _gdap_staff("bss.view_order")
    client.force_login(staff)
    office = client.get(reverse("backoffice:order_detail", args=[order.pk])).content.decode()
    assert "invType=ResellerRelationship" in office and relationship.approval_url in office

    # A second order for the same tenant does not ask again: it shows the same relationship.
    again = place(customer=order.customer, existing_tenant=ExistingTenantInput("litware.onmicrosoft.com"),
                  lines=[line(BUSINESS_STANDARD, name="Microsoft 365 Business Standard")])
    assert ProvisioningOperation.objects.get(order=again, kind=OperationKind.REQUEST_GDAP).result["reused"] is True
    assert GdapRelationship.objects.filter(tenant=order.tenant).count() == 1
    assert len(pc_sim.control._object("GET", "gdap/relationships")["value"]) == 1

    # The customer's admin accepts both; the order completes and access is given to the template's group.
    pc_sim.control.accept_relationship(pc_sim.partners.direct.tenant_id, domain="litware.onmicrosoft.com")
    pc_sim.control.gdap_answer(relationship.pc_relationship_id, approve=True)
    run_due()
    order.refresh_from_db()
    assert order.status == "completed"
    assert order.tenant.relationship_status == RelationshipStatus.ACTIVE
    bss_tasks.gdap_sync_task()
    relationship.refresh_from_db()
    assert relationship.status == "active"
    assert [a["security_group_id"] for a in relationship.access_assignments] == [GROUP]


# -- staff ----------------------------------------------------------------------------------------------------------
def _new_customer_with_tenant(place, drive, template):
    order = drive(place())
    assert order.status == "completed"
    return order.customer, order.tenant


def test_staff_request_extend_and_terminate_from_the_customer_page(client, place, drive, template, pc_sim,
                                                                   sim_instance):
    customer, tenant = _new_customer_with_tenant(place, drive, template)
    first = GdapRelationship.objects.get(tenant=tenant)
    pc_sim.control.gdap_answer(first.pc_relationship_id, approve=True)
    bss_tasks.gdap_sync_task()
    admin = GdapRoleTemplate.objects.create(instance=sim_instance, name="Global admin", auto_extend=False,
                                            role_ids=[GLOBAL_ADMINISTRATOR_ROLE_ID], duration_days=90)
    page_url = reverse("backoffice:customer_detail", args=[customer.pk])

    viewer = _gdap_staff()
    client.force_login(viewer)
    page = client.get(page_url).content.decode()
    assert "Delegated admin (GDAP)" in page and first.display_name in page
    assert "Request GDAP relationship" not in page  # may look, may not act
    assert client.post(reverse("gdap:request", args=[customer.pk]),
                       {"tenant": tenant.pk, "template": admin.pk}).status_code == 404

    staff = _gdap_staff("bss.change_gdaprelationship")
    client.force_login(staff)
    assert "Request GDAP relationship" in client.get(page_url).content.decode()
    done = client.post(reverse("gdap:request", args=[customer.pk]),
                       {"tenant": tenant.pk, "template": admin.pk, "next": page_url}, follow=True)
    second = GdapRelationship.objects.get(tenant=tenant, template=admin)
    assert second.status == "approvalPending" and second.role_ids == [GLOBAL_ADMINISTRATOR_ROLE_ID]
    assert second.approval_url in done.content.decode()
    again = client.post(reverse("gdap:request", args=[customer.pk]),
                        {"tenant": tenant.pk, "template": admin.pk, "next": page_url}, follow=True)
    assert "is already waiting for the customer" in again.content.decode()

    pc_sim.control.gdap_answer(second.pc_relationship_id, approve=True)
    bss_tasks.gdap_sync_task()
    refused = client.post(reverse("gdap:extend", args=[second.pk]), {"auto_extend": "on", "next": page_url},
                          follow=True)
    assert "Auto-extend is not possible with the Global Administrator role" in refused.content.decode()
    duration = client.post(reverse("gdap:extend", args=[second.pk]),
                           {"auto_extend": "", "duration_days": "200", "next": page_url}, follow=True)
    assert "Microsoft does not change the duration" in duration.content.decode()

    # The helpdesk one auto-extends already: turn it off, then on again (Microsoft's side follows).
    client.post(reverse("gdap:extend", args=[first.pk]), {"auto_extend": "", "next": page_url})
    first.refresh_from_db()
    assert first.auto_extend is False
    client.post(reverse("gdap:extend", args=[first.pk]), {"auto_extend": "on", "next": page_url})
    first.refresh_from_db()
    sim_view = {r["id"]: r for r in pc_sim.control._object("GET", "gdap/relationships")["value"]}
    assert first.auto_extend and sim_view[first.pc_relationship_id]["autoExtendDuration"] == "P180D"

    ended = client.post(reverse("gdap:terminate", args=[second.pk]), {"next": page_url}, follow=True)
    second.refresh_from_db()
    assert second.status == "terminated" and "is terminated" in ended.content.decode()
    refused = client.post(reverse("gdap:terminate", args=[second.pk]), {"next": page_url}, follow=True)
    assert "only an active relationship can be terminated" in refused.content.decode()

    actions = set(AuditEvent.objects.filter(actor=staff).values_list("action", flat=True))
    assert {"gdap.relationship_requested", "gdap.relationship_extended", "gdap.relationship_terminated"} <= actions
    detail = client.get(reverse("gdap:detail", args=[second.pk])).content.decode()
    assert "gdap.relationship_requested" in detail and "gdap.relationship_terminated" in detail
    assert staff.get_username() in detail  # who did it


def test_staff_without_permission_cannot_act(client, sim_instance):
    relationship = GdapRelationshipFactory(tenant__instance=sim_instance)
    client.force_login(_gdap_staff())
    assert client.post(reverse("gdap:terminate", args=[relationship.pk])).status_code == 404
    assert client.post(reverse("gdap:extend", args=[relationship.pk]), {"auto_extend": "on"}).status_code == 404
    relationship.refresh_from_db()
    assert relationship.status == "active"
    assert Permission.objects.filter(codename="change_gdaprelationship").exists()


# -- the API ----------------------------------------------------------------------------------------------------------
def test_the_api_shows_each_tenants_gdap_state(reseller):
    from django.core.cache import cache
    from rest_framework.test import APIClient

    from api.keys import api_key_create

    cache.clear()
    admin = ResellerUserFactory(reseller=reseller, is_reseller_admin=True)
    _key, secret = api_key_create(actor=admin, reseller=reseller, name="PSA sync")
    customer = CustomerFactory(reseller=reseller)
    live = MicrosoftTenantFactory(customer=customer, default_domain="live.onmicrosoft.com")
    GdapRelationshipFactory(tenant=live, status="active", auto_extend=True, role_ids=[HELPDESK_ADMINISTRATOR])
    GdapRelationshipFactory(tenant=live, status="terminated")
    waiting = MicrosoftTenantFactory(customer=customer, default_domain="waiting.onmicrosoft.com")
    pending = GdapRelationshipFactory(tenant=waiting, status="approvalPending", activated_at=None)
    MicrosoftTenantFactory(customer=customer, default_domain="none.onmicrosoft.com")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")

    for body in (api.get(f"/api/v1/customers/{customer.pk}/").json(),
                 api.get("/api/v1/customers/").json()["results"][0]):
        tenants = {t["default_domain"]: t["gdap"] for t in body["tenants"]}
        assert tenants["none.onmicrosoft.com"] is None
        assert tenants["live.onmicrosoft.com"]["status"] == "active"
        assert tenants["live.onmicrosoft.com"]["roles"] == ["Helpdesk Administrator"]
        assert tenants["live.onmicrosoft.com"]["approval_url"] is None
        assert tenants["waiting.onmicrosoft.com"]["approval_url"] == pending.approval_url
