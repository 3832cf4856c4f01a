"""GDAP over HTTP on the simulator's Microsoft Graph host (``/v1.0`` and ``/beta``
``/tenantRelationships/delegatedAdminRelationships...``): Graph's answers (201 + ``Location`` and
``@odata.etag`` on create, 204 on delete, ``{"error": {...}}`` envelopes), over the rules in ``gdap.py``; and the
control calls that play the customer's admin live in ``gdap.control`` (``/_sim/gdap/...``)."""

from __future__ import annotations

import re
import time
import uuid

from werkzeug.wrappers import Request, Response

from .body import CIDict
from .gdap import Gdap, GdapError, assignment_json, relationship_json, request_json
from .http_json import json_response
from .instance import Simulator
from .state import PartnerAccount

GDAP_RE = re.compile(
    r"^/(?P<version>v1\.0|beta)/tenantrelationships/delegatedadminrelationships"
    r"(?:/(?P<rid>[^/]+)(?:/(?P<sub>requests|accessassignments)(?:/(?P<sid>[^/]+))?)?)?/?$")
_FILTER = re.compile(r"(customer/tenantid|status)\s+eq\s+'([^']*)'", re.IGNORECASE)
_CONTEXT = "https://graph.microsoft.com/{version}/tenantRelationships/$metadata#{what}"


def is_gdap(lower: str) -> bool:
    return GDAP_RE.match(lower) is not None


def _error(error: GdapError, request: Request) -> Response:
    return json_response(error.status, {"error": {
        "code": error.code, "message": error.message,
        "innerError": {"date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), "request-id": str(uuid.uuid4()),
                       "client-request-id": request.headers.get("client-request-id") or str(uuid.uuid4())}}})


def _body(request: Request) -> CIDict:
    raw = request.get_data(cache=True)
    if not raw.strip():
        return CIDict()
    try:
        data = request.get_json(force=True, silent=False)
    except Exception as exc:
        raise GdapError(400, "badRequest", "The request body is not JSON.") from exc
    if not isinstance(data, dict):
        raise GdapError(400, "badRequest", "The request body must be a JSON object.")
    return CIDict(data)


class GdapAPI:
    """The GDAP endpoints of one simulator instance."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    @property
    def gdap(self) -> Gdap:
        return Gdap(self.sim.state)

    def serve(self, request: Request, lower: str, partner: PartnerAccount) -> Response:
        match = GDAP_RE.match(lower)
        assert match is not None
        version, rid, sub, sid = match.group("version", "rid", "sub", "sid")
        with self.sim.state.lock:
            try:
                return self._dispatch(request, partner, version, rid, sub, sid)
            except GdapError as error:
                return _error(error, request)

    def _location(self, request: Request, *parts: str) -> str:
        return request.host_url.rstrip("/") + "/" + "/".join(parts)

    def _dispatch(self, request: Request, partner: PartnerAccount, version: str, rid: str | None, sub: str | None,
                  sid: str | None) -> Response:
        method = request.method
        gdap = self.gdap
        base = f"{version}/tenantRelationships/delegatedAdminRelationships"
        if_match = request.headers.get("If-Match")
        if rid is None:
            if method == "POST":
                rel = gdap.create(partner, _body(request))
                body = {"@odata.context": _CONTEXT.format(version=version, what="delegatedAdminRelationships"),
                        **relationship_json(rel)}
                return json_response(201, body, {"Location": self._location(request, base, rel.id),
                                                 "ETag": rel.etag})
            if method == "GET":
                rels = gdap.all(partner)
                for field_name, value in _FILTER.findall(request.args.get("$filter", "")):
                    if field_name.lower() == "status":
                        rels = [r for r in rels if r.status.lower() == value.lower()]
                    else:
                        rels = [r for r in rels if (r.customer_tenant_id or "") == value.lower()]
                rels.sort(key=lambda r: r.created)
                return json_response(200, {
                    "@odata.context": _CONTEXT.format(version=version, what="delegatedAdminRelationships"),
                    "value": [relationship_json(r) for r in rels]})
            raise GdapError(405, "methodNotAllowed", f"{method} is not allowed here.")
        if sub is None:
            if method == "GET":
                return json_response(200, relationship_json(gdap.find(partner, rid)))
            if method == "PATCH":
                rel = gdap.update(partner, rid, _body(request), if_match)
                return json_response(200, relationship_json(rel), {"ETag": rel.etag})
            if method == "DELETE":
                gdap.delete(partner, rid, if_match)
                return json_response(204, None)
            raise GdapError(405, "methodNotAllowed", f"{method} is not allowed here.")
        if sub == "requests":
            return self._requests(request, partner, base, version, rid, sid)
        return self._assignments(request, partner, base, version, rid, sid)

    def _requests(self, request: Request, partner: PartnerAccount, base: str, version: str, rid: str,
                  sid: str | None) -> Response:
        gdap = self.gdap
        if sid is None and request.method == "POST":
            created = gdap.add_request(partner, rid, _body(request))
            body = {"@odata.context": _CONTEXT.format(version=version, what="requests"), **request_json(created)}
            gdap.request_done(created)
            return json_response(201, body, {"Location": self._location(request, base, rid, "requests", created.id)})
        rel = gdap.find(partner, rid)
        if request.method != "GET":
            raise GdapError(405, "methodNotAllowed", f"{request.method} is not allowed here.")
        if sid is None:
            return json_response(200, {"value": [request_json(r) for r in rel.requests.values()]})
        found = rel.requests.get(sid)
        if found is None:
            raise GdapError(404, "notFound", f"The request {sid} does not exist.")
        return json_response(200, request_json(found))

    def _assignments(self, request: Request, partner: PartnerAccount, base: str, version: str, rid: str,
                     sid: str | None) -> Response:
        gdap = self.gdap
        method = request.method
        if sid is None:
            if method == "POST":
                created = gdap.add_assignment(partner, rid, _body(request))
                body = {"@odata.context": _CONTEXT.format(version=version, what="accessAssignments"),
                        **assignment_json(created)}
                return json_response(201, body, {
                    "Location": self._location(request, base, rid, "accessAssignments", created.id),
                    "ETag": created.etag})
            if method == "GET":
                rel = gdap.find(partner, rid)
                return json_response(200, {"value": [assignment_json(a) for a in rel.assignments.values()]})
            raise GdapError(405, "methodNotAllowed", f"{method} is not allowed here.")
        if method == "GET":
            return json_response(200, assignment_json(gdap.find_assignment(partner, rid, sid)))
        if method == "DELETE":
            gdap.delete_assignment(partner, rid, sid, request.headers.get("If-Match"))
            return json_response(204, None)
        raise GdapError(405, "methodNotAllowed", f"{method} is not allowed here.")
