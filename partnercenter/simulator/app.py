"""The WSGI application: request log, authentication, faults and throttling around the Partner Center API
(``api.py``), the token endpoints, and the control API under ``/_sim/`` (``control.py``)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import auth
from .api import PartnerCenterAPI
from .backend import Backend, Caller
from .billing_api import BillingAPI, graph_error, is_graph_billing, is_invoices
from .catalog import Catalog
from .control import ControlAPI
from .errors import PCError, throttle_body
from .exports import BLOB_PREFIX
from .faults import FaultRule, Faults
from .gdap_api import GdapAPI, is_gdap
from .http_json import json_response, pc_error_response
from .instance import Simulator
from .state import GRAPH_AUDIENCE, PARTNER_API_AUDIENCE, RequestLogEntry, SimState
from .throttle import Throttle, customer_of, resource_family

REDACTED_HEADERS = {"authorization", "cookie"}


class DropConnection(ConnectionError):
    """Raised out of the WSGI app to make werkzeug close the socket without writing a response."""


AUTH_RULES = [
    Rule("/<tenant>/oauth2/v2.0/token", endpoint="token_v2", methods=["POST"]),
    Rule("/<tenant>/oauth2/token", endpoint="token_v1", methods=["POST"]),
    Rule("/<tenant>/v2.0/.well-known/openid-configuration", endpoint="oidc_v2", methods=["GET"]),
    Rule("/<tenant>/.well-known/openid-configuration", endpoint="oidc_v1", methods=["GET"]),
    Rule("/<tenant>/discovery/v2.0/keys", endpoint="jwks", methods=["GET"]),
    Rule("/<tenant>/discovery/keys", endpoint="jwks", methods=["GET"]),
]


class SimulatorApp:
    """The WSGI application. One instance owns state, backend, faults and throttle."""

    def __init__(self, state: SimState | None = None, *, seed_data: bool = True, quiet: bool = True) -> None:
        self.sim = Simulator(state, seed_data=seed_data)
        self.quiet = quiet
        self.server_id = uuid.uuid4().hex[:8]
        self.api = PartnerCenterAPI(self.sim)
        # Fresh copies: a werkzeug Rule binds to one Map, and a process may run several simulators.
        self.auth_map = Map([rule.empty() for rule in AUTH_RULES], strict_slashes=False)
        self.control = ControlAPI(self.sim)
        self.billing_api = BillingAPI(self.sim)
        self.gdap_api = GdapAPI(self.sim)

    # -- the simulated Partner Center this app serves -------------------------------------------------------
    @property
    def state(self) -> SimState:
        return self.sim.state

    @property
    def backend(self) -> Backend:
        return self.sim.backend

    @property
    def catalog(self) -> Catalog:
        return self.sim.catalog

    @property
    def faults(self) -> Faults:
        return self.sim.faults

    @property
    def throttle(self) -> Throttle:
        return self.sim.throttle

    @property
    def seeded(self) -> dict[str, str]:
        return self.sim.seeded

    def reset(self, *, seed: int | str | None = None, seed_data: bool = True, frozen_clock: bool | None = None) -> None:
        self.sim.reset(seed=seed, seed_data=seed_data, frozen_clock=frozen_clock)

    def seed(self) -> dict[str, str]:
        return self.sim.seed()

    # -- WSGI ------------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        path = unquote(request.path)
        lower = path.lower()
        request_id = request.headers.get("MS-RequestId") or str(uuid.uuid4())
        correlation_id = request.headers.get("MS-CorrelationId") or str(uuid.uuid4())
        if lower.startswith("/_sim/") or lower == "/_sim":
            return self.control.dispatch(request, lower)

        entry = self._log(request, path)
        started = time.monotonic()
        try:
            response = self._serve(request, path, lower, request_id, correlation_id, entry)
        except DropConnection:
            entry.status = 0
            raise
        response.headers["MS-RequestId"] = request_id
        response.headers["MS-CorrelationId"] = correlation_id
        response.headers["MS-CV"] = f"{uuid.uuid4().hex[:22]}.0"
        response.headers["MS-ServerId"] = f"pcsim-{self.server_id}"
        response.headers["X-Simulator-Elapsed-Ms"] = str(int((time.monotonic() - started) * 1000))
        entry.status = response.status_code
        return response

    def _log(self, request: Request, path: str) -> RequestLogEntry:
        headers = {
            k.lower(): ("<redacted>" if k.lower() in REDACTED_HEADERS else v) for k, v in request.headers.items()
        }
        body = None
        if request.method in ("POST", "PUT", "PATCH") and request.content_length and request.content_length < 65536:
            body = request.get_data(cache=True, as_text=True)
            if "client_secret" in body or "refresh_token" in body or "assertion" in body:
                body = "<redacted form>"
        with self.state.lock:
            self.state.request_seq += 1
            entry = RequestLogEntry(
                seq=self.state.request_seq, time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                method=request.method, path=path, query=request.query_string.decode("latin-1"), headers=headers,
                body=body,
            )
            self.state.request_log.append(entry)
        return entry

    def _serve(self, request: Request, path: str, lower: str, request_id: str, correlation_id: str,
               entry: RequestLogEntry) -> Response:
        graph = is_graph_billing(lower) or is_gdap(lower)
        is_api = graph or lower.startswith(("/v1/", "/v1.0/"))
        principal: auth.Principal | None = None
        auth_error: auth.AuthError | None = None
        if is_api:
            audiences = {GRAPH_AUDIENCE} if graph else {PARTNER_API_AUDIENCE} if lower.startswith("/v1.0/") else None
            try:
                principal = auth.authenticate(self.state, request.headers.get("Authorization"), audiences=audiences)
                entry.partner_tenant_id = principal.partner.tenant_id
            except auth.AuthError as error:
                auth_error = error

        fault = self.faults.take(request.method, path, entry.partner_tenant_id)
        if fault is not None:
            entry.fault = fault.kind
            early = self._apply_fault_before(fault)
            if early is not None:
                return early

        if lower.startswith(BLOB_PREFIX):
            response = self.billing_api.serve_blob(request, path)
        elif not is_api:
            response = self._serve_auth(request, lower)
        elif (auth_error is not None or principal is None) and graph:
            response = graph_error(401, "InvalidAuthenticationToken",
                                   auth_error.description if auth_error else "Access token is empty.", request)
        elif auth_error is not None or principal is None:
            response = self._unauthorized(auth_error)
        else:
            throttled = self._throttle(principal, lower)
            if throttled is not None:
                response = throttled
            elif is_gdap(lower):
                response = self.gdap_api.serve(request, lower, principal.partner)
            elif graph or is_invoices(lower):
                caller = Caller(principal.partner, principal.app_only, principal.user_id)
                response = (self.billing_api.serve_graph(request, lower, caller) if graph
                            else self.billing_api.serve_invoices(request, lower, caller))
            else:
                response = self.api.serve(request, lower, principal, request_id)

        if fault is not None and fault.kind == "accepted" and response.status_code == 200:
            accepted = Response(b"", status=202)
            accepted.headers["Location"] = path
            response = accepted
        if fault is not None and fault.kind == "drop":
            raise DropConnection("fault: response dropped after the call committed")
        return response

    def _apply_fault_before(self, fault: FaultRule) -> Response | None:
        if fault.kind == "latency":
            time.sleep(fault.seconds if fault.seconds is not None else 1.0)
            return None
        if fault.kind == "429":
            return json_response(429, throttle_body(fault.retry_after), {"Retry-After": str(fault.retry_after)})
        if fault.kind == "5xx":
            status = fault.status or 503
            error = PCError(status, fault.code or 800003, description=fault.description)
            headers = {"Retry-After": str(fault.retry_after)} if status == 503 and fault.retry_after else {}
            return json_response(status, error.body(), headers)
        if fault.kind == "error":
            assert fault.status is not None and fault.code is not None
            return pc_error_response(PCError(fault.status, fault.code, description=fault.description))
        if fault.kind == "timeout":
            hold = fault.seconds if fault.seconds is not None else self.state.config.timeout_hold_seconds
            self.state.release.wait(hold)
            raise DropConnection("fault: timeout")
        return None

    def _unauthorized(self, error: auth.AuthError | None) -> Response:
        description = error.description if error else "Access denied"
        code = error.code if error else 400
        return json_response(
            401,
            {"code": code, "description": description, "data": [], "source": "PartnerFD"},
            {"WWW-Authenticate": f'Bearer realm="urn:cpsvc:cpid:{uuid.UUID(int=0)}", error="invalid_token", '
                                 f'error_description="{description}"'},
        )

    def _throttle(self, principal: auth.Principal, lower: str) -> Response | None:
        tenant = principal.partner.tenant_id
        family = resource_family(lower)
        config = self.state.config
        limit = self.throttle.limit_for(tenant, family, config.rate_limit_per_minute)
        retry_after = self.throttle.hit((tenant, family), limit)
        if retry_after is None and config.customer_rate_limit_per_minute:
            customer = customer_of(lower)
            if customer:
                retry_after = self.throttle.hit((tenant, "customer", customer), config.customer_rate_limit_per_minute)
        self.throttle.count(tenant, family, throttled=retry_after is not None)
        if retry_after is None:
            return None
        return json_response(429, throttle_body(retry_after), {"Retry-After": str(retry_after)})

    # -- token endpoint ----------------------------------------------------------------------------------
    def _serve_auth(self, request: Request, lower: str) -> Response:
        adapter = self.auth_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match(lower)
        except HTTPException as error:
            return json_response(error.code or 404, {"error": "not_found", "error_description": str(error)})
        tenant = args["tenant"]
        base = request.host_url.rstrip("/")
        if endpoint in ("token_v2", "token_v1"):
            form = dict(request.form.items())
            status, body = auth.token_response(self.state, tenant, form, v1=endpoint == "token_v1")
            return json_response(status, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})
        if endpoint == "jwks":
            return json_response(200, {"keys": []})
        partner = self.state.partner(tenant)
        if partner is None and tenant not in ("common", "organizations"):
            status, body = auth.aad_error(
                "invalid_tenant", 90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing "
                "into the correct cloud.")
            return json_response(status, body)
        tenant_id = partner.tenant_id if partner else "{tenantid}"
        return json_response(200, auth.openid_configuration(base, tenant, tenant_id, v2=endpoint == "oidc_v2"))
