"""Granular delegated admin privileges (GDAP) on Microsoft Graph (billing facts sheet §5): the typed results of
``client.gdap`` (frozen dataclasses) and the errors it raises beyond the client's usual ones."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .errors import BadRequestError, ConfigurationError

__all__ = [
    "APPROVAL_URL",
    "AUTO_EXTEND_DURATION",
    "GLOBAL_ADMINISTRATOR_ROLE_ID",
    "AccessAssignment",
    "DelegatedAdminRelationship",
    "GdapStateError",
    "GdapUnavailableError",
    "RelationshipRequest",
    "duration_days",
]

APPROVAL_URL = "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/{id}"
GLOBAL_ADMINISTRATOR_ROLE_ID = "62e90394-69f5-4237-9190-012177145e10"
AUTO_EXTEND_DURATION = "P180D"
NO_AUTO_EXTEND = "PT0S"

RELATIONSHIP_STATUSES = (
    "created", "approvalPending", "approved", "activating", "active", "expiring", "expired",
    "terminationRequested", "terminating", "terminated", "unknownFutureValue",
)
# Statuses in which the customer's admin rights are (or are about to be) usable.
LIVE_STATUSES = frozenset({"active", "expiring"})
# Statuses after which nothing changes any more.
FINAL_STATUSES = frozenset({"expired", "terminated"})

_DURATION = re.compile(r"^P(?:(?P<y>\d+)Y)?(?:(?P<m>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?$", re.IGNORECASE)


def duration_days(value: str | None) -> int | None:
    """Days of an ISO-8601 date duration (``P730D``, ``P2Y`` = 730, ``P6M`` = 180); None if not of that form."""
    if not value:
        return None
    match = _DURATION.match(value.strip())
    if match is None or not any(match.groupdict().values()):
        return None
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    return parts["y"] * 365 + parts["m"] * 30 + parts["w"] * 7 + parts["d"]


@dataclass(frozen=True, slots=True)
class DelegatedAdminRelationship:
    id: str
    display_name: str
    status: str
    duration: str
    auto_extend_duration: str = NO_AUTO_EXTEND
    customer_tenant_id: str | None = None
    customer_display_name: str | None = None
    role_ids: tuple[str, ...] = ()
    created: dt.datetime | None = None
    last_modified: dt.datetime | None = None
    activated: dt.datetime | None = None
    end: dt.datetime | None = None
    etag: str | None = None
    location: str | None = None
    """The ``Location`` header of the answer that created it (Graph's URL of the new relationship)."""

    @property
    def approval_url(self) -> str:
        """The link the customer's Global Administrator opens to approve (Microsoft 365 admin center)."""
        return APPROVAL_URL.format(id=self.id)

    @property
    def auto_extends(self) -> bool:
        return (duration_days(self.auto_extend_duration) or 0) > 0

    @property
    def duration_days(self) -> int | None:
        return duration_days(self.duration)


@dataclass(frozen=True, slots=True)
class RelationshipRequest:
    """A ``lockForApproval`` or ``terminate`` request (statuses ``created, pending, succeeded, failed``)."""

    id: str
    action: str
    status: str
    created: dt.datetime | None = None
    last_modified: dt.datetime | None = None
    location: str | None = None


@dataclass(frozen=True, slots=True)
class AccessAssignment:
    """Roles of a relationship given to a security group of the partner's tenant (statuses ``pending, active,
    deleting, deleted, error``)."""

    id: str
    status: str
    security_group_id: str
    role_ids: tuple[str, ...] = ()
    container_type: str = "securityGroup"
    created: dt.datetime | None = None
    last_modified: dt.datetime | None = None
    etag: str | None = None
    location: str | None = None


class GdapUnavailableError(ConfigurationError):
    """The client has no Microsoft Graph transport (no Graph host for this cloud, or no Graph credentials)."""


class GdapStateError(BadRequestError):
    """Microsoft refused the change in the relationship's current status (e.g. a PATCH outside ``created``,
    access assignments before ``active``, auto-extend with the Global Administrator role)."""
