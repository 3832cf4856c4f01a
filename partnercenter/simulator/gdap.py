"""GDAP as Microsoft Graph keeps it (billing facts sheet §5): delegated admin relationships with their requests and
access assignments, per partner, and the rules of their lifecycle — validation at create, ``If-Match`` etags, PATCH
and DELETE only while ``created``, ``lockForApproval`` -> ``approvalPending`` (90 days to approve, then
``expired``), the customer's approval (played by the control API) -> ``approved`` -> ``active``, ``expiring`` in the
30 days before ``endDateTime`` then ``expired`` unless auto-extend (180 days; never with the Global Administrator
role) pushes the end, ``terminate`` -> ``terminationRequested`` -> ``terminated``.

Time-driven changes are applied when a relationship is read (:meth:`Gdap.refresh`), from the simulated clock.
``transition_seconds`` (control API ``/_sim/gdap/settings``, default 0) is how long Microsoft takes to activate,
apply an assignment or finish a termination; with 0 the next read shows the settled status.

A customer declining the request (control API) leaves the relationship ``terminated`` without activation: the
simulator's reading, Microsoft documents no status for it.

The store of a partner lives on its account object, so a reset (which recreates the accounts) forgets it.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from .body import CIDict
from .state import PartnerAccount, SimState

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
APPROVAL_URL = "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/{id}"
AUTO_EXTEND_DAYS = 180
EXPIRING_DAYS = 30
PENDING_APPROVAL_DAYS = 90
AUTO_EXTEND_VALUES = {"PT0S": 0, "P0D": 0, "P180D": AUTO_EXTEND_DAYS}
_DURATION = re.compile(r"^P(?:(?P<y>\d+)Y)?(?:(?P<m>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?$", re.IGNORECASE)
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


class GdapError(Exception):
    """A Graph error answer: ``{"error": {"code", "message"}}`` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def parse_duration_days(value: str) -> int | None:
    match = _DURATION.match(value.strip())
    if match is None or not any(match.groupdict().values()):
        return None
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    return parts["y"] * 365 + parts["m"] * 30 + parts["w"] * 7 + parts["d"]


@dataclass
class RelationshipRequest:
    id: str
    action: str
    status: str
    created: dt.datetime
    modified: dt.datetime


@dataclass
class AccessAssignment:
    id: str
    group_id: str
    roles: list[str]
    status: str
    created: dt.datetime
    modified: dt.datetime
    etag: str
    changed_at: dt.datetime


@dataclass
class Relationship:
    id: str
    display_name: str
    duration: str
    duration_days: int
    auto_extend: str
    customer_tenant_id: str | None
    customer_name: str | None
    roles: list[str]
    status: str
    created: dt.datetime
    modified: dt.datetime
    etag: str
    end: dt.datetime
    activated: dt.datetime | None = None
    changed_at: dt.datetime | None = None
    """When the status last changed by a request or the customer (approval, lock, termination)."""
    requests: dict[str, RelationshipRequest] = field(default_factory=dict)
    assignments: dict[str, AccessAssignment] = field(default_factory=dict)

    @property
    def auto_extend_days(self) -> int:
        return AUTO_EXTEND_VALUES.get(self.auto_extend.upper(), 0)


@dataclass
class GdapStore:
    relationships: dict[str, Relationship] = field(default_factory=dict)


def store_of(partner: PartnerAccount) -> GdapStore:
    store = partner.__dict__.get("_gdap_store")
    if not isinstance(store, GdapStore):
        store = GdapStore()
        partner.__dict__["_gdap_store"] = store
    return store


def _roles(body: CIDict | None) -> list[str] | None:
    if body is None:
        return None
    details = body.get("accessDetails")
    roles = details.get("unifiedRoles") if isinstance(details, CIDict) else None
    if not isinstance(roles, list):
        return None
    ids = [str(r.get("roleDefinitionId") or "") for r in roles if isinstance(r, CIDict)]
    if not ids or any(not _GUID.match(i) for i in ids):
        raise GdapError(400, "badRequest", "Every unifiedRole needs a roleDefinitionId (a role template id).")
    return list(dict.fromkeys(ids))


