"""The Partner Center REST API: routes -> backend -> Partner Center JSON (``/v1``), and the price sheet
download (``/v1.0/sales/pricesheets``) that stands in for api.partner.microsoft.com."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import render
from .auth import Principal
from .backend import Backend, Caller, check_catalog_query
from .body import CIDict, wrap
from .catalog import Catalog
from .errors import PCError
from .http_json import json_response, pc_error_response
from .instance import Simulator
from .pricesheet import iter_zipped
from .state import SimState

PRICESHEET_RE = re.compile(
    r"^/v1\.0/sales/pricesheets\(market='(?P<market>[a-z]{2})',pricesheetview='(?P<view>[a-z_]+)'\)/\$value$"
)


def _v1(path: str) -> str:
    return "/v1" + path


def _api_rules() -> list[Rule]:
    r = Rule
    return [
        r(_v1("/customers"), endpoint="customers", methods=["GET", "POST"]),
        r(_v1("/customers/relationshiprequests"), endpoint="relationship_request", methods=["GET"]),
        r(_v1("/domains/<domain>"), endpoint="domain", methods=["HEAD", "GET"]),
        r(_v1("/relationships"), endpoint="relationships", methods=["GET"]),
        r(_v1("/compliance/csp/agreementstatus"), endpoint="mpa_status", methods=["GET"]),
        r(_v1("/agreements"), endpoint="agreement_metadata", methods=["GET"]),
        r(_v1("/auditrecords"), endpoint="audit_records", methods=["GET"]),
        r(_v1("/customers/<cid>"), endpoint="customer", methods=["GET", "PATCH", "DELETE"]),
        r(_v1("/customers/<cid>/profiles/company"), endpoint="company_profile", methods=["GET"]),
        r(_v1("/customers/<cid>/profiles/billing"), endpoint="billing_profile", methods=["GET"]),
        r(_v1("/customers/<cid>/relationships"), endpoint="customer_relationships", methods=["GET"]),
        r(_v1("/customers/<cid>/qualifications"), endpoint="qualifications", methods=["GET"]),
        r(_v1("/customers/<cid>/qualification"), endpoint="qualification", methods=["GET"]),
        r(_v1("/customers/<cid>/agreements"), endpoint="customer_agreements", methods=["GET", "POST"]),
        r(_v1("/customers/<cid>/directsignedmicrosoftcustomeragreementstatus"), endpoint="direct_sign",
          methods=["GET"]),
        r(_v1("/products"), endpoint="products", methods=["GET"]),
        r(_v1("/products/<pid>"), endpoint="product", methods=["GET"]),
        r(_v1("/products/<pid>/skus"), endpoint="skus", methods=["GET"]),
        r(_v1("/products/<pid>/skus/<sku>"), endpoint="sku", methods=["GET"]),
        r(_v1("/products/<pid>/skus/<sku>/availabilities"), endpoint="availabilities", methods=["GET"]),
        r(_v1("/products/<pid>/skus/<sku>/availabilities/<aid>"), endpoint="availability", methods=["GET"]),
        r(_v1("/customers/<cid>/products"), endpoint="products", methods=["GET"]),
        r(_v1("/customers/<cid>/products/<pid>"), endpoint="product", methods=["GET"]),
        r(_v1("/customers/<cid>/products/<pid>/skus"), endpoint="skus", methods=["GET"]),
        r(_v1("/customers/<cid>/products/<pid>/skus/<sku>"), endpoint="sku", methods=["GET"]),
        r(_v1("/customers/<cid>/products/<pid>/skus/<sku>/availabilities"), endpoint="availabilities",
          methods=["GET"]),
        r(_v1("/customers/<cid>/products/<pid>/skus/<sku>/availabilities/<aid>"), endpoint="availability",
          methods=["GET"]),
        r(_v1("/offers/<offer_id>"), endpoint="offer", methods=["GET"]),
        r(_v1("/customers/<cid>/carts"), endpoint="carts", methods=["POST"]),
        r(_v1("/customers/<cid>/carts/<cart_id>"), endpoint="cart", methods=["GET", "PUT"]),
        r(_v1("/customers/<cid>/carts/<cart_id>/checkout"), endpoint="checkout", methods=["POST"]),
        r(_v1("/customers/<cid>/orders"), endpoint="orders", methods=["GET"]),
        r(_v1("/customers/<cid>/orders/<oid>"), endpoint="order", methods=["GET"]),
        r(_v1("/customers/<cid>/orders/<oid>/provisioningstatus"), endpoint="order_provisioning",
          methods=["GET"]),
        r(_v1("/customers/<cid>/subscriptions"), endpoint="subscriptions", methods=["GET"]),
        r(_v1("/customers/<cid>/subscriptions/<sid>"), endpoint="subscription", methods=["GET", "PATCH"]),
        r(_v1("/customers/<cid>/subscriptions/<sid>/provisioningstatus"), endpoint="subscription_provisioning",
          methods=["GET"]),
        r(_v1("/customers/<cid>/subscriptions/<sid>/transitioneligibilities"), endpoint="transition_eligibilities",
          methods=["GET"]),
        r(_v1("/customers/<cid>/subscriptions/<sid>/transitions"), endpoint="transitions", methods=["GET", "POST"]),
        r(_v1("/customers/<cid>/subscriptions/<sid>/addons"), endpoint="addons", methods=["GET"]),
        r(_v1("/productpromotions"), endpoint="promotions", methods=["GET"]),
        r(_v1("/productpromotions/<promotion_id>"), endpoint="promotion", methods=["GET"]),
        r(_v1("/customers/<cid>/promotioneligibilities"), endpoint="promotion_eligibilities", methods=["POST"]),
        r(_v1("/customers/<cid>/subscriptions/<sid>/azureentitlements"), endpoint="entitlements",
          methods=["GET"]),
        r(_v1("/customers/<cid>/subscriptions/<sid>/azureentitlements/<eid>"), endpoint="entitlement",
          methods=["GET"]),
    ]


class PartnerCenterAPI:
    """The authenticated Partner Center endpoints of one simulator instance."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.api_map = Map(_api_rules(), strict_slashes=False, merge_slashes=True)

    @property
    def state(self) -> SimState:
        return self.sim.state

    @property
    def backend(self) -> Backend:
        return self.sim.backend

    @property
    def catalog(self) -> Catalog:
        return self.sim.catalog

    def serve(self, request: Request, lower: str, principal: Principal, request_id: str) -> Response:
        caller = Caller(principal.partner, principal.app_only, principal.user_id)
        match = PRICESHEET_RE.match(lower)
        if match:
            return self._pricesheet(request, caller, match["market"].upper(), match["view"])
        if lower.startswith("/v1.0/"):
            return pc_error_response(PCError(404, 1000))
        adapter = self.api_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match(lower, method=request.method)
        except MethodNotAllowed:
            return pc_error_response(PCError(405, 800002, description="The requested method is not allowed"))
        except NotFound:
            return pc_error_response(PCError(404, 1000, description=f"Resource {request.path} not found"))
        except HTTPException as error:
            return pc_error_response(PCError(error.code or 400, 800002, description=str(error)))
        handler: Callable[..., Response] = getattr(self, f"api_{endpoint}")
        try:
            body = None
            if request.method in ("POST", "PUT", "PATCH"):
                body = self._json_body(request)
            if endpoint == "checkout":
                return self.api_checkout(request, caller, body, **args)
            with self.state.lock:
                return handler(request, caller, body, request_id=request_id, **args)
        except PCError as error:
            return pc_error_response(error)

    @staticmethod
    def _json_body(request: Request) -> CIDict:
        raw = request.get_data(cache=True)
        if not raw.strip():
            return CIDict()
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise PCError(400, 800002, description="Invalid request input: the body is not valid JSON") from None
        wrapped = wrap(data)
        if not isinstance(wrapped, CIDict):
            raise PCError(400, 800002, description="Invalid request input: the body must be a JSON object")
        return wrapped

    def _country(self, request: Request, caller: Caller, cid: str | None) -> str:
        if cid:
            return self.backend.customers.get(caller, cid).country
        country = request.args.get("country")
        if not country:
            raise PCError(400, 800002, description="Invalid request input: the country parameter is required")
        return country.upper()

    # customers
    def api_customers(self, request: Request, caller: Caller, body: CIDict | None, *, request_id: str) -> Response:
        if request.method == "POST":
            assert body is not None
            customer, credentials = self.backend.customers.create(
                caller, body, request.headers.get("MS-RequestId") or None)
            return json_response(201, render.render_customer(customer, view="create", credentials=credentials))
        size_text = request.args.get("size")
        size = None
        if size_text is not None:
            try:
                size = int(size_text)
            except ValueError:
                raise PCError(400, 800002, description="Invalid request input: size must be an integer") from None
        token = request.headers.get("MS-ContinuationToken")
        seek = (request.args.get("seekOperation") or "").lower()
        if seek and seek != "next":
            raise PCError(400, 800002, description="Invalid request input: unsupported seekOperation")
        if seek and not token:
            raise PCError(400, 800002, description="Invalid request input: MS-ContinuationToken is required")
        page = self.backend.customers.list(caller, size=size, token=token if seek else None,
                                          filter_text=request.args.get("filter"))
        items = [render.render_customer(c, view="list") for c in page.items]
        params: dict[str, Any] = {"size": page.size}
        if request.args.get("filter"):
            params["filter"] = request.args.get("filter")
        self_uri = "/customers?" + "&".join(f"{k}={v}" for k, v in params.items())
        following = render.continuation_link("/customers", params, page.continuation) if page.continuation else None
        return json_response(200, render.collection(items, self_uri, following))

    def api_relationship_request(self, request: Request, caller: Caller, body: Any, **_: Any) -> Response:
        url = self.backend.relationships.request_url(caller)
        return json_response(200, {"url": url, "attributes": {"objectType": "RelationshipRequest"}})

    def api_domain(self, request: Request, caller: Caller, body: Any, *, domain: str, **_: Any) -> Response:
        exists = self.backend.customers.domain_exists(domain)
        return Response(b"", status=200 if exists else 404)

    def api_relationships(self, request: Request, caller: Caller, body: Any, **_: Any) -> Response:
        resellers = self.backend.relationships.indirect_resellers(caller, request.args.get("relationship_type"))
        return json_response(200, render.collection([render.render_reseller(r) for r in resellers]))

    def api_mpa_status(self, request: Request, caller: Caller, body: Any, **_: Any) -> Response:
        caller.require_user()
        status = self.backend.relationships.reseller_mpa_status(caller, request.args.get("mpnId"),
                                                                request.args.get("tenantId"))
        if status["agreementStatus"] != "active":
            raise PCError(403, 900123)
        return json_response(200, {"agreementStatus": "active", "mpnId": status["mpnId"],
                                   "attributes": {"objectType": "AgreementStatus"}})

    def api_agreement_metadata(self, request: Request, caller: Caller, body: Any, **_: Any) -> Response:
        items = self.backend.agreements.metadata(caller, request.args.get("agreementType"))
        return json_response(200, render.collection(items, "/agreements"))

    def api_audit_records(self, request: Request, caller: Caller, body: Any, **_: Any) -> Response:
        token = request.headers.get("MS-ContinuationToken") if request.args.get("seekOperation") else None
        size = request.args.get("size")
        page = self.backend.audit.search(
            caller, start=request.args.get("startDate"), end=request.args.get("endDate"),
            size=int(size) if size and size.isdigit() else None, token=token, filter_text=request.args.get("filter"))
        params = {k: request.args.get(k) for k in ("startDate", "endDate", "filter")}
        params["size"] = str(page.size)
        following = render.continuation_link("/auditrecords", params, page.continuation) if page.continuation else None
        return json_response(200, render.collection(page.items, None, following))

    def api_customer(self, request: Request, caller: Caller, body: CIDict | None, *, cid: str, **_: Any) -> Response:
        if request.method == "DELETE":
            self.backend.customers.delete(caller, cid)
            return Response(b"", status=204)
        if request.method == "PATCH":
            assert body is not None
            customer = self.backend.customers.set_relationship(caller, cid, body)
            return json_response(200, render.render_customer(customer))
        return json_response(200, render.render_customer(self.backend.customers.get(caller, cid)))

    def api_company_profile(self, request: Request, caller: Caller, body: Any, *, cid: str, **_: Any) -> Response:
        caller.require_user()
        return json_response(200, render.company_profile(self.backend.customers.get(caller, cid), full=True))

    def api_billing_profile(self, request: Request, caller: Caller, body: Any, *, cid: str, **_: Any) -> Response:
        return json_response(200, render.billing_profile(self.backend.customers.get(caller, cid)))

    def api_customer_relationships(self, request: Request, caller: Caller, body: Any, *, cid: str,
                                   **_: Any) -> Response:
        resellers = self.backend.relationships.customer_resellers(caller, cid)
        return json_response(200, render.collection([render.render_reseller(r) for r in resellers]))

    def api_qualifications(self, request: Request, caller: Caller, body: Any, *, cid: str, **_: Any) -> Response:
        customer = self.backend.customers.get(caller, cid)
        if customer.qualification == "None":
            return json_response(200, [])
        return json_response(200, [{"qualification": customer.qualification, "vettingStatus": "Approved"}])

    def api_qualification(self, request: Request, caller: Caller, body: Any, *, cid: str, **_: Any) -> Response:
        return json_response(200, self.backend.customers.get(caller, cid).qualification.lower())

    def api_customer_agreements(self, request: Request, caller: Caller, body: CIDict | None, *, cid: str,
                                **_: Any) -> Response:
        if request.method == "POST":
            assert body is not None
            agreement = self.backend.agreements.create(caller, cid, body)
            return json_response(201, render.render_agreement(agreement))
        agreements = self.backend.agreements.of_customer(caller, cid, request.args.get("agreementType"))
        return json_response(200, render.collection([render.render_agreement(a) for a in agreements]))

    def api_direct_sign(self, request: Request, caller: Caller, body: Any, *, cid: str, **_: Any) -> Response:
        customer = self.backend.customers.get(caller, cid)
        return json_response(200, {"isSigned": customer.mca_direct_signed})

    # catalog
    def api_products(self, request: Request, caller: Caller, body: Any, *, cid: str | None = None,
                     **_: Any) -> Response:
        target_view, segment = request.args.get("targetView"), request.args.get("targetSegment")
        check_catalog_query(target_view, segment)
        if not target_view:
            raise PCError(400, 800002, description="Invalid request input: the targetView parameter is required")
        country = self._country(request, caller, cid)
        items = self.catalog.products_json(country, target_view=target_view, segment=segment)
        return json_response(200, render.collection(items, f"/products?country={country}&targetView={target_view}"))

    def _product_country(self, request: Request, caller: Caller, cid: str | None, pid: str) -> str:
        country = self._country(request, caller, cid)
        check_catalog_query(None, request.args.get("targetSegment"))
        if self.catalog.product_json(country, pid) is None:
            raise PCError(404, 400013)
        return country

    def api_product(self, request: Request, caller: Caller, body: Any, *, pid: str, cid: str | None = None,
                    **_: Any) -> Response:
        country = self._product_country(request, caller, cid, pid)
        return json_response(200, self.catalog.product_json(country, pid))

    def api_skus(self, request: Request, caller: Caller, body: Any, *, pid: str, cid: str | None = None,
                 **_: Any) -> Response:
        country = self._product_country(request, caller, cid, pid)
        items = self.catalog.skus_json(country, pid, segment=request.args.get("targetSegment"))
        return json_response(200, render.collection(items, f"/products/{pid.upper()}/skus?country={country}"))

    def api_sku(self, request: Request, caller: Caller, body: Any, *, pid: str, sku: str, cid: str | None = None,
                **_: Any) -> Response:
        country = self._product_country(request, caller, cid, pid)
        items = self.catalog.skus_json(country, pid, sku)
        if not items:
            raise PCError(404, 400018)
        return json_response(200, items[0])

    def api_availabilities(self, request: Request, caller: Caller, body: Any, *, pid: str, sku: str,
                           cid: str | None = None, **_: Any) -> Response:
        country = self._product_country(request, caller, cid, pid)
        if not self.catalog.skus_json(country, pid, sku):
            raise PCError(404, 400018)
        items = self.catalog.availabilities_json(country, pid, sku, request.args.get("targetSegment"))
        return json_response(200, render.collection(items))

    def api_availability(self, request: Request, caller: Caller, body: Any, *, pid: str, sku: str, aid: str,
                         cid: str | None = None, **_: Any) -> Response:
        country = self._product_country(request, caller, cid, pid)
        found = [a for a in self.catalog.availabilities_json(country, pid, sku) if a["id"].lower() == aid.lower()]
        if not found:
            raise PCError(404, 400019)
        return json_response(200, found[0])

    def api_offer(self, request: Request, caller: Caller, body: Any, *, offer_id: str, **_: Any) -> Response:
        country = (request.args.get("country") or "US").upper()
        if self.catalog.product_json(country, offer_id.split(":")[0]) is not None:
            raise PCError(400, 2100, offer_id.upper())
        raise PCError(400, 800004, description=f"Invalid offer ID {offer_id}")

    # carts
    def api_carts(self, request: Request, caller: Caller, body: CIDict | None, *, cid: str, **_: Any) -> Response:
        assert body is not None
        self._require_user_for_participants(caller, body)
        cart = self.backend.carts.create(caller, cid, body, request.headers.get("MS-RequestId") or None)
        return json_response(201, render.render_cart(cart))

    def api_cart(self, request: Request, caller: Caller, body: CIDict | None, *, cid: str, cart_id: str,
                 **_: Any) -> Response:
        if request.method == "PUT":
            assert body is not None
            self._require_user_for_participants(caller, body)
            return json_response(201, render.render_cart(self.backend.carts.update(caller, cid, cart_id, body)))
        return json_response(200, render.render_cart(self.backend.carts.get(caller, cid, cart_id)))

    @staticmethod
    def _require_user_for_participants(caller: Caller, body: CIDict) -> None:
        lines = body.get("lineItems") or []
        if any(isinstance(line, CIDict) and line.get("participants") for line in lines):
            caller.require_user()

    def api_checkout(self, request: Request, caller: Caller, body: Any, *, cid: str, cart_id: str,
                     **_: Any) -> Response:
        with self.state.lock:
            cart, first = self.backend.carts.checkout_begin(caller, cid, cart_id)
            if first is not None:
                return json_response(201, first)
        hold = self.state.config.checkout_processing_seconds
        if hold:
            time.sleep(hold)
        with self.state.lock:
            try:
                orders = self.backend.carts.checkout_commit(caller, cart)
                result = render.render_checkout_result(orders, caller.partner)
                cart.checkout_result = result  # a repeated checkout of this cart answers with this first result
            except Exception:
                self.backend.carts.checkout_abort(cart)
                raise
        return json_response(201, result)

    # orders
    def api_orders(self, request: Request, caller: Caller, body: Any, *, cid: str, **_: Any) -> Response:
        include_price = (request.args.get("include_price") or "false").lower() == "true"
        orders = self.backend.orders.of_customer(caller, cid, request.args.get("billingType"))
        items = [render.render_order(o, caller.partner, include_price=include_price) for o in orders]
        return json_response(200, render.collection(items, f"/customers/{cid}/orders"))

    def api_order(self, request: Request, caller: Caller, body: Any, *, cid: str, oid: str, **_: Any) -> Response:
        include_price = (request.args.get("include_price") or "false").lower() == "true"
        order = self.backend.orders.get(caller, cid, oid)
        return json_response(200, render.render_order(order, caller.partner, include_price=include_price))

    def api_order_provisioning(self, request: Request, caller: Caller, body: Any, *, cid: str, oid: str,
                               **_: Any) -> Response:
        order = self.backend.orders.provisioning_status(caller, cid, oid)
        return json_response(200, render.render_order_provisioning(order))

    # subscriptions
    def api_subscriptions(self, request: Request, caller: Caller, body: Any, *, cid: str, **_: Any) -> Response:
        subs = self.backend.subscriptions.of_customer(caller, cid, order_id=request.args.get("order_id"),
                                              mpn_id=request.args.get("mpn_id"))
        items = [self._subscription_json(s) for s in subs]
        return json_response(200, render.collection(items, f"/customers/{cid}/subscriptions"))

    def _subscription_json(self, sub: Any) -> dict[str, Any]:
        return render.render_subscription(sub, self.backend.now, has_addons=self.backend.lifecycle.has_addons(sub))

    def api_subscription(self, request: Request, caller: Caller, body: CIDict | None, *, cid: str, sid: str,
                         **_: Any) -> Response:
        if request.method == "PATCH":
            assert body is not None
            sub = self.backend.subscriptions.patch(caller, cid, sid, body, request.headers.get("If-Match"))
            if self.state.ids.chance(float(self.state.config.subscription_patch_accepted_rate or 0)):
                # Microsoft may answer 202 Accepted + Location when a change takes long; the caller polls it.
                response = Response(b"", status=202)
                response.headers["Location"] = f"/v1/customers/{sub.customer_id}/subscriptions/{sub.id}"
                return response
        else:
            sub = self.backend.subscriptions.get(caller, cid, sid)
        return json_response(200, self._subscription_json(sub))

    # transitions, add-ons, promotions
    def api_transition_eligibilities(self, request: Request, caller: Caller, body: Any, *, cid: str, sid: str,
                                     **_: Any) -> Response:
        items = self.backend.lifecycle.transition_eligibilities(caller, cid, sid, request.args.get("eligibilityType"))
        return json_response(200, render.collection(items))

    def api_transitions(self, request: Request, caller: Caller, body: CIDict | None, *, cid: str, sid: str,
                        **_: Any) -> Response:
        if request.method == "POST":
            assert body is not None
            return json_response(200, self.backend.lifecycle.create_transition(caller, cid, sid, body).render())
        transitions = self.backend.lifecycle.list_transitions(caller, cid, sid)
        return json_response(200, render.collection([t.render() for t in transitions]))

    def api_addons(self, request: Request, caller: Caller, body: Any, *, cid: str, sid: str, **_: Any) -> Response:
        subs = self.backend.lifecycle.addon_subscriptions(caller, cid, sid)
        return json_response(200, render.collection([self._subscription_json(s) for s in subs]))

    def api_promotions(self, request: Request, caller: Caller, body: Any, **_: Any) -> Response:
        country = (request.args.get("country") or "").upper()
        if not country:
            raise PCError(400, 800002, description="Invalid request input: the country parameter is required")
        return json_response(200, render.collection(self.backend.lifecycle.promotions(
            country, request.args.get("segment"))))

    def api_promotion(self, request: Request, caller: Caller, body: Any, *, promotion_id: str,
                      **_: Any) -> Response:
        country = (request.args.get("country") or "US").upper()
        return json_response(200, self.backend.lifecycle.promotion(promotion_id, country))

    def api_promotion_eligibilities(self, request: Request, caller: Caller, body: CIDict | None, *, cid: str,
                                    **_: Any) -> Response:
        assert body is not None
        items = self.backend.lifecycle.promotion_eligibilities(caller, cid, body)
        return json_response(200, render.collection(items))

    def api_subscription_provisioning(self, request: Request, caller: Caller, body: Any, *, cid: str, sid: str,
                                      **_: Any) -> Response:
        sub = self.backend.subscriptions.provisioning_status(caller, cid, sid)
        order = caller.partner.orders.get(sub.order_id)
        return json_response(200, render.render_subscription_provisioning(sub, order))

    def api_entitlements(self, request: Request, caller: Caller, body: Any, *, cid: str, sid: str,
                         **_: Any) -> Response:
        sub = self.backend.subscriptions.get(caller, cid, sid)
        ents = self.backend.subscriptions.azure_entitlements(caller, cid, sid)
        return json_response(200, render.collection([render.render_entitlement(e, sub) for e in ents]))

    def api_entitlement(self, request: Request, caller: Caller, body: Any, *, cid: str, sid: str, eid: str,
                        **_: Any) -> Response:
        sub = self.backend.subscriptions.get(caller, cid, sid)
        for ent in self.backend.subscriptions.azure_entitlements(caller, cid, sid):
            if ent.id == eid:
                return json_response(200, render.render_entitlement(ent, sub))
        raise PCError(404, 1000, description=f"Azure entitlement {eid} not found")

    # price sheet (stands in for api.partner.microsoft.com)
    def _pricesheet(self, request: Request, caller: Caller, market: str, view: str) -> Response:
        if caller.app_only:
            return pc_error_response(PCError(400, 900329, description="App-only authentication is not supported "
                                             "for price sheets; use App+User (Admin agent or Sales agent)."))
        if view != "updatedlicensebased":
            return pc_error_response(PCError(400, 800002, description=f"Price sheet view '{view}' is not "
                                             "supported by the simulator"))
        now = self.state.clock.now()
        timeline = (request.args.get("timeline") or "current").lower()
        at = now
        if timeline == "future":
            upcoming = self.catalog.has_future_prices(market, now)
            if upcoming is None:
                return pc_error_response(PCError(404, 1000, description="No future price sheet is available"))
            at = upcoming
        elif timeline == "history":
            month = request.args.get("month") or ""
            if not re.fullmatch(r"\d{6}", month):
                return pc_error_response(PCError(400, 800002, description="month=YYYYMM is required with "
                                                 "timeline=history"))
            at = dt.datetime(int(month[:4]), int(month[4:]), 1, tzinfo=dt.UTC)
        elif timeline != "current":
            return pc_error_response(PCError(400, 800002, description=f"Unknown timeline '{timeline}'"))
        rows = request.args.get("rows")  # simulator extension: pad the sheet to exactly N rows (benchmarks)
        with self.state.lock:
            chunks = self.catalog.pricesheet_chunks(market, at=at, rows=int(rows) if rows and rows.isdigit() else None)
        if chunks is None:
            return pc_error_response(PCError(400, 800002, description=f"Market {market} is not supported"))
        filename = f"pricesheet_{market}_{view}_{at:%Y%m}.csv"
        if "deflate" in (request.headers.get("Accept-Encoding") or "").lower():
            # Documented: Accept-Encoding: deflate returns a zipped CSV (a zip archive, not a content coding).
            chunks = iter_zipped(chunks, filename)
            filename = filename[:-4] + ".zip"
        response = Response(chunks, status=200, content_type="application/octet-stream", direct_passthrough=True)
        response.headers["Content-Disposition"] = f"attachment; filename={filename}"
        response.headers["Request-ID"] = str(uuid.uuid4())
        return response
