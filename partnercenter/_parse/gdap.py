"""Microsoft Graph GDAP JSON -> :mod:`partnercenter.gdap_types`."""

from __future__ import annotations

from typing import Any

from ..errors import ResponseValidationError
from ..gdap_types import NO_AUTO_EXTEND, AccessAssignment, DelegatedAdminRelationship, RelationshipRequest
from .base import JsonObject, parse_datetime


def _root(data: Any, what: str) -> JsonObject:
    if not isinstance(data, dict):
        raise ResponseValidationError(f"{what}: response is not a JSON object")
    return JsonObject(data)


def _roles(o: JsonObject) -> tuple[str, ...]:
    details = o.obj("accessDetails")
    if details is None:
        return ()
    return tuple(r.req_str("roleDefinitionId", "unifiedRole") for r in details.objs("unifiedRoles"))


def relationship(data: Any, *, location: str | None = None) -> DelegatedAdminRelationship:
    o = _root(data, "delegatedAdminRelationship")
    customer = o.obj("customer")
    return DelegatedAdminRelationship(
        id=o.req_str("id", "delegatedAdminRelationship"),
        display_name=o.str("displayName") or "",
        status=o.req_str("status", "delegatedAdminRelationship"),
        duration=o.str("duration") or "",
        auto_extend_duration=o.str("autoExtendDuration") or NO_AUTO_EXTEND,
        customer_tenant_id=customer.str("tenantId") if customer else None,
        customer_display_name=customer.str("displayName") if customer else None,
        role_ids=_roles(o),
        created=parse_datetime(o.get("createdDateTime")),
        last_modified=parse_datetime(o.get("lastModifiedDateTime")),
        activated=parse_datetime(o.get("activatedDateTime")),  # "" before activation
        end=parse_datetime(o.get("endDateTime")),
        etag=o.str("@odata.etag"),
        location=location,
    )


def relationship_request(data: Any, *, location: str | None = None) -> RelationshipRequest:
    o = _root(data, "delegatedAdminRelationshipRequest")
    return RelationshipRequest(
        id=o.req_str("id", "delegatedAdminRelationshipRequest"),
        action=o.req_str("action", "delegatedAdminRelationshipRequest"),
        status=o.req_str("status", "delegatedAdminRelationshipRequest"),
        created=parse_datetime(o.get("createdDateTime")),
        last_modified=parse_datetime(o.get("lastModifiedDateTime")),
        location=location,
    )


def access_assignment(data: Any, *, location: str | None = None) -> AccessAssignment:
    o = _root(data, "delegatedAdminAccessAssignment")
    container = o.obj("accessContainer")
    if container is None:
        raise ResponseValidationError("delegatedAdminAccessAssignment without accessContainer")
    return AccessAssignment(
        id=o.req_str("id", "delegatedAdminAccessAssignment"),
        status=o.req_str("status", "delegatedAdminAccessAssignment"),
        security_group_id=container.req_str("accessContainerId", "accessContainer"),
        container_type=container.str("accessContainerType") or "securityGroup",
        role_ids=_roles(o),
        created=parse_datetime(o.get("createdDateTime")),
        last_modified=parse_datetime(o.get("lastModifiedDateTime")),
        etag=o.str("@odata.etag"),
        location=location,
    )
