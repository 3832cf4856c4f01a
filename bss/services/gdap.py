"""GDAP: role templates (staff), recording the relationships requested from customers, reading their status from
Microsoft Graph (and, once the customer approved, giving the template's security groups the roles), and the expiry
notices (30, 7 and 1 days before the end, each once)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from bss.exceptions import ApplicationError
from bss.models import MicrosoftTenant, PartnerCenterInstance, User
from bss.models.gdap import (
    DEFAULT_TEMPLATES,
    GDAP_FINAL_STATUSES,
    GDAP_LIVE_STATUSES,
    GLOBAL_ADMINISTRATOR_ROLE_ID,
    GdapRelationship,
    GdapRoleTemplate,
)
from bss.partner_center import get_client
from bss.services.audit import audit_record
from partnercenter import errors as pc_errors
from partnercenter.gdap_types import AccessAssignment, DelegatedAdminRelationship

logger = logging.getLogger(__name__)

EXPIRY_NOTICE_DAYS = (30, 7, 1)


# -- templates ----------------------------------------------------------------------------------------------------
def gdap_template_check(*, role_ids: Iterable[str], duration_days: int, auto_extend: bool) -> list[str]:
    """The template rules Microsoft enforces, said before Microsoft refuses: returns the role ids, de-duplicated."""
    roles = list(dict.fromkeys(r.strip().lower() for r in role_ids if r.strip()))
    if not roles:
        raise ApplicationError("A GDAP template needs at least one role.", code="gdap_no_roles")
    if not 1 <= duration_days <= 730:
        raise ApplicationError("A GDAP relationship lasts 1 to 730 days.", code="gdap_duration")
    if auto_extend and GLOBAL_ADMINISTRATOR_ROLE_ID in roles:
        raise ApplicationError(
            "Auto-extend is not possible with the Global Administrator role.", code="gdap_auto_extend_global_admin"
        )
    return roles


@transaction.atomic
def gdap_template_save(
    *,
    actor: User | None,
    instance: PartnerCenterInstance,
    name: str,
    role_ids: Iterable[str],
    duration_days: int = 730,
    auto_extend: bool = True,
    security_group_ids: Iterable[str] = (),
    is_default: bool = False,
    description: str = "",
) -> GdapRoleTemplate:
    """Create or update the instance's template of that name; `is_default` takes the default from any other."""
    roles = gdap_template_check(role_ids=role_ids, duration_days=duration_days, auto_extend=auto_extend)
    if is_default:
        GdapRoleTemplate.objects.filter(instance=instance, is_default=True).exclude(name=name).update(is_default=False)
    template, _ = GdapRoleTemplate.objects.update_or_create(
        instance=instance,
        name=name,
        defaults={
            "role_ids": roles,
            "duration_days": duration_days,
            "auto_extend": auto_extend,
            "security_group_ids": [g.strip().lower() for g in security_group_ids if g.strip()],
            "is_default": is_default,
            "description": description,
        },
    )
    audit_record(actor=actor, action="gdap.template_saved", obj=template,
                 after={"roles": roles, "is_default": is_default, "auto_extend": auto_extend})
    return template


def gdap_templates_seed(*, instance: PartnerCenterInstance) -> list[GdapRoleTemplate]:
    """The least-privilege templates (helpdesk, licence management, security reader) for an instance; idempotent."""
    templates = []
    for spec in DEFAULT_TEMPLATES:
        template, _ = GdapRoleTemplate.objects.get_or_create(
            instance=instance, name=str(spec["name"]),
            defaults={"description": str(spec["description"]), "role_ids": spec["role_ids"]},
        )
        templates.append(template)
    return templates


def gdap_default_template(instance: PartnerCenterInstance | int) -> GdapRoleTemplate | None:
    instance_id = instance if isinstance(instance, int) else instance.pk
    return GdapRoleTemplate.objects.filter(instance_id=instance_id, is_default=True).first()


def gdap_display_name(template: GdapRoleTemplate, reference: int | str) -> str:
    """Unique across the partner's relationships (Microsoft's rule), readable by the customer's admin."""
    return f"{template.name[:36]} #{reference}"[:50]


# -- relationships ---------------------------------------------------------------------------------------------------
def _assignments_json(assignments: Iterable[AccessAssignment]) -> list[dict[str, Any]]:
    return [{"id": a.id, "security_group_id": a.security_group_id, "status": a.status, "etag": a.etag or ""}
            for a in assignments]


@transaction.atomic
def gdap_relationship_record(
    *, tenant: MicrosoftTenant, template: GdapRoleTemplate | None, relationship: DelegatedAdminRelationship
) -> GdapRelationship:
    """Keep Microsoft's view of one relationship (created or read); idempotent on Microsoft's id."""
    row, created = GdapRelationship.objects.select_for_update().get_or_create(
        pc_relationship_id=relationship.id,
        defaults={"tenant": tenant, "template": template, "display_name": relationship.display_name[:50]},
    )
    before = row.status
    _apply(row, relationship)
    row.save()
    if created or before != row.status:
        audit_record(actor=None, actor_label="gdap", action="gdap.relationship_status", obj=row,
                     before=None if created else {"status": before}, after={"status": row.status})
    return row