class Gdap:
    """The GDAP rules over one simulator's state (the caller holds ``state.lock``)."""

    def __init__(self, state: SimState) -> None:
        self.state = state

    @property
    def transition_seconds(self) -> float:
        # Kept on the config object, which a reset replaces: the default comes back with every reset.
        return float(self.state.config.__dict__.get("gdap_transition_seconds", 0.0))

    @transition_seconds.setter
    def transition_seconds(self, value: float) -> None:
        self.state.config.__dict__["gdap_transition_seconds"] = max(float(value), 0.0)

    def _now(self) -> dt.datetime:
        return self.state.clock.now()

    def _etag(self) -> str:
        raw = f"\"{self.state.ids.guid()}\""
        return f'W/"{base64.b64encode(raw.encode()).decode()}"'

    def _settled(self, since: dt.datetime | None, now: dt.datetime) -> bool:
        return since is None or now >= since + dt.timedelta(seconds=self.transition_seconds)

    def _touch(self, rel: Relationship, now: dt.datetime, status: str | None = None) -> None:
        if status is not None:
            rel.status = status
        rel.modified = now
        rel.etag = self._etag()

    # -- time -------------------------------------------------------------------------------------------------
    def refresh(self, rel: Relationship) -> Relationship:
        now = self._now()
        if rel.status == "approvalPending" and rel.changed_at is not None \
                and now >= rel.changed_at + dt.timedelta(days=PENDING_APPROVAL_DAYS):
            self._touch(rel, rel.changed_at + dt.timedelta(days=PENDING_APPROVAL_DAYS), "expired")
        if rel.status in ("approved", "activating") and self._settled(rel.changed_at, now):
            activated = rel.changed_at or now
            if self.transition_seconds:
                activated += dt.timedelta(seconds=self.transition_seconds)
            rel.activated = activated
            rel.end = activated + dt.timedelta(days=rel.duration_days)
            self._touch(rel, activated, "active")
        elif rel.status == "approved":
            self._touch(rel, now, "activating")
        if rel.status in ("active", "expiring"):
            while rel.auto_extend_days and now >= rel.end:
                rel.end += dt.timedelta(days=rel.auto_extend_days)
                self._touch(rel, now)
            if now >= rel.end:
                self._touch(rel, rel.end, "expired")
            elif now >= rel.end - dt.timedelta(days=EXPIRING_DAYS) and not rel.auto_extend_days:
                if rel.status != "expiring":
                    self._touch(rel, now, "expiring")
            elif rel.status != "active":
                self._touch(rel, now, "active")
        if rel.status in ("terminationRequested", "terminating") and self._settled(rel.changed_at, now):
            self._touch(rel, now, "terminated")
            for request in rel.requests.values():
                if request.action == "terminate" and request.status != "succeeded":
                    request.status, request.modified = "succeeded", now
        for assignment in rel.assignments.values():
            self._refresh_assignment(rel, assignment, now)
        return rel

    def _refresh_assignment(self, rel: Relationship, assignment: AccessAssignment, now: dt.datetime) -> None:
        new = assignment.status
        if rel.status in ("expired", "terminated") and assignment.status != "deleted":
            new = "deleted"
        elif assignment.status == "pending" and self._settled(assignment.changed_at, now):
            new = "active"
        elif assignment.status == "deleting" and self._settled(assignment.changed_at, now):
            new = "deleted"
        if new != assignment.status:
            assignment.status, assignment.modified, assignment.etag = new, now, self._etag()

    # -- relationships -----------------------------------------------------------------------------------------
    def find(self, partner: PartnerAccount, relationship_id: str) -> Relationship:
        rel = store_of(partner).relationships.get(relationship_id.lower())
        if rel is None:
            raise GdapError(404, "notFound", f"The delegatedAdminRelationship {relationship_id} does not exist.")
        return self.refresh(rel)

    def all(self, partner: PartnerAccount) -> list[Relationship]:
        return [self.refresh(rel) for rel in store_of(partner).relationships.values()]

    def _validate_name(self, partner: PartnerAccount, name: str, exclude: str | None = None) -> str:
        name = name.strip()
        if not name or len(name) > 50:
            raise GdapError(400, "badRequest", "displayName is required and at most 50 characters long.")
        for rel in store_of(partner).relationships.values():
            if rel.id != exclude and rel.display_name.lower() == name.lower():
                raise GdapError(409, "conflict", f"A relationship named '{name}' already exists.")
        return name

    @staticmethod
    def _validate_duration(value: str) -> int:
        days = parse_duration_days(value)
        if days is None or not 1 <= days <= 730:
            raise GdapError(400, "badRequest", "duration must be an ISO-8601 duration between P1D and P2Y.")
        return days

    @staticmethod
    def _validate_auto_extend(value: str, roles: list[str]) -> str:
        if value.upper() not in AUTO_EXTEND_VALUES:
            raise GdapError(400, "badRequest", "autoExtendDuration must be PT0S, P0D or P180D.")
        if AUTO_EXTEND_VALUES[value.upper()] and GLOBAL_ADMINISTRATOR in roles:
            raise GdapError(400, "autoExtendNotAllowed",
                            "Auto-extend is not possible for a relationship with the Global Administrator role.")
        return value.upper()

    def create(self, partner: PartnerAccount, body: CIDict) -> Relationship:
        name = self._validate_name(partner, str(body.get("displayName") or ""))
        duration = str(body.get("duration") or "")
        days = self._validate_duration(duration)
        roles = _roles(body)
        if not roles:
            raise GdapError(400, "badRequest", "accessDetails.unifiedRoles must name at least one role.")
        auto_extend = self._validate_auto_extend(str(body.get("autoExtendDuration") or "PT0S"), roles)
        customer = body.get("customer")
        tenant_id = customer.get("tenantId") if isinstance(customer, CIDict) else None
        customer_name = customer.get("displayName") if isinstance(customer, CIDict) else None
        if tenant_id:
            known = partner.customers.get(str(tenant_id).lower())
            if known is None:
                raise GdapError(400, "badRequest", f"The customer tenant {tenant_id} is not a customer of the partner.")
            customer_name = customer_name or known.company_name
        now = self._now()
        rel_id = f"{self.state.ids.guid()}-{self.state.ids.guid()}"
        rel = Relationship(
            id=rel_id, display_name=name, duration=duration.upper(), duration_days=days, auto_extend=auto_extend,
            customer_tenant_id=str(tenant_id).lower() if tenant_id else None,
            customer_name=str(customer_name) if customer_name else None, roles=roles, status="created",
            created=now, modified=now, etag=self._etag(), end=now + dt.timedelta(days=days))
        store_of(partner).relationships[rel_id] = rel
        return rel

    def _check_etag(self, rel: Relationship, if_match: str | None) -> None:
        if not if_match:
            raise GdapError(400, "badRequest", "The If-Match header is required.")
        if if_match.strip() not in (rel.etag, "*"):
            raise GdapError(412, "preconditionFailed", "The etag in If-Match is not the relationship's current one.")

    def update(self, partner: PartnerAccount, relationship_id: str, body: CIDict, if_match: str | None) -> Relationship:
        rel = self.find(partner, relationship_id)
        self._check_etag(rel, if_match)
        keys = {k.lower() for k in body}
        if rel.status in ("active", "expiring") and keys <= {"autoextendduration"}:
            pass
        elif rel.status != "created":
            raise GdapError(400, "invalidRelationshipStatus",
                            f"The relationship is {rel.status}: only autoExtendDuration can change once active, "
                            "anything else only while created.")
        roles = _roles(body) or rel.roles
        if "displayname" in keys:
            rel.display_name = self._validate_name(partner, str(body.get("displayName") or ""), exclude=rel.id)
        if "duration" in keys:
            rel.duration_days = self._validate_duration(str(body.get("duration") or ""))
            rel.duration = str(body.get("duration")).upper()
            rel.end = (rel.activated or rel.created) + dt.timedelta(days=rel.duration_days)
        rel.auto_extend = self._validate_auto_extend(str(body.get("autoExtendDuration") or rel.auto_extend), roles)
        rel.roles = roles
        self._touch(rel, self._now())
        return self.refresh(rel)

    def delete(self, partner: PartnerAccount, relationship_id: str, if_match: str | None) -> None:
        rel = self.find(partner, relationship_id)
        self._check_etag(rel, if_match)
        if rel.status != "created":
            raise GdapError(400, "invalidRelationshipStatus",
                            f"The relationship is {rel.status}: only a created relationship can be deleted.")
        del store_of(partner).relationships[rel.id]

    def add_request(self, partner: PartnerAccount, relationship_id: str, body: CIDict) -> RelationshipRequest:
        rel = self.find(partner, relationship_id)
        action = str(body.get("action") or "")
        now = self._now()
        if action.lower() == "lockforapproval":
            if rel.status != "created":
                raise GdapError(400, "invalidRelationshipStatus",
                                f"The relationship is {rel.status}: only a created relationship can be locked.")
            self._touch(rel, now, "approvalPending")
        elif action.lower() == "terminate":
            if rel.status not in ("active", "expiring"):
                raise GdapError(400, "invalidRelationshipStatus",
                                f"The relationship is {rel.status}: only an active relationship can be terminated.")
            self._touch(rel, now, "terminationRequested")
        else:
            raise GdapError(400, "badRequest", "action must be lockForApproval or terminate.")
        rel.changed_at = now
        request = RelationshipRequest(id=self.state.ids.guid(), action="lockForApproval" if action.lower()
                                      == "lockforapproval" else "terminate", status="created", created=now,
                                      modified=now)
        rel.requests[request.id] = request
        return request

    def request_done(self, request: RelationshipRequest) -> None:
        """Once answered, a lock request has done its work."""
        if request.action == "lockForApproval" and request.status == "created":
            request.status = "succeeded"

    # -- the customer's answer (control API) -----------------------------------------------------------------
    def answer(self, relationship_id: str, *, approve: bool) -> Relationship:
        for partner in self.state.partners.values():
            rel = store_of(partner).relationships.get(relationship_id.lower())
            if rel is None:
                continue
            self.refresh(rel)
            if rel.status != "approvalPending":
                raise GdapError(400, "invalidRelationshipStatus",
                                f"The relationship is {rel.status}: only approvalPending can be approved or declined.")
            now = self._now()
            rel.changed_at = now
            self._touch(rel, now, "approved" if approve else "terminated")
            return self.refresh(rel)
        raise GdapError(404, "notFound", f"No relationship {relationship_id}.")

    # -- access assignments ----------------------------------------------------------------------------------
    def add_assignment(self, partner: PartnerAccount, relationship_id: str, body: CIDict) -> AccessAssignment:
        rel = self.find(partner, relationship_id)
        if rel.status not in ("active", "expiring"):
            raise GdapError(400, "relationshipNotActive",
                            f"The relationship is {rel.status}: access can be assigned once it is active.")
        container = body.get("accessContainer")
        group = str(container.get("accessContainerId") or "") if isinstance(container, CIDict) else ""
        kind = str(container.get("accessContainerType") or "") if isinstance(container, CIDict) else ""
        if not _GUID.match(group) or kind.lower() != "securitygroup":
            raise GdapError(400, "badRequest", "accessContainer must name a securityGroup by its object id.")
        roles = _roles(body)
        if not roles or any(r not in rel.roles for r in roles):
            raise GdapError(400, "badRequest", "The assignment's roles must be roles of the relationship.")
        for existing in rel.assignments.values():
            if existing.group_id == group.lower() and existing.status not in ("deleting", "deleted"):
                raise GdapError(409, "conflict", "The security group already has an access assignment.")
        now = self._now()
        assignment = AccessAssignment(id=self.state.ids.guid(), group_id=group.lower(), roles=roles, status="pending",
                                      created=now, modified=now, etag=self._etag(), changed_at=now)
        rel.assignments[assignment.id] = assignment
        return assignment

    def find_assignment(self, partner: PartnerAccount, relationship_id: str, assignment_id: str) -> AccessAssignment:
        rel = self.find(partner, relationship_id)
        assignment = rel.assignments.get(assignment_id.lower())
        if assignment is None:
            raise GdapError(404, "notFound", f"The access assignment {assignment_id} does not exist.")
        return assignment

    def delete_assignment(self, partner: PartnerAccount, relationship_id: str, assignment_id: str,
                          if_match: str | None) -> None:
        assignment = self.find_assignment(partner, relationship_id, assignment_id)
        if not if_match:
            raise GdapError(400, "badRequest", "The If-Match header is required.")
        if if_match.strip() not in (assignment.etag, "*"):
            raise GdapError(412, "preconditionFailed", "The etag in If-Match is not the assignment's current one.")
        if assignment.status in ("deleting", "deleted"):
            raise GdapError(400, "invalidAssignmentStatus", f"The access assignment is already {assignment.status}.")
        now = self._now()
        assignment.status, assignment.modified, assignment.changed_at = "deleting", now, now
        assignment.etag = self._etag()


