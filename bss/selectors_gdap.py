"""Reads of GDAP relationships and role templates: the back office's GDAP list and its CSV export, and each
tenant's GDAP state as the workspace, the customer pages and the order pages show it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from bss.models.gdap import GDAP_LIVE_STATUSES, ROLE_NAMES, GdapRelationship, GdapRoleTemplate, GdapStatus


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


# -- per tenant: what the workspace, the customer pages and the order pages show ----------------------------------

# Most telling first: a live relationship, then one waiting for the customer, then the rest (newest first).
_STATUS_RANK = {"active": 0, "expiring": 1, "approvalPending": 2, "approved": 3, "activating": 3, "created": 4}


def gdap_role_names(role_ids: list[str]) -> list[str]:
    return [ROLE_NAMES.get(r.lower(), r) for r in role_ids]


@dataclass(frozen=True)
class TenantGdap:
    """The GDAP state of one tenant: its most telling relationship (None: never asked) and the others."""

    relationship: GdapRelationship | None
    others: list[GdapRelationship]

    @property
    def status(self) -> str:
        return self.relationship.status if self.relationship else ""

    @property
    def roles(self) -> list[str]:
        return gdap_role_names(self.relationship.role_ids) if self.relationship else []

    @property
    def waiting_for_approval(self) -> bool:
        return self.relationship is not None and self.relationship.status == GdapStatus.APPROVAL_PENDING

    @property
    def live(self) -> bool:
        return self.relationship is not None and self.relationship.is_live

    @property
    def all(self) -> list[GdapRelationship]:
        return [self.relationship, *self.others] if self.relationship else []


def _rank(rel: GdapRelationship) -> tuple[int, float]:
    return (_STATUS_RANK.get(rel.status, 9), -rel.created_at.timestamp() if rel.created_at else 0.0)


def gdap_most_telling(relationships: list[GdapRelationship]) -> GdapRelationship | None:
    """Of one tenant's relationships: the live one, else the one waiting for approval, else the latest."""
    return min(relationships, key=_rank) if relationships else None


def gdap_for_tenants(tenant_ids: Iterable[int]) -> dict[int, TenantGdap]:
    """Each tenant's GDAP state (one query for all); a tenant never asked maps to TenantGdap(None, [])."""
    ids = list(tenant_ids)
    by_tenant: dict[int, list[GdapRelationship]] = {i: [] for i in ids}
    for rel in GdapRelationship.objects.filter(tenant_id__in=ids).select_related("template"):
        by_tenant[rel.tenant_id].append(rel)
    result = {}
    for tenant_id, rels in by_tenant.items():
        rels.sort(key=_rank)
        result[tenant_id] = TenantGdap(rels[0] if rels else None, rels[1:])
    return result


def gdap_for_tenant(tenant_id: int) -> TenantGdap:
    return gdap_for_tenants([tenant_id])[tenant_id]
