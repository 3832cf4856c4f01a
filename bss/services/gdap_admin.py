"""GDAP, the staff's side and the rule that guards admin work in a customer's tenant:

* request another template's relationship for a tenant, extend one (auto-extend; a new duration only while it is
  not yet locked for approval, as Microsoft allows), terminate one — each through Microsoft Graph, audited, with
  Microsoft's rules said before Microsoft refuses (no auto-extend with Global Administrator);
* link the relationships Microsoft already holds with a tenant (the import of existing customers, reconciliation);
* `gdap_admin_access_check`: the one rule saying whether the partner's people may act inside a customer's tenant
  (admin portals on behalf of the customer), refused with a clear reason while no live relationship grants a
  needed role.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction

from bss.choices import UserRole
from bss.exceptions import ApplicationError
from bss.models import MicrosoftTenant, User
from bss.models.gdap import (
    DIRECTORY_READERS,
    GDAP_FINAL_STATUSES,
    GDAP_LIVE_STATUSES,
    GLOBAL_ADMINISTRATOR_ROLE_ID,
    HELPDESK_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
    SECURITY_READER,
    SERVICE_SUPPORT_ADMINISTRATOR,
    GdapRelationship,
    GdapRoleTemplate,
    GdapStatus,
)
from bss.partner_center import get_client, pc_error_message
from bss.services.audit import audit_record
from bss.services.gdap import gdap_display_name, gdap_relationship_record, gdap_template_check
from partnercenter import errors as pc_errors
from partnercenter.gdap_types import DelegatedAdminRelationship

logger = logging.getLogger(__name__)

USER_ADMINISTRATOR = "fe930be7-5e62-47db-91af-98c3a49a38b1"
EXCHANGE_ADMINISTRATOR = "29232cdf-9323-42fd-ade2-1d097af3e4de"
SHAREPOINT_ADMINISTRATOR = "f28a1f50-f6e7-4571-818b-6a12f2af6b6c"
TEAMS_ADMINISTRATOR = "69091246-20e8-4a56-aa4d-066075b2a7a8"

# Admin work inside a customer's tenant, and the Entra roles of which the live relationship must grant one.
ADMIN_ACTIONS: dict[str, tuple[str, frozenset[str]]] = {
    "admin_portal": ("open the Microsoft 365 admin center on the customer's behalf", frozenset({
        GLOBAL_ADMINISTRATOR_ROLE_ID, HELPDESK_ADMINISTRATOR, SERVICE_SUPPORT_ADMINISTRATOR, LICENSE_ADMINISTRATOR,
        USER_ADMINISTRATOR, SECURITY_READER, DIRECTORY_READERS, EXCHANGE_ADMINISTRATOR, SHAREPOINT_ADMINISTRATOR,
        TEAMS_ADMINISTRATOR})),
    "azure_portal": ("open the customer's directory in the Azure portal", frozenset({
        GLOBAL_ADMINISTRATOR_ROLE_ID, HELPDESK_ADMINISTRATOR, SERVICE_SUPPORT_ADMINISTRATOR, LICENSE_ADMINISTRATOR,
        USER_ADMINISTRATOR, SECURITY_READER, DIRECTORY_READERS})),
}


def _pc_refusal(exc: pc_errors.PartnerCenterError, what: str) -> ApplicationError:
    return ApplicationError(f"Microsoft refused to {what}: {pc_error_message(exc)}", code="gdap_refused")


# -- the rule: admin work inside the customer's tenant ----------------------------------------------------------
def gdap_admin_access_refusal(*, actor: User | None, tenant: MicrosoftTenant, action: str) -> str:
    """Why the partner's people may not do `action` in the tenant now ("" when they may). The customer's own users
    work in their own tenant and need no relationship."""
    if action not in ADMIN_ACTIONS:
        return f"Unknown admin action {action!r}."
    if actor is not None and actor.role == UserRole.CUSTOMER:
        return ""
    label, roles = ADMIN_ACTIONS[action]
    live = list(GdapRelationship.objects.filter(tenant=tenant, status__in=GDAP_LIVE_STATUSES).order_by("-end_at"))
    if not live:
        waiting = GdapRelationship.objects.filter(tenant=tenant, status=GdapStatus.APPROVAL_PENDING).exists()
        if waiting:
            return (f"You cannot {label} yet: the customer's administrator has not approved the GDAP "
                    f"(delegated admin) relationship for {tenant.default_domain}.")
        return (f"You cannot {label}: there is no active GDAP (delegated admin) relationship with "
                f"{tenant.default_domain}. Ask for one first; the customer's administrator approves it.")
    if not any(roles & {r.lower() for r in rel.role_ids} for rel in live):
        return (f"You cannot {label}: the active GDAP relationship with {tenant.default_domain} does not grant a "
                "role that allows it. Request a relationship from a template with the needed role.")
    return ""


def gdap_admin_access_check(*, actor: User | None, tenant: MicrosoftTenant, action: str) -> None:
    """Raise ApplicationError (code ``gdap_no_admin_rights``) while no live relationship grants the action."""
    reason = gdap_admin_access_refusal(actor=actor, tenant=tenant, action=action)
    if reason:
        raise ApplicationError(reason, code="gdap_no_admin_rights", extra={"action": action,
                                                                            "tenant": tenant.default_domain})


# -- staff: request, extend, terminate ------------------------------------------------------------------------------
def gdap_relationship_request(*, actor: User | None, tenant: MicrosoftTenant,
                              template: GdapRoleTemplate) -> GdapRelationship:
    """Ask the customer for the template's roles: create the relationship in Graph, lock it for approval, record
    it (the approval link is then shown). Refused when the tenant does not exist in Partner Center yet, when the
    template belongs to another instance, or when one from this template is already waiting or live."""
    if template.instance_id != tenant.instance_id:
        raise ApplicationError("That role template belongs to another Partner Center instance.",
                               code="gdap_template_instance")
    if not tenant.pc_customer_id:
        raise ApplicationError(f"{tenant.default_domain} does not exist in Partner Center yet: GDAP can be "
                               "requested once the customer is created.", code="gdap_tenant_not_created")
    gdap_template_check(role_ids=template.role_ids, duration_days=template.duration_days,
                        auto_extend=template.auto_extend)
    open_one = (GdapRelationship.objects.filter(tenant=tenant, template=template)
                .exclude(status__in=GDAP_FINAL_STATUSES).first())
    if open_one is not None:
        raise ApplicationError(
            f"A relationship from template '{template.name}' is already {open_one.get_status_display().lower()} "
            f"({open_one.display_name}).", code="gdap_already_requested")
    client = get_client(tenant.instance)
    sequence = GdapRelationship.objects.filter(tenant=tenant).count() + 1
    try:
        for attempt in range(3):
            name = gdap_display_name(template, f"{tenant.pk}-{sequence + attempt}")
            try:
                created = client.gdap.create_relationship(
                    display_name=name, duration=f"P{template.duration_days}D", role_ids=template.role_ids,
                    customer_tenant_id=tenant.pc_customer_id, auto_extend=template.auto_extend)
                break
            except pc_errors.ConflictError:  # the name is taken (Microsoft wants it unique): the next number
                continue
        else:
            raise ApplicationError("Microsoft holds relationships with these names already; try again.",
                                   code="gdap_name_taken")
        client.gdap.lock_for_approval(created.id)
        current = client.gdap.get_relationship(created.id)
    except pc_errors.PartnerCenterError as exc:
        raise _pc_refusal(exc, "create the GDAP relationship") from exc
    with transaction.atomic():
        row = gdap_relationship_record(tenant=tenant, template=template, relationship=current)
        audit_record(actor=actor, action="gdap.relationship_requested", obj=row,
                     after={"template": template.name, "status": row.status, "roles": row.role_ids})
    return row


def gdap_relationship_extend(*, actor: User | None, relationship: GdapRelationship, auto_extend: bool,
                             duration_days: int | None = None) -> GdapRelationship:
    """Keep a relationship going: turn auto-extend (180 days at a time) on or off; a new duration only while the
    relationship is still `created` (Microsoft changes nothing else once it is locked for approval)."""
    relationship = GdapRelationship.objects.select_related("tenant__instance", "template").get(pk=relationship.pk)
    if auto_extend and GLOBAL_ADMINISTRATOR_ROLE_ID in [r.lower() for r in relationship.role_ids]:
        raise ApplicationError("Auto-extend is not possible with the Global Administrator role: Microsoft refuses "
                               "it. Request a new relationship before this one ends.",
                               code="gdap_auto_extend_global_admin")
    status = relationship.status
    changing_duration = duration_days is not None and duration_days != relationship.duration_days
    if changing_duration:
        if not 1 <= int(duration_days or 0) <= 730:
            raise ApplicationError("A GDAP relationship lasts 1 to 730 days.", code="gdap_duration")
        if status != GdapStatus.CREATED:
            raise ApplicationError(
                "Microsoft does not change the duration of a relationship once it is sent for approval: turn on "
                "auto-extend (180 days at a time) or request a new relationship.", code="gdap_duration_locked")
    elif status not in (*GDAP_LIVE_STATUSES, GdapStatus.CREATED):
        raise ApplicationError(f"The relationship is {relationship.get_status_display().lower()}: only an active "
                               "relationship can be extended.", code="gdap_not_active")
    if not changing_duration and auto_extend == relationship.auto_extend:
        raise ApplicationError(f"Auto-extend is already {'on' if auto_extend else 'off'}.", code="gdap_unchanged")
    client = get_client(relationship.tenant.instance)
    before = {"auto_extend": relationship.auto_extend, "duration_days": relationship.duration_days}
    try:
        for attempt in range(2):
            try:
                client.gdap.update_relationship(
                    relationship.pc_relationship_id, etag=relationship.etag or "*", auto_extend=auto_extend,
                    duration=f"P{duration_days}D" if changing_duration else None)
                break
            except pc_errors.PreconditionFailedError:
                if attempt:
                    raise
                relationship.etag = client.gdap.get_relationship(relationship.pc_relationship_id).etag or ""
        current = client.gdap.get_relationship(relationship.pc_relationship_id)
    except pc_errors.PartnerCenterError as exc:
        raise _pc_refusal(exc, "extend the GDAP relationship") from exc
    with transaction.atomic():
        row = gdap_relationship_record(tenant=relationship.tenant, template=relationship.template,
                                       relationship=current)
        audit_record(actor=actor, action="gdap.relationship_extended", obj=row, before=before,
                     after={"auto_extend": row.auto_extend, "duration_days": row.duration_days,
                            "end_at": row.end_at.isoformat() if row.end_at else None})
    return row


def gdap_relationship_terminate(*, actor: User | None, relationship: GdapRelationship) -> GdapRelationship:
    """End the partner's admin access: an active relationship is terminated, one not yet sent for approval is
    deleted. A relationship waiting for the customer cannot be withdrawn (Microsoft lets it expire)."""
    relationship = GdapRelationship.objects.select_related("tenant__instance", "template").get(pk=relationship.pk)
    status = relationship.status
    if status not in (*GDAP_LIVE_STATUSES, GdapStatus.CREATED):
        raise ApplicationError(
            f"The relationship is {relationship.get_status_display().lower()}: only an active relationship can be "
            "terminated." + (" Microsoft lets an unanswered request expire after 90 days."
                             if status == GdapStatus.APPROVAL_PENDING else ""), code="gdap_not_active")
    client = get_client(relationship.tenant.instance)
    try:
        if status == GdapStatus.CREATED:
            client.gdap.delete_relationship(relationship.pc_relationship_id, etag=relationship.etag or "*")
        else:
            client.gdap.terminate(relationship.pc_relationship_id)
            current = client.gdap.get_relationship(relationship.pc_relationship_id)
    except pc_errors.PartnerCenterError as exc:
        raise _pc_refusal(exc, "terminate the GDAP relationship") from exc
    with transaction.atomic():
        if status == GdapStatus.CREATED:
            relationship.status = GdapStatus.TERMINATED
            relationship.save(update_fields=["status", "updated_at"])
            row = relationship
        else:
            row = gdap_relationship_record(tenant=relationship.tenant, template=relationship.template,
                                           relationship=current)
        audit_record(actor=actor, action="gdap.relationship_terminated", obj=row,
                     before={"status": status}, after={"status": row.status})
    return row


# -- existing relationships (import, reconciliation) ---------------------------------------------------------------
def _template_for(tenant: MicrosoftTenant, relationship: DelegatedAdminRelationship) -> GdapRoleTemplate | None:
    roles = sorted(r.lower() for r in relationship.role_ids)
    for template in GdapRoleTemplate.objects.filter(instance_id=tenant.instance_id):
        if sorted(r.lower() for r in template.role_ids) == roles:
            return template
    return None


def gdap_relationships_link(*, tenant: MicrosoftTenant,
                            relationships: Iterable[DelegatedAdminRelationship]) -> list[GdapRelationship]:
    """Record the relationships Microsoft holds with the tenant (made in Partner Center, or before cspbss) and
    link them to it; a relationship already known keeps its template; a new one gets the template with exactly
    its roles, if any. Idempotent."""
    rows = []
    for relationship in relationships:
        if relationship.customer_tenant_id and tenant.pc_customer_id \
                and relationship.customer_tenant_id.lower() != tenant.pc_customer_id.lower():
            continue
        known = GdapRelationship.objects.filter(pc_relationship_id=relationship.id).select_related("template").first()
        template = known.template if known is not None else _template_for(tenant, relationship)
        rows.append(gdap_relationship_record(tenant=tenant, template=template, relationship=relationship))
    return rows


def gdap_tenant_read(*, tenant: MicrosoftTenant) -> list[GdapRelationship]:
    """Read the tenant's relationships from Graph and link them (raises the client's errors)."""
    if not tenant.pc_customer_id:
        return []
    listed = get_client(tenant.instance).gdap.list_relationships(customer_tenant_id=tenant.pc_customer_id)
    return gdap_relationships_link(tenant=tenant, relationships=listed)