def _apply(row: GdapRelationship, relationship: DelegatedAdminRelationship) -> None:
    row.display_name = relationship.display_name[:50] or row.display_name
    row.status = relationship.status
    row.role_ids = list(relationship.role_ids)
    row.duration_days = relationship.duration_days or row.duration_days
    row.auto_extend = relationship.auto_extends
    row.activated_at = relationship.activated
    row.end_at = relationship.end
    row.etag = relationship.etag or ""
    row.last_synced_at = timezone.now()


def gdap_relationship_sync(relationship: GdapRelationship) -> GdapRelationship:
    """Read the relationship's status from Microsoft Graph; once it is live, give each of the template's security
    groups the relationship's roles (once per group: a group that has an assignment is left alone)."""
    client = get_client(relationship.tenant.instance)
    current = client.gdap.get_relationship(relationship.pc_relationship_id)
    row = gdap_relationship_record(tenant=relationship.tenant, template=relationship.template, relationship=current)
    if row.status in GDAP_LIVE_STATUSES and row.template is not None and row.template.security_group_ids:
        existing = client.gdap.list_access_assignments(row.pc_relationship_id)
        have = {a.security_group_id.lower() for a in existing if a.status not in ("deleting", "deleted", "error")}
        for group in row.template.security_group_ids:
            if group.lower() in have:
                continue
            try:
                existing.append(client.gdap.create_access_assignment(
                    row.pc_relationship_id, security_group_id=group, role_ids=row.role_ids))
            except pc_errors.ConflictError:
                logger.info("GDAP %s: group %s already has an assignment", row.pc_relationship_id, group)
        assignments = _assignments_json(existing)
        if assignments != row.access_assignments:
            row.access_assignments = assignments
            row.save(update_fields=["access_assignments", "updated_at"])
            audit_record(actor=None, actor_label="gdap", action="gdap.access_assigned", obj=row,
                         after={"assignments": assignments})
    return row


def gdap_sync_open() -> int:
    """Read every relationship that can still change (not expired, not terminated); returns how many were read.
    One failing relationship (Graph refusing, an instance without Graph) does not stop the others."""
    count = 0
    for relationship in (GdapRelationship.objects.exclude(status__in=GDAP_FINAL_STATUSES)
                         .select_related("tenant__instance", "template").order_by("id")):
        try:
            gdap_relationship_sync(relationship)
            count += 1
        except pc_errors.PartnerCenterError as exc:
            logger.warning("GDAP relationship %s not synced: %s", relationship.pc_relationship_id, exc)
    return count


# -- expiry notices ---------------------------------------------------------------------------------------------------
def _notice_due(relationship: GdapRelationship, now: dt.datetime) -> int | None:
    """The notice (30, 7 or 1 days) this relationship is due, the nearest first; None if none or already sent."""
    if relationship.end_at is None or relationship.auto_extend or relationship.status not in GDAP_LIVE_STATUSES:
        return None
    days_left = (relationship.end_at - now).total_seconds() / 86400
    due = [d for d in EXPIRY_NOTICE_DAYS if days_left <= d]
    if not due or days_left <= 0:
        return None
    nearest = min(due)
    return None if nearest in (relationship.notices_sent or []) else nearest


def gdap_expiry_recipients(relationship: GdapRelationship) -> list[str]:
    reseller = relationship.tenant.customer.reseller
    addresses = {reseller.email}
    # Staff who look after GDAP: those who may open the GDAP tool.
    staff = User.objects.with_perm("bss.view_gdaprelationship", include_superusers=True).filter(is_staff=True)
    addresses.update(staff.values_list("email", flat=True))
    return sorted(a for a in addresses if a)


def gdap_expiry_notices_send(*, now: dt.datetime | None = None) -> int:
    """Tell the reseller and staff that a relationship ends in 30, 7 and 1 days (each notice once; a relationship
    first seen 5 days before its end gets the 7-day notice only). Returns how many notices went out."""
    now = now or timezone.now()
    sent = 0
    candidates = (GdapRelationship.objects.filter(status__in=GDAP_LIVE_STATUSES, auto_extend=False,
                                                  end_at__lte=now + dt.timedelta(days=max(EXPIRY_NOTICE_DAYS)))
                  .select_related("tenant__customer__reseller"))
    for relationship in candidates:
        with transaction.atomic():
            row = GdapRelationship.objects.select_for_update().get(pk=relationship.pk)
            days = _notice_due(row, now)
            if days is None:
                continue
            # The nearer notices make the farther ones moot: a 7-day notice means the 30-day one is not sent later.
            row.notices_sent = sorted(set(row.notices_sent or []) | {d for d in EXPIRY_NOTICE_DAYS if d >= days})
            row.save(update_fields=["notices_sent", "updated_at"])
            recipients = gdap_expiry_recipients(relationship)
            audit_record(actor=None, actor_label="gdap", action="gdap.expiry_notice", obj=row,
                         after={"days": days, "recipients": recipients})
            if recipients:
                customer = relationship.tenant.customer
                send_mail(
                    f"GDAP access to {customer.company_name} ends in {days} day{'s' if days != 1 else ''}",
                    f"The delegated admin relationship '{row.display_name}' with {customer.company_name} "
                    f"({relationship.tenant.default_domain}) ends on {row.end_at:%Y-%m-%d %H:%M} UTC.\n"
                    "Request a new relationship before then to keep admin access.\n",
                    settings.DEFAULT_FROM_EMAIL,
                    recipients,
                )
                sent += 1
    return sent
