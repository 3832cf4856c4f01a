"""Ask a new customer for granular delegated admin privileges (GDAP) from the instance's default role template,
once the customer exists: create the relationship in Microsoft Graph and lock it for approval, so the customer's
Global Administrator can approve it at the approval link. The step ends there (approval takes the customer days);
`bss.tasks.gdap_sync_task` reads the status afterwards and assigns access once active.

An existing tenant's order asks too, as its first step: while the customer's admin is asked to accept the reseller
relationship, the GDAP approval link is shown next to it. Before the tenant is the partner's customer, Microsoft
takes the relationship without a customer (whoever approves it is the customer); we keep it linked to the tenant.

Idempotent: the relationship's display name is unique per partner and derived from the operation, so a re-run (or
the read-back after a timeout) finds the relationship it created instead of creating a second one; a tenant that
already has a relationship waiting for approval or live is not asked again (its relationship is shown)."""

from __future__ import annotations

from typing import Any

from bss.choices import RelationshipStatus
from bss.models import PartnerCenterInstance
from bss.models.gdap import GdapRelationship, GdapRoleTemplate, GdapStatus
from bss.partner_center import pc_error_message
from bss.services import gdap as gdap_services
from partnercenter import errors as pc_errors
from partnercenter.client import PartnerCenterClient
from partnercenter.gdap_types import DelegatedAdminRelationship, GdapUnavailableError
from provisioning.choices import OperationKind
from provisioning.models import ProvisioningOperation
from provisioning.pipeline.base import Outcome, PermanentFailure, Step, tenant_of


def order_steps(instance: PartnerCenterInstance) -> list[tuple[str, dict[str, Any], None]]:
    """The GDAP step of an order (a new customer's, after the customer exists; an existing tenant's, first): one,
    when the instance has a default template; none otherwise."""
    template = gdap_services.gdap_default_template(instance)
    if template is None:
        return []
    return [(OperationKind.REQUEST_GDAP, {"template_id": template.pk}, None)]


_ASKED_OR_LIVE = (GdapStatus.CREATED, GdapStatus.APPROVAL_PENDING, GdapStatus.APPROVED, GdapStatus.ACTIVATING,
                  GdapStatus.ACTIVE, GdapStatus.EXPIRING)


def _template(op: ProvisioningOperation) -> GdapRoleTemplate:
    template = GdapRoleTemplate.objects.filter(pk=op.payload.get("template_id")).first()
    if template is None:
        raise PermanentFailure("The GDAP role template of this step no longer exists.", code="gdap_template_missing")
    return template


def _outcome(relationship: DelegatedAdminRelationship, template: GdapRoleTemplate, **extra: Any) -> Outcome:
    return Outcome(
        result={"relationship_id": relationship.id, "status": relationship.status, "template_id": template.pk,
                "approval_url": relationship.approval_url, **extra},
        response={"id": relationship.id, "displayName": relationship.display_name, "status": relationship.status},
        message=f"GDAP relationship {relationship.status}; the customer's admin approves at "
                f"{relationship.approval_url}",
        data=relationship,
    )


def request_gdap(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    tenant = tenant_of(op)
    template = _template(op)
    name = gdap_services.gdap_display_name(template, op.pk)
    # Microsoft names the customer only once the tenant is the partner's customer (else: whoever approves).
    customer_id = tenant.pc_customer_id if tenant.relationship_status == RelationshipStatus.ACTIVE else None
    try:
        found = [r for r in client.gdap.list_relationships(customer_tenant_id=customer_id) if r.display_name == name]
        relationship = found[0] if found else None
        if relationship is None:
            already = (GdapRelationship.objects.filter(tenant=tenant, status__in=_ASKED_OR_LIVE)
                       .order_by("-created_at").first())
            if already is not None:  # asked before (another order, staff): show that one, do not ask twice
                return _outcome(client.gdap.get_relationship(already.pc_relationship_id), template, reused=True)
            try:
                relationship = client.gdap.create_relationship(
                    display_name=name, duration=f"P{template.duration_days}D", role_ids=template.role_ids,
                    customer_tenant_id=customer_id, auto_extend=template.auto_extend)
            except pc_errors.ConflictError:  # created by a previous attempt whose answer was lost
                relationship = next(r for r in client.gdap.list_relationships(customer_tenant_id=customer_id)
                                    if r.display_name == name)
        if relationship.status == "created":
            client.gdap.lock_for_approval(relationship.id)
            relationship = client.gdap.get_relationship(relationship.id)
    except GdapUnavailableError as exc:
        # No Graph for this instance: the order goes on; staff see why no GDAP was requested.
        return Outcome(result={"skipped": str(exc)}, message=f"No GDAP relationship requested: {exc}")
    except pc_errors.BadRequestError as exc:
        # Microsoft refused the request as it stands: the order goes on (staff can ask again from the customer's
        # page); the step says why.
        reason = pc_error_message(exc)
        return Outcome(result={"skipped": reason}, message=f"No GDAP relationship requested: {reason}")
    return _outcome(relationship, template)


def gdap_requested(op: ProvisioningOperation, outcome: Outcome) -> None:
    relationship = outcome.data
    if not isinstance(relationship, DelegatedAdminRelationship):
        return
    gdap_services.gdap_relationship_record(tenant=tenant_of(op), template=_template(op), relationship=relationship)


STEP = Step(execute=request_gdap, settle=request_gdap, apply=gdap_requested)