# -- Graph JSON --------------------------------------------------------------------------------------------------
def stamp(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def relationship_json(rel: Relationship) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.delegatedAdminRelationship",
        "@odata.etag": rel.etag,
        "id": rel.id,
        "displayName": rel.display_name,
        "duration": rel.duration,
        "customer": ({"tenantId": rel.customer_tenant_id, "displayName": rel.customer_name}
                     if rel.customer_tenant_id else None),
        "accessDetails": {"unifiedRoles": [{"roleDefinitionId": r} for r in rel.roles]},
        "status": rel.status,
        "autoExtendDuration": rel.auto_extend,
        "createdDateTime": stamp(rel.created),
        "lastModifiedDateTime": stamp(rel.modified),
        "activatedDateTime": stamp(rel.activated),
        "endDateTime": stamp(rel.end),
    }
    return data


def request_json(request: RelationshipRequest) -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.delegatedAdminRelationshipRequest", "id": request.id,
            "action": request.action, "status": request.status, "createdDateTime": stamp(request.created),
            "lastModifiedDateTime": stamp(request.modified)}


def assignment_json(assignment: AccessAssignment) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.delegatedAdminAccessAssignment",
        "@odata.etag": assignment.etag,
        "id": assignment.id,
        "status": assignment.status,
        "createdDateTime": stamp(assignment.created),
        "lastModifiedDateTime": stamp(assignment.modified),
        "accessContainer": {"accessContainerId": assignment.group_id, "accessContainerType": "securityGroup"},
        "accessDetails": {"unifiedRoles": [{"roleDefinitionId": r} for r in assignment.roles]},
    }


