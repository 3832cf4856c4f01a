"""Reads of GDAP relationships and role templates (the back office's GDAP list and its CSV export)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from bss.models.gdap import GDAP_LIVE_STATUSES, GdapRelationship, GdapRoleTemplate


def gdap_relationships(
    *,
    status: str = "",
    expiring_within_days: int | None = None,
    template_id: int | None = None,
    search: str = "",
    now: dt.datetime | None = None,
) -> QuerySet[GdapRelationship]:
    """Relationships, soonest end first. `expiring_within_days`: live ones (active/expiring) ending within that many
    days from now."""
    rows = GdapRelationship.objects.select_related(
        "tenant", "tenant__customer", "tenant__customer__reseller", "tenant__instance", "template"
    )
    if status:
        rows = rows.filter(status=status)
    if expiring_within_days is not None:
        now = now or timezone.now()
        rows = rows.filter(status__in=GDAP_LIVE_STATUSES, end_at__gte=now,
                           end_at__lte=now + dt.timedelta(days=expiring_within_days))
    if template_id:
        rows = rows.filter(template_id=template_id)
    if search:
        rows = rows.filter(Q(tenant__customer__company_name__icontains=search)
                           | Q(tenant__default_domain__icontains=search) | Q(display_name__icontains=search)
                           | Q(pc_relationship_id__iexact=search))
    return rows.order_by("end_at", "id")


def gdap_templates() -> QuerySet[GdapRoleTemplate]:
    return GdapRoleTemplate.objects.select_related("instance").order_by("instance__name", "name")
