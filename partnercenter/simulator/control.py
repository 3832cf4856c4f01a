"""The control API under ``/_sim/`` (no authentication; documented in COVERAGE.md)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import json
import re
import time
from decimal import Decimal
from typing import Any

from werkzeug.wrappers import Request, Response

from . import auth, bulk, gdap, recon_render, render
from .backend import Caller, iso
from .body import CIDict, wrap
from .errors import PCError
from .instance import Simulator
from .ledger import LedgerRow
from .seed import DIRECT_TENANT, PartnerSeed, make_partner
from .state import PC_AUDIENCE, AzureEntitlement, IndirectReseller, PartnerAccount, SimState

_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")


def snake(name: str) -> str:
    return _SNAKE.sub("_", name).lower()


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body, default=str), status=status, content_type="application/json")


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ControlAPI:
    """Test and demo controls of one simulator instance: reset and seed, clock, config, catalog, partners and
    tenants, faults, rate limits, the request log and tokens."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    @property
    def state(self) -> SimState:
        return self.sim.state

    def dispatch(self, request: Request, lower: str) -> Response:
        parts = [p for p in lower.split("/") if p][1:]
        method = request.method
        try:
            body = self._body(request)
            route = "/".join(parts)
            handler, args = self._route(method, route, parts)
            return _json(200, handler(body, request, *args))
        except ControlError as error:
            return _json(error.status, {"error": error.message})
        except PCError as error:
            return _json(error.status, error.body())
        except (KeyError, ValueError, TypeError) as error:
            return _json(400, {"error": f"{type(error).__name__}: {error}"})

    @staticmethod
    def _body(request: Request) -> CIDict:
        raw = request.get_data(cache=True)
        if not raw.strip():
            return CIDict()
        data = wrap(json.loads(raw))
        if not isinstance(data, CIDict):
            raise ControlError(400, "body must be a JSON object")
        return data

    def _route(self, method: str, route: str, parts: list[str]) -> tuple[Any, list[str]]:
        table: dict[tuple[str, str], Any] = {
            ("POST", "reset"): self.reset,
            ("POST", "seed"): self.seed,
            ("POST", "bulk-seed"): self.bulk_seed,
            ("GET", "state"): self.summary,
            ("GET", "clock"): self.clock,
            ("POST", "clock"): self.clock_change,
            ("GET", "config"): self.config,
            ("POST", "config"): self.config_change,
            ("POST", "catalog/monthly-update"): self.catalog_update,
            ("POST", "catalog/rotate-availability"): self.catalog_rotate,
            ("GET", "partners"): self.partners,
            ("POST", "partners"): self.partner_add,
            ("POST", "tenants"): self.tenant_add,
            ("POST", "relationships/accept"): self.relationship_accept,
            ("POST", "orders/complete"): self.orders_complete,
            ("GET", "faults"): self.faults,
            ("POST", "faults"): self.fault_add,
            ("DELETE", "faults"): self.faults_clear,
            ("GET", "rate-limits"): self.rate_limits,
            ("POST", "rate-limits"): self.rate_limit_set,
            ("DELETE", "rate-limits"): self.rate_limits_clear,
            ("GET", "requests"): self.requests,
            ("DELETE", "requests"): self.requests_clear,
            ("POST", "tokens"): self.token,
            ("POST", "billing/close"): self.billing_close,
            ("GET", "billing/lines"): self.billing_lines,
            ("POST", "billing/drift"): self.billing_drift,
            ("POST", "billing/faults"): self.billing_fault,
            ("POST", "billing/usage-spike"): self.billing_usage_spike,
            ("POST", "gdap/approve"): lambda body, request: gdap.control(self.state, body, "approve"),
            ("POST", "gdap/reject"): lambda body, request: gdap.control(self.state, body, "reject"),
            ("POST", "gdap/settings"): lambda body, request: gdap.control(self.state, body, "settings"),
            ("GET", "gdap/relationships"): lambda body, request: gdap.control(self.state, body, "relationships"),
        }
        if (method, route) in table:
            return table[(method, route)], []
        if method == "POST" and len(parts) == 3 and parts[0] == "partners" and parts[2] == "resellers":
            return self.reseller_add, [parts[1]]
        if method == "POST" and len(parts) == 5 and parts[0] == "partners" and parts[2] == "customers" \
                and parts[4] == "direct-sign-mca":
            return self.direct_sign, [parts[1], parts[3]]
        if method == "POST" and len(parts) == 7 and parts[0] == "partners" and parts[4] == "subscriptions" \
                and parts[6] == "entitlements":
            return self.entitlement_add, [parts[1], parts[3], parts[5]]
        if method == "GET" and len(parts) == 2 and parts[0] == "partners":
            return self.partner_detail, [parts[1]]
        raise ControlError(404, f"no control endpoint {method} /_sim/{route}")

    # -- state --------------------------------------------------------------------------------------------
    def reset(self, body: CIDict, request: Request) -> dict[str, Any]:
        data = (body.text("data") or "default").lower()
        seed = body.get("seed")
        frozen = body.get("frozenClock")
        self.sim.reset(seed=seed, seed_data=data != "empty", frozen_clock=frozen)
        return self.summary(body, request)

    def seed(self, body: CIDict, request: Request) -> dict[str, Any]:
        return {"seeded": self.sim.seed()}

    def bulk_seed(self, body: CIDict, request: Request) -> dict[str, Any]:
        """N customers x K subscriptions of one partner at once (``bulk.bulk_seed``)."""
        partner = self.state.partner(body.text("partnerTenantId") or DIRECT_TENANT)
        if partner is None:
            raise ControlError(404, "partnerTenantId is unknown")
        return bulk.bulk_seed(self.sim.backend, partner, body)

    def summary(self, body: CIDict, request: Request) -> dict[str, Any]:
        with self.state.lock:
            return {
                "now": iso(self.state.clock.now()),
                "frozenClock": self.state.clock.frozen,
                "seed": self.state.seed,
                "catalogMonth": self.sim.catalog.month,
                "seeded": self.sim.seeded,
                "partners": [self._partner_json(p) for p in self.state.partners.values()],
            }

    def _partner_json(self, partner: PartnerAccount, *, detail: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "tenantId": partner.tenant_id, "name": partner.name, "mpnId": partner.mpn_id,
            "domain": partner.domain, "cloud": partner.cloud, "kind": partner.kind, "sandbox": partner.sandbox,
            "audience": partner.audience, "userId": partner.user_id, "userPrincipalName": partner.user_upn,
            "resellers": [{"tenantId": r.tenant_id, "name": r.name, "mpnId": r.mpn_id,
                           "mpaAccepted": r.mpa_accepted} for r in partner.resellers.values()],
            "counts": {"customers": len(partner.customers), "orders": len(partner.orders),
                       "subscriptions": len(partner.subscriptions), "carts": len(partner.carts)},
        }
        if detail:
            data["customers"] = [{"id": c.id, "companyName": c.company_name, "domain": c.domain}
                                 for c in partner.customers.values()]
        return data

    # -- clock and config ---------------------------------------------------------------------------------
    def clock(self, body: CIDict, request: Request) -> dict[str, Any]:
        return {"now": iso(self.state.clock.now()), "frozen": self.state.clock.frozen}

    def clock_change(self, body: CIDict, request: Request) -> dict[str, Any]:
        clock = self.state.clock
        with self.state.lock:
            if body.get("frozen") is not None:
                clock.freeze(bool(body.get("frozen")))
            if body.text("set"):
                clock.set(dt.datetime.fromisoformat((body.text("set") or "").replace("Z", "+00:00")))
            seconds = float(body.get("advanceSeconds") or 0) + float(body.get("advanceMinutes") or 0) * 60 \
                + float(body.get("advanceHours") or 0) * 3600 + float(body.get("advanceDays") or 0) * 86400
            if seconds:
                self._advance_through_periods(seconds)
            for partner in self.state.partners.values():
                self.sim.backend.orders.settle(partner)
            self.sim.backend.billing.close()
        return self.clock(body, request)

    def _advance_through_periods(self, seconds: float) -> None:
        """Advance the clock, stopping at each billing-period end on the way so every period is invoiced
        with the renewals and charge cycles of its own month."""
        clock = self.state.clock
        target = clock.now() + dt.timedelta(seconds=seconds)
        delay = dt.timedelta(days=self.state.config.billing_invoice_delay_days)
        while True:
            now = clock.now()
            first = now.date().replace(day=1)
            following = (first + dt.timedelta(days=32)).replace(day=1)
            # The previous month closes on this month's first (+ delay), or the current one on the next first.
            boundary = dt.datetime(first.year, first.month, 1, tzinfo=dt.UTC) + delay
            if boundary <= now:
                boundary = dt.datetime(following.year, following.month, 1, tzinfo=dt.UTC) + delay
            if boundary >= target:
                break
            clock.set(boundary)
            self.sim.backend.billing.close()
        clock.set(target)

    def config(self, body: CIDict, request: Request) -> dict[str, Any]:
        return dataclasses.asdict(self.state.config)

    def config_change(self, body: CIDict, request: Request) -> dict[str, Any]:
        with self.state.lock:
            self.state.config.update({snake(k): v for k, v in body.items()})
        return self.config(body, request)

    # -- catalog ------------------------------------------------------------------------------------------
    def catalog_update(self, body: CIDict, request: Request) -> dict[str, Any]:
        day = body.text("effectiveDate")
        with self.state.lock:
            return self.sim.catalog.monthly_update(dt.date.fromisoformat(day) if day else None)

    def catalog_rotate(self, body: CIDict, request: Request) -> dict[str, Any]:
        item = body.text("catalogItemId")
        if not item:
            raise ControlError(400, "catalogItemId is required")
        with self.state.lock:
            new_availability = body.text("availabilityId") or f"SIM{self.state.ids.hex12().upper()[:9]}"
            new_id = self.sim.catalog.rotate_availability(item, new_availability)
        return {"old": item.upper(), "new": new_id}

    # -- partners, tenants, relationships -----------------------------------------------------------------
    def partners(self, body: CIDict, request: Request) -> list[dict[str, Any]]:
        with self.state.lock:
            return [self._partner_json(p) for p in self.state.partners.values()]

    def partner_detail(self, body: CIDict, request: Request, tenant: str) -> dict[str, Any]:
        partner = self.state.partner(tenant)
        if partner is None:
            raise ControlError(404, f"unknown partner {tenant}")
        with self.state.lock:
            return self._partner_json(partner, detail=True)

    def partner_add(self, body: CIDict, request: Request) -> dict[str, Any]:
        with self.state.lock:
            tenant_id = (body.text("tenantId") or self.state.ids.guid()).lower()
            if tenant_id in self.state.partners:
                raise ControlError(409, f"partner {tenant_id} exists")
            name = body.text("name") or "Simulated Partner"
            prefix = re.sub(r"[^a-z0-9]", "", name.lower())[:20] or "partner"
            seed = PartnerSeed(
                tenant_id=tenant_id, name=name, mpn_id=body.text("mpnId") or self.state.ids.digits(7),
                domain=(body.text("domain") or f"{prefix}{tenant_id[:4]}.onmicrosoft.com").lower(),
                cloud=(body.text("cloud") or "global").lower(), kind=body.text("kind") or "direct",
                sandbox=bool(body.get("sandbox", False)),
            )
            partner = self.state.add_partner(make_partner(seed))
            for raw in body.get("resellers") or []:
                self._add_reseller(partner, raw)
            return self._partner_json(partner)

    def _add_reseller(self, partner: PartnerAccount, raw: CIDict) -> IndirectReseller:
        reseller = IndirectReseller(
            tenant_id=(raw.text("tenantId") or self.state.ids.guid()).lower(),
            name=raw.text("name") or "Indirect Reseller", mpn_id=raw.text("mpnId") or self.state.ids.digits(7),
            location=raw.text("location") or "US", mpa_accepted=bool(raw.get("mpaAccepted", True)),
        )
        partner.resellers[reseller.tenant_id] = reseller
        return reseller

    def reseller_add(self, body: CIDict, request: Request, tenant: str) -> dict[str, Any]:
        partner = self.state.partner(tenant)
        if partner is None:
            raise ControlError(404, f"unknown partner {tenant}")
        with self.state.lock:
            reseller = self._add_reseller(partner, body)
        return render.render_reseller(reseller)

    def tenant_add(self, body: CIDict, request: Request) -> dict[str, Any]:
        with self.state.lock:
            tenant = self.sim.backend.relationships.tenant_create(body)
        return {"tenantId": tenant.id, "domain": tenant.domain, "companyName": tenant.company_name}

    def relationship_accept(self, body: CIDict, request: Request) -> dict[str, Any]:
        partner = self.state.partner(body.text("partnerTenantId") or "")
        if partner is None:
            raise ControlError(404, "partnerTenantId is missing or unknown")
        with self.state.lock:
            ref = body.text("tenantId") or body.text("domain")
            if not ref:
                raise ControlError(400, "tenantId or domain is required")
            known = ref.lower() in self.state.tenants or ref.lower() in self.state.domains
            if not known and body.text("domain"):
                ref = self.sim.backend.relationships.tenant_create(body).id
            customer = self.sim.backend.relationships.accept(partner, ref, body.text("resellerId"))
            return render.render_customer(customer)

    def direct_sign(self, body: CIDict, request: Request, tenant: str, customer_id: str) -> dict[str, Any]:
        partner = self.state.partner(tenant)
        if partner is None or customer_id not in partner.customers:
            raise ControlError(404, "unknown partner or customer")
        with self.state.lock:
            partner.customers[customer_id].mca_direct_signed = bool(body.get("signed", True))
        return {"isSigned": partner.customers[customer_id].mca_direct_signed}

    def entitlement_add(self, body: CIDict, request: Request, tenant: str, customer_id: str,
                        subscription_id: str) -> dict[str, Any]:
        partner = self.state.partner(tenant)
        if partner is None:
            raise ControlError(404, "unknown partner")
        with self.state.lock:
            sub = self.sim.backend.subscriptions.get(Caller(partner, app_only=True), customer_id, subscription_id)
            ent = AzureEntitlement(id=self.state.ids.guid(), friendly_name=body.text("friendlyName") or "Azure",
                                   status=body.text("status") or "active")
            sub.entitlements.append(ent)
            return render.render_entitlement(ent, sub)

    def orders_complete(self, body: CIDict, request: Request) -> dict[str, Any]:
        completed = 0
        with self.state.lock:
            for partner in self.state.partners.values():
                for order_id in list(partner.pending_orders):
                    partner.orders[order_id].completes_at = self.state.clock.now()
                    completed += 1
                self.sim.backend.orders.settle(partner)
        return {"completed": completed}

    # -- faults, rate limits, request log, tokens --------------------------------------------------------
    def faults(self, body: CIDict, request: Request) -> list[dict[str, Any]]:
        return [rule.to_json() for rule in self.sim.faults.rules()]

    def fault_add(self, body: CIDict, request: Request) -> dict[str, Any]:
        rule = self.sim.faults.add(
            kind=str(body.get("kind", "")), method=body.text("method") or "*", path=body.text("path") or "*",
            count=int(body.get("count", 1)), status=_opt_int(body.get("status")), code=_opt_int(body.get("code")),
            description=body.text("description"), retry_after=int(body.get("retryAfter", 1)),
            seconds=None if body.get("seconds") is None else float(body.get("seconds")),
            partner_tenant_id=body.text("partnerTenantId"),
        )
        return rule.to_json()

    def faults_clear(self, body: CIDict, request: Request) -> dict[str, Any]:
        self.sim.faults.clear()
        self.state.release.set()
        self.state.release = type(self.state.release)()
        return {"cleared": True}

    def rate_limits(self, body: CIDict, request: Request) -> dict[str, Any]:
        return {
            "defaultPerMinute": self.state.config.rate_limit_per_minute,
            "customerPerMinute": self.state.config.customer_rate_limit_per_minute,
            "overrides": [{"tenantId": t, "family": f, "perMinute": n}
                          for (t, f), n in self.sim.throttle.limits.items()],
            "counts": [{"tenantId": t, "family": f, "served": c[0], "throttled": c[1]}
                       for (t, f), c in sorted(self.sim.throttle.counts.items())],
        }

    def rate_limit_set(self, body: CIDict, request: Request) -> dict[str, Any]:
        limit = body.get("perMinute", body.get("limit"))
        tenant = (body.text("tenantId") or "*").lower()
        family = (body.text("family") or "*").lower()
        if limit is not None:
            self.sim.throttle.limits[(tenant, family)] = int(limit)
        if body.get("customerPerMinute") is not None:
            self.state.config.customer_rate_limit_per_minute = int(body.get("customerPerMinute"))
        return self.rate_limits(body, request)

    def rate_limits_clear(self, body: CIDict, request: Request) -> dict[str, Any]:
        self.sim.throttle.reset()
        return self.rate_limits(body, request)

    def requests(self, body: CIDict, request: Request) -> list[dict[str, Any]]:
        method = (request.args.get("method") or "").upper()
        path = request.args.get("path")
        since = int(request.args.get("since") or 0)
        with self.state.lock:
            entries = list(self.state.request_log)
        result = []
        for entry in entries:
            if entry.seq <= since or (method and entry.method != method):
                continue
            if path and not fnmatch.fnmatchcase(entry.path.lower(), path.lower()):
                continue
            result.append(dataclasses.asdict(entry))
        return result

    def requests_clear(self, body: CIDict, request: Request) -> dict[str, Any]:
        with self.state.lock:
            self.state.request_log.clear()
        return {"cleared": True}

    def token(self, body: CIDict, request: Request) -> dict[str, Any]:
        partner = self.state.partner(body.text("tenantId") or "")
        if partner is None:
            raise ControlError(404, "tenantId is missing or unknown")
        lifetime = int(body.get("lifetimeSeconds", self.state.config.token_lifetime_seconds))
        token = auth.issue_access_token(
            partner, audience=body.text("audience") or partner.audience or PC_AUDIENCE,
            client_id=body.text("clientId") or "00000000-0000-0000-0000-0000000000aa",
            user=bool(body.get("user", False)), lifetime=lifetime,
        )
        return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime,
                "expires_on": int(time.time()) + lifetime}

    # -- Microsoft's bill ----------------------------------------------------------------------------------
    def _billing_partner(self, body: CIDict, request: Request) -> PartnerAccount:
        tenant = body.text("partnerTenantId") or request.args.get("partnerTenantId") or DIRECT_TENANT
        partner = self.state.partner(tenant)
        if partner is None:
            raise ControlError(404, f"no partner {tenant}")
        return partner

    def _lines(self, rows: list[LedgerRow]) -> list[dict[str, Any]]:
        mode = self.state.config.billing_rounding
        tax = Decimal(str(self.state.config.billing_tax_rate))
        return [{"period": r.period, **recon_render.line_item(r, mode=mode, tax_rate=tax)} for r in rows]

    def billing_close(self, body: CIDict, request: Request) -> dict[str, Any]:
        """Invoice every billing period that simulated time has passed."""
        with self.state.lock:
            issued = self.sim.backend.billing.close()
        return {"issued": [{"id": i.id, "period": i.period, "currency": i.currency,
                            "partnerTenantId": i.partner_tenant_id} for i in issued]}

    def billing_lines(self, body: CIDict, request: Request) -> list[dict[str, Any]]:
        """Every recon line of a partner so far (billed and unbilled), with its period."""
        with self.state.lock:
            partner = self._billing_partner(body, request)
            return self._lines(self.sim.backend.billing.rows_of(partner))

    def billing_drift(self, body: CIDict, request: Request) -> dict[str, Any]:
        """Plant a variance on Microsoft's side: ``kind`` = unknown_charge (a charge the BSS never saw; copies
        ``subscriptionId`` or a subscription of ``customerId``), price (``unitPrice`` from now on, re-rating the
        open period) or promotion (``promotionId``, ``discountPercent``)."""
        with self.state.lock:
            partner = self._billing_partner(body, request)
            price = body.get("unitPrice")
            percent = body.get("discountPercent")
            rows = self.sim.backend.billing.drift(
                partner, (body.text("kind") or "").lower(), subscription_id=body.text("subscriptionId"),
                unit_price=Decimal(str(price)) if price is not None else None, promotion_id=body.text("promotionId"),
                discount_percent=Decimal(str(percent)) if percent is not None else None,
                customer_id=body.text("customerId"), quantity=int(body.get("quantity") or 1))
            return {"lines": self._lines(rows)}

    def billing_fault(self, body: CIDict, request: Request) -> dict[str, Any]:
        """Export faults: operation_failed (next exports fail with code 5000), blob_expired (next blob GETs
        answer 403 AuthenticationFailed as an expired SAS does), slow_blob (next blobs trickle over
        ``seconds``)."""
        kind = (body.text("kind") or "").lower()
        count = int(body.get("count") or 1)
        faults = self.sim.exports.faults
        with self.state.lock:
            if kind == "operation_failed":
                faults.fail_next = count
                faults.fail_message = body.text("message") or "No data available"
            elif kind == "blob_expired":
                faults.expire_blobs = count
            elif kind == "slow_blob":
                faults.slow_blob_count = count
                faults.slow_blob_seconds = float(body.get("seconds") or 1.0)
            else:
                raise ControlError(400, "kind must be operation_failed, blob_expired or slow_blob")
        return {"kind": kind, "count": count}

    def billing_usage_spike(self, body: CIDict, request: Request) -> dict[str, Any]:
        """Multiply an Azure entitlement's usage on one day: ``entitlementId``, ``day`` (YYYY-MM-DD, default
        yesterday in simulated time), ``factor`` (default 10)."""
        entitlement = body.text("entitlementId")
        if not entitlement:
            raise ControlError(400, "entitlementId is required")
        with self.state.lock:
            text = body.text("day")
            try:
                day = dt.date.fromisoformat(text) if text else self.state.clock.now().date() - dt.timedelta(days=1)
                factor = Decimal(str(body.get("factor") or 10))
            except (ValueError, ArithmeticError) as exc:
                raise ControlError(400, f"bad day or factor: {exc}") from exc
            self.sim.usage.spike(entitlement, day, factor)
        return {"entitlementId": entitlement, "day": day.isoformat(), "factor": str(factor)}


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)