def control_view(rel: Relationship) -> dict[str, Any]:
    return {**relationship_json(rel), "approvalUrl": APPROVAL_URL.format(id=rel.id),
            "accessAssignments": [assignment_json(a) for a in rel.assignments.values()]}


def control(state: SimState, body: CIDict, action: str) -> dict[str, Any]:
    """``/_sim/gdap/approve`` and ``/_sim/gdap/reject`` ``{"relationshipId"}`` (the customer's Global
    Administrator answering at the approval link), ``/_sim/gdap/settings`` ``{"transitionSeconds"}`` and
    ``GET /_sim/gdap/relationships`` (every partner's, with the approval URL and assignments)."""
    with state.lock:
        gdap = Gdap(state)
        if action == "settings":
            if body.get("transitionSeconds") is not None:
                gdap.transition_seconds = float(body.get("transitionSeconds"))
            return {"transitionSeconds": gdap.transition_seconds}
        if action == "relationships":
            return {"value": [control_view(gdap.refresh(rel)) for partner in state.partners.values()
                              for rel in store_of(partner).relationships.values()]}
        try:
            return control_view(gdap.answer(str(body.get("relationshipId") or ""), approve=action == "approve"))
        except GdapError as error:
            raise ValueError(f"{error.code}: {error.message}") from error
