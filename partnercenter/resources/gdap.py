"""Granular delegated admin privileges on Microsoft Graph (billing facts sheet §5), through the client's one Graph
transport (the same as the reconciliation exports): relationships (create, read, PATCH with ``If-Match``, delete
while ``created``), their requests (``lockForApproval``, ``terminate``) and access assignments (a security group
of the partner's tenant given some of the relationship's roles).

Writes answer 201 (+ ``Location``) or 202 (long-running); the typed results carry that ``Location``. A refusal in
the relationship's current status raises :class:`GdapStateError`; a stale etag :class:`PreconditionFailedError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import requests

from .._parse import gdap as _gdap
from .._transport import Transport
from ..errors import BadRequestError, ResponseValidationError
from ..gdap_types import (
    AUTO_EXTEND_DURATION,
    NO_AUTO_EXTEND,
    AccessAssignment,
    DelegatedAdminRelationship,
    GdapStateError,
    GdapUnavailableError,
    RelationshipRequest,
)

_BASE = "/tenantRelationships/delegatedAdminRelationships"
_MAX_PAGES = 200
# Graph error codes (and our simulator's) that mean "not in this status", not "malformed request".
STATE_ERROR_CODES = frozenset({"invalidRelationshipStatus", "relationshipNotActive", "autoExtendNotAllowed",
                               "invalidAssignmentStatus"})


def _roles_json(role_ids: Iterable[str]) -> dict[str, Any]:
    return {"unifiedRoles": [{"roleDefinitionId": r} for r in role_ids]}


class GdapResource:
    """``client.gdap``: delegated admin relationships, their requests and access assignments."""

    def __init__(self, transport: Transport | None, *,
                 unavailable_reason: str = "no Microsoft Graph credentials were configured") -> None:
        self._t = transport
        self._unavailable = unavailable_reason

    def _graph(self) -> Transport:
        if self._t is None:
            raise GdapUnavailableError(f"GDAP is not available: {self._unavailable}")
        return self._t

    def _call(self, method: str, path: str, *, operation: str, **kwargs: Any) -> requests.Response:
        try:
            return self._graph().request(method, path, operation=operation, **kwargs)
        except BadRequestError as exc:
            if exc.error_name in STATE_ERROR_CODES:
                raise GdapStateError(exc.message, http_status=exc.http_status, description=exc.description,
                                     error_name=exc.error_name, request_id=exc.request_id,
                                     correlation_id=exc.correlation_id) from exc
            raise

    @staticmethod
    def _json(response: requests.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise ResponseValidationError(f"{what}: response is not JSON", http_status=response.status_code) from exc

    def _collection(self, path: str, params: dict[str, Any] | None, operation: str) -> list[Any]:
        items: list[Any] = []
        url: str | None = path
        for _ in range(_MAX_PAGES):
            if url is None:
                break
            data = self._json(self._call("GET", url, params=params, operation=operation), operation)
            if not isinstance(data, dict) or not isinstance(data.get("value"), list):
                raise ResponseValidationError(f"{operation}: no 'value' collection")
            items.extend(data["value"])
            next_link = data.get("@odata.nextLink")
            url, params = (next_link if isinstance(next_link, str) and next_link else None), None
        return items

    # -- relationships ------------------------------------------------------------------------------------------
    def create_relationship(self, *, display_name: str, duration: str, role_ids: Iterable[str],
                            customer_tenant_id: str | None = None, customer_display_name: str | None = None,
                            auto_extend: bool = False) -> DelegatedAdminRelationship:
        """A new relationship in status ``created`` (201 + ``Location``). ``duration`` is ISO-8601, ``P1D`` to
        ``P2Y``; ``auto_extend`` asks for 180-day renewals (refused with the Global Administrator role)."""
        body: dict[str, Any] = {
            "displayName": display_name,
            "duration": duration,
            "accessDetails": _roles_json(role_ids),
            "autoExtendDuration": AUTO_EXTEND_DURATION if auto_extend else NO_AUTO_EXTEND,
        }
        if customer_tenant_id:
            body["customer"] = {"tenantId": customer_tenant_id}
            if customer_display_name:
                body["customer"]["displayName"] = customer_display_name
        response = self._call("POST", _BASE, json_body=body, expected=(201,), operation="create GDAP relationship")
        return _gdap.relationship(self._json(response, "create GDAP relationship"),
                                  location=response.headers.get("Location"))

    def get_relationship(self, relationship_id: str) -> DelegatedAdminRelationship:
        response = self._call("GET", f"{_BASE}/{relationship_id}", operation="get GDAP relationship")
        return _gdap.relationship(self._json(response, "get GDAP relationship"))

    def list_relationships(self, *, customer_tenant_id: str | None = None,
                           status: str | None = None) -> list[DelegatedAdminRelationship]:
        filters = []
        if customer_tenant_id:
            filters.append(f"customer/tenantId eq '{customer_tenant_id}'")
        if status:
            filters.append(f"status eq '{status}'")
        params = {"$filter": " and ".join(filters)} if filters else None
        return [_gdap.relationship(item) for item in self._collection(_BASE, params, "list GDAP relationships")]

    def update_relationship(self, relationship_id: str, *, etag: str, display_name: str | None = None,
                            duration: str | None = None, role_ids: Iterable[str] | None = None,
                            auto_extend: bool | None = None) -> DelegatedAdminRelationship | None:
        """PATCH with ``If-Match``: anything while ``created``; only ``auto_extend`` once ``active``. Returns the
        updated relationship, or None when Microsoft accepted a long-running change (202)."""
        body: dict[str, Any] = {}
        if display_name is not None:
            body["displayName"] = display_name
        if duration is not None:
            body["duration"] = duration
        if role_ids is not None:
            body["accessDetails"] = _roles_json(role_ids)
        if auto_extend is not None:
            body["autoExtendDuration"] = AUTO_EXTEND_DURATION if auto_extend else NO_AUTO_EXTEND
        response = self._call("PATCH", f"{_BASE}/{relationship_id}", json_body=body, if_match=etag,
                              expected=(200, 202, 204), operation="update GDAP relationship")
        if response.status_code != 200 or not response.content:
            return None
        return _gdap.relationship(self._json(response, "update GDAP relationship"))

    def delete_relationship(self, relationship_id: str, *, etag: str) -> None:
        """Only while ``created`` (never locked for approval); 204."""
        self._call("DELETE", f"{_BASE}/{relationship_id}", if_match=etag, expected=(204,),
                   operation="delete GDAP relationship")

    # -- requests -------------------------------------------------------------------------------------------
    def _request(self, relationship_id: str, action: str) -> RelationshipRequest:
        response = self._call("POST", f"{_BASE}/{relationship_id}/requests", json_body={"action": action},
                              expected=(201, 202), operation=f"GDAP {action}")
        return _gdap.relationship_request(self._json(response, f"GDAP {action}"),
                                          location=response.headers.get("Location"))

    def lock_for_approval(self, relationship_id: str) -> RelationshipRequest:
        """``created`` -> ``approvalPending``: the customer can now approve at the relationship's approval URL."""
        return self._request(relationship_id, "lockForApproval")

    def terminate(self, relationship_id: str) -> RelationshipRequest:
        """``active`` -> ``terminationRequested`` -> ``terminated``."""
        return self._request(relationship_id, "terminate")

    def get_request(self, relationship_id: str, request_id: str) -> RelationshipRequest:
        response = self._call("GET", f"{_BASE}/{relationship_id}/requests/{request_id}",
                              operation="get GDAP relationship request")
        return _gdap.relationship_request(self._json(response, "get GDAP relationship request"))

    def list_requests(self, relationship_id: str) -> list[RelationshipRequest]:
        return [_gdap.relationship_request(item) for item in
                self._collection(f"{_BASE}/{relationship_id}/requests", None, "list GDAP relationship requests")]

    # -- access assignments -----------------------------------------------------------------------------------
    def create_access_assignment(self, relationship_id: str, *, security_group_id: str,
                                 role_ids: Iterable[str]) -> AccessAssignment:
        """Give a security group of the partner's tenant some of the relationship's roles (status ``pending``
        until Microsoft applies it). The relationship must be ``active``."""
        body = {"accessContainer": {"accessContainerId": security_group_id, "accessContainerType": "securityGroup"},
                "accessDetails": _roles_json(role_ids)}
        response = self._call("POST", f"{_BASE}/{relationship_id}/accessAssignments", json_body=body,
                              expected=(201, 202), operation="create GDAP access assignment")
        return _gdap.access_assignment(self._json(response, "create GDAP access assignment"),
                                       location=response.headers.get("Location"))

    def get_access_assignment(self, relationship_id: str, assignment_id: str) -> AccessAssignment:
        response = self._call("GET", f"{_BASE}/{relationship_id}/accessAssignments/{assignment_id}",
                              operation="get GDAP access assignment")
        return _gdap.access_assignment(self._json(response, "get GDAP access assignment"))

    def list_access_assignments(self, relationship_id: str) -> list[AccessAssignment]:
        return [_gdap.access_assignment(item) for item in
                self._collection(f"{_BASE}/{relationship_id}/accessAssignments", None,
                                 "list GDAP access assignments")]

    def delete_access_assignment(self, relationship_id: str, assignment_id: str, *, etag: str) -> None:
        """Remove the group's access (the assignment goes ``deleting`` -> ``deleted``)."""
        self._call("DELETE", f"{_BASE}/{relationship_id}/accessAssignments/{assignment_id}", if_match=etag,
                   expected=(202, 204), operation="delete GDAP access assignment")
