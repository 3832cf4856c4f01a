"""GDAP in reconciliation: each checked tenant's relationships are read from Microsoft Graph and linked
(`bss.services.gdap_admin.gdap_tenant_read`), then a tenant without a live relationship, or whose live
relationships all end within 30 days without auto-extend, is a finding. Their corrective actions: request a
relationship from the instance's default template, or turn auto-extend on (refused with Global Administrator, as
Microsoft refuses it) — through the same core services as the staff pages.

Only instances that manage GDAP through cspbss (a default role template is set) get these findings: without one,
every tenant of a partner who manages GDAP elsewhere would be a finding."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction

from bss.exceptions import ApplicationError
from bss.models import GdapRelationship, MicrosoftTenant
from bss.models import User as BssUser
from bss.models.gdap import GDAP_LIVE_STATUSES, GdapStatus
from bss.services import gdap as gdap_services
from bss.services import gdap_admin
from partnercenter import errors as pc_errors
from partnercenter.gdap_types import GdapUnavailableError
from reconciliation import comparators
from reconciliation.choices import CorrectiveAction, FindingKind, Resolution
from reconciliation.models import Finding

logger = logging.getLogger(__name__)

EXPIRY_WINDOW = dt.timedelta(days=30)


def gdap_differences(tenant: MicrosoftTenant, *, now: dt.datetime) -> list[comparators.Difference]:
    """The tenant's GDAP findings-to-be (none when the instance does not manage GDAP here or Graph is not set
    up). Graph trouble leaves the relationships as last read."""
    if gdap_services.gdap_default_template(tenant.instance_id) is None:
        return []
    try:
        gdap_admin.gdap_tenant_read(tenant=tenant)
    except GdapUnavailableError:
        return []
    except pc_errors.PartnerCenterError as exc:
        logger.warning("GDAP relationships of tenant %s not read: %s", tenant.pk, exc)
    rows = list(GdapRelationship.objects.filter(tenant=tenant).order_by("-end_at"))
    live = [r for r in rows if r.status in GDAP_LIVE_STATUSES]
    if not live:
        waiting = [r for r in rows if r.status == GdapStatus.APPROVAL_PENDING]
        summary = "No active GDAP relationship: the partner has no admin rights in the tenant"
        if waiting:
            summary += f" ('{waiting[0].display_name}' waits for the customer's approval)"
        return [comparators.Difference(
            kind=FindingKind.GDAP_MISSING, summary=summary,
            pc_values={"relationships": {r.pc_relationship_id: r.status for r in rows}})]
    # Microsoft's own 'expiring' (its last 30 days, by its clock) counts, as does our reading of the end date.
    lasting = [r for r in live if r.status != GdapStatus.EXPIRING
               and (r.auto_extend or r.end_at is None or r.end_at - now > EXPIRY_WINDOW)]
    if lasting:
        return []
    last = max(live, key=lambda r: r.end_at or now)
    ends = f"{last.end_at:%Y-%m-%d}" if last.end_at else "soon"
    return [comparators.Difference(
        kind=FindingKind.GDAP_EXPIRING,
        summary=f"GDAP relationship '{last.display_name}' ends on {ends} and does not auto-extend",
        pc_values={"relationship_id": last.pc_relationship_id, "end_at": last.end_at.isoformat() if last.end_at
                   else None})]


def finding_gdap_action(*, actor: BssUser | None, finding: Finding, action: str) -> Finding:
    """Request a relationship (default template) or turn auto-extend on, then resolve the finding."""
    from reconciliation.services.actions import _finding_for_action, _finding_resolve

    with transaction.atomic():
        finding = _finding_for_action(finding, action)
    tenant = MicrosoftTenant.objects.select_related("instance").get(pk=finding.tenant_id)
    if action == CorrectiveAction.REQUEST_GDAP:
        template = gdap_services.gdap_default_template(tenant.instance_id)
        if template is None:
            raise ApplicationError(f"{tenant.instance} has no default GDAP role template: choose one on the "
                                   "customer's page.", code="gdap_no_default_template")
        row = gdap_admin.gdap_relationship_request(actor=actor, tenant=tenant, template=template)
        resolution = Resolution.GDAP_REQUESTED
    else:
        relationship = GdapRelationship.objects.filter(
            tenant=tenant, pc_relationship_id=finding.pc_values.get("relationship_id") or "").first()
        if relationship is None:
            raise ApplicationError("The relationship of this finding is no longer known; run the reconciliation "
                                   "again.", code="finding_stale")
        row = gdap_admin.gdap_relationship_extend(actor=actor, relationship=relationship, auto_extend=True)
        resolution = Resolution.GDAP_EXTENDED
    with transaction.atomic():
        finding = _finding_for_action(finding, action)
        return _finding_resolve(finding, actor=actor, action=action, resolution=resolution,
                                reason=f"{row.display_name}: {row.get_status_display().lower()}")
