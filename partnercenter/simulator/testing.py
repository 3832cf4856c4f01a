"""Run the simulator inside a test process and drive it.

Note for ``requests`` users: when ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` is set in the environment it
overrides ``Session.verify``; use ``session.trust_env = False`` (as ``SimulatorHandle.session`` does) or pass
``verify=sim.ca_bundle`` on every call.

    with run_simulator() as sim:
        session = requests.Session(); session.verify = sim.ca_bundle
        token = sim.control.token(sim.partners.direct.tenant_id)
        session.get(f"{sim.base_url}/v1/customers", headers={"Authorization": f"Bearer {token}"})
        sim.control.advance(hours=169)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from .app import SimulatorApp
from .seed import (
    CHINA_TENANT,
    DIRECT_TENANT,
    INDIRECT_TENANT,
    PARTNERS,
    RESELLER_TAILSPIN,
    RESELLER_WINGTIP,
    SANDBOX_TENANT,
)
from .server import RunningServer, build_app, start_server
from .state import PARTNER_API_AUDIENCE

PC_SCOPE = "https://api.partnercenter.microsoft.com/.default"
PC_USER_SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation"
PARTNER_API_USER_SCOPE = f"{PARTNER_API_AUDIENCE}/user_impersonation"


@dataclass(frozen=True)
class PartnerInfo:
    tenant_id: str
    name: str
    mpn_id: str
    domain: str
    cloud: str
    kind: str
    sandbox: bool
    client_id: str = "11111111-2222-4333-8444-555555555555"
    """Any client id/secret is accepted; these are just convenient defaults."""
    client_secret: str = "simulator-secret"
    refresh_token: str = "0.SIM.any-refresh-token-is-accepted"
    reseller_tenant_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeededPartners:
    direct: PartnerInfo
    indirect: PartnerInfo
    china: PartnerInfo
    sandbox: PartnerInfo
    reseller_tailspin: str = RESELLER_TAILSPIN
    """Indirect reseller of ``indirect`` (MPN 5123456, MPA accepted)."""
    reseller_wingtip: str = RESELLER_WINGTIP
    """Indirect reseller of ``indirect`` (MPN 5234567, MPA **not** accepted -> 900123)."""

    def all(self) -> list[PartnerInfo]:
        return [self.direct, self.indirect, self.china, self.sandbox]


def _seeded_partners() -> SeededPartners:
    infos = {
        p.tenant_id: PartnerInfo(
            tenant_id=p.tenant_id, name=p.name, mpn_id=p.mpn_id, domain=p.domain, cloud=p.cloud, kind=p.kind,
            sandbox=p.sandbox,
            reseller_tenant_ids=(RESELLER_TAILSPIN, RESELLER_WINGTIP) if p.kind == "indirect_provider" else (),
        )
        for p in PARTNERS
    }
    return SeededPartners(infos[DIRECT_TENANT], infos[INDIRECT_TENANT], infos[CHINA_TENANT], infos[SANDBOX_TENANT])


SEEDED_PARTNERS = _seeded_partners()


def _str_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise RuntimeError(f"expected a JSON object of ids, got {type(value).__name__}")
    return {str(k): str(v) for k, v in value.items()}


class Control:
    """A small wrapper over the ``/_sim`` control API."""

    def __init__(self, base_url: str, *, verify: str | bool = True, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        # trust_env=False: REQUESTS_CA_BUNDLE in the environment would otherwise override session.verify.
        self.session.trust_env = False
        self.session.verify = verify
        self.timeout = timeout

    def _object(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        data = self._call(method, path, body)
        if not isinstance(data, dict):
            raise RuntimeError(f"control {method} {path} answered {type(data).__name__}, not a JSON object")
        return data

    def _objects(self, method: str, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        data = self._call(method, path, params=params)
        if not isinstance(data, list):
            raise RuntimeError(f"control {method} {path} answered {type(data).__name__}, not a JSON array")
        return data

    def _call(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        response = self.session.request(method, f"{self.base_url}/_sim/{path}", json=body, params=params,
                                        timeout=self.timeout)
        if response.status_code >= 400:
            raise RuntimeError(f"control {method} {path} failed: {response.status_code} {response.text}")
        return response.json()

    # state
    def reset(self, *, seed: int | str | None = None, data: str = "default",
              frozen_clock: bool | None = None) -> dict[str, Any]:
        """Reset everything (partners, data, clock, config, faults, limits, log); ``data="empty"`` skips
        the demo customers."""
        body: dict[str, Any] = {"data": data}
        if seed is not None:
            body["seed"] = seed
        if frozen_clock is not None:
            body["frozenClock"] = frozen_clock
        return self._object("POST", "reset", body)

    def seed(self) -> dict[str, str]:
        return _str_map(self._object("POST", "seed", {})["seeded"])

    def state(self) -> dict[str, Any]:
        return self._object("GET", "state")

    def bulk_seed(self, customers: int, subscriptions_per_customer: int, *, partner_tenant_id: str | None = None,
                  **options: Any) -> dict[str, Any]:
        """N customers (relationship and MCA on record) x K subscriptions each, in one call. Options:
        catalogItemIds, quantity, daysAgo, country, prefix, billing, include ("subscriptions" | "ids")."""
        body: dict[str, Any] = {"customers": customers, "subscriptionsPerCustomer": subscriptions_per_customer,
                                **options}
        if partner_tenant_id:
            body["partnerTenantId"] = partner_tenant_id
        return self._object("POST", "bulk-seed", body)

    @property
    def seeded(self) -> dict[str, str]:
        """Ids of the default seed objects by name (customer_mca, customer_no_mca, sub_business_basic_new...)."""
        return _str_map(self.state()["seeded"])

    # clock and config
    def now(self) -> str:
        return str(self._object("GET", "clock")["now"])

    def advance(self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> str:
        body = {"advanceDays": days, "advanceHours": hours, "advanceMinutes": minutes, "advanceSeconds": seconds}
        return str(self._object("POST", "clock", body)["now"])

    def set_clock(self, iso_datetime: str) -> str:
        return str(self._object("POST", "clock", {"set": iso_datetime})["now"])

    def freeze_clock(self, frozen: bool = True) -> str:
        return str(self._object("POST", "clock", {"frozen": frozen})["now"])

    def configure(self, **values: Any) -> dict[str, Any]:
        """Change config keys, e.g. ``order_provisioning_seconds=0``, ``checkout_processing_seconds=0.3``."""
        return self._object("POST", "config", values)

    # catalog
    def monthly_catalog_update(self) -> dict[str, Any]:
        return self._object("POST", "catalog/monthly-update", {})

    def rotate_availability(self, catalog_item_id: str, availability_id: str | None = None) -> str:
        body = {"catalogItemId": catalog_item_id}
        if availability_id:
            body["availabilityId"] = availability_id
        return str(self._object("POST", "catalog/rotate-availability", body)["new"])

    # partners, tenants, relationships, orders
    def partners(self) -> list[dict[str, Any]]:
        return self._objects("GET", "partners")

    def add_partner(self, **fields: Any) -> dict[str, Any]:
        """Fields: tenantId, name, mpnId, domain, cloud (global|usgov|china|germany), kind (direct|
        indirect_provider), sandbox, resellers=[{tenantId, name, mpnId, mpaAccepted}]."""
        return self._object("POST", "partners", fields)

    def add_reseller(self, partner_tenant_id: str, **fields: Any) -> dict[str, Any]:
        return self._object("POST", f"partners/{partner_tenant_id}/resellers", fields)

    def create_tenant(self, *, domain: str | None = None, company_name: str | None = None,
                      **fields: Any) -> dict[str, Any]:
        """An existing Entra tenant that is nobody's customer yet."""
        body = {"domain": domain, "companyName": company_name, **fields}
        return self._object("POST", "tenants", {k: v for k, v in body.items() if v is not None})

    def accept_relationship(self, partner_tenant_id: str, *, tenant_id: str | None = None, domain: str | None = None,
                            reseller_id: str | None = None, **fields: Any) -> dict[str, Any]:
        """The tenant's global admin accepts the partner's reseller relationship link; returns the Customer."""
        body = {"partnerTenantId": partner_tenant_id, "tenantId": tenant_id, "domain": domain,
                "resellerId": reseller_id, **fields}
        return self._object("POST", "relationships/accept", {k: v for k, v in body.items() if v is not None})

    def direct_sign_mca(self, partner_tenant_id: str, customer_id: str, signed: bool = True) -> dict[str, Any]:
        return self._object("POST", f"partners/{partner_tenant_id}/customers/{customer_id}/direct-sign-mca",
                          {"signed": signed})

    def add_azure_entitlement(self, partner_tenant_id: str, customer_id: str, subscription_id: str,
                              friendly_name: str = "Azure", status: str = "active") -> dict[str, Any]:
        path = f"partners/{partner_tenant_id}/customers/{customer_id}/subscriptions/{subscription_id}/entitlements"
        return self._object("POST", path, {"friendlyName": friendly_name, "status": status})

    def complete_orders(self) -> int:
        return int(self._object("POST", "orders/complete", {})["completed"])

    # faults, throttling, log, tokens
    def inject_fault(self, kind: str, *, method: str = "*", path: str = "*", count: int = 1,
                     **options: Any) -> dict[str, Any]:
        """kind: 429 | 5xx | error | latency | timeout | drop. ``path`` is a glob (``/v1/customers/*/carts/*``)
        or a regex starting with ``^``. Options: status, code, description, retryAfter, seconds,
        partnerTenantId."""
        body = {"kind": kind, "method": method, "path": path, "count": count, **options}
        return self._object("POST", "faults", body)

    def faults(self) -> list[dict[str, Any]]:
        return self._objects("GET", "faults")

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def set_rate_limit(self, per_minute: int, *, tenant_id: str = "*", family: str = "*",
                       customer_per_minute: int | None = None) -> dict[str, Any]:
        """Families: customers, orders, subscriptions, carts, catalog, pricesheets, other (``*`` = all)."""
        body: dict[str, Any] = {"perMinute": per_minute, "tenantId": tenant_id, "family": family}
        if customer_per_minute is not None:
            body["customerPerMinute"] = customer_per_minute
        return self._object("POST", "rate-limits", body)

    def rate_limits(self) -> dict[str, Any]:
        """The default and overriding limits, and ``counts``: requests served and answered 429 per partner and
        family since the limits were last cleared."""
        return self._object("GET", "rate-limits")

    def clear_rate_limits(self) -> None:
        self._call("DELETE", "rate-limits")

    def requests(self, *, method: str | None = None, path: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        """Received API/token requests (Authorization redacted), oldest first."""
        params = {"method": method, "path": path, "since": since}
        return self._objects("GET", "requests", params={k: v for k, v in params.items() if v})

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def token(self, tenant_id: str, *, user: bool = False, audience: str | None = None,
              lifetime_seconds: int | None = None) -> str:
        """Mint an access token directly (no OAuth round trip). ``user=True`` gives an App+User token."""
        body: dict[str, Any] = {"tenantId": tenant_id, "user": user}
        if audience:
            body["audience"] = audience
        if lifetime_seconds is not None:
            body["lifetimeSeconds"] = lifetime_seconds
        return str(self._object("POST", "tokens", body)["access_token"])

    # Microsoft's bill
    def billing_close(self) -> list[dict[str, Any]]:
        """Invoice every billing period simulated time has passed; returns the issued invoices."""
        return list(self._object("POST", "billing/close", {})["issued"])

    def billing_lines(self, partner_tenant_id: str | None = None) -> list[dict[str, Any]]:
        """All recon lines of a partner so far, each with its ``period`` (YYYYMM)."""
        params = {"partnerTenantId": partner_tenant_id} if partner_tenant_id else None
        return self._objects("GET", "billing/lines", params=params)

    def plant_drift(self, kind: str, *, partner_tenant_id: str | None = None, **fields: Any) -> list[dict[str, Any]]:
        """kind: unknown_charge | price | promotion. Fields: subscriptionId, customerId, unitPrice, promotionId,
        discountPercent, quantity. Returns the lines planted or re-rated."""
        body = {"kind": kind, **fields}
        if partner_tenant_id:
            body["partnerTenantId"] = partner_tenant_id
        return list(self._object("POST", "billing/drift", body)["lines"])

    def billing_fault(self, kind: str, *, count: int = 1, **options: Any) -> dict[str, Any]:
        """kind: operation_failed | blob_expired | slow_blob (option ``seconds``)."""
        return self._object("POST", "billing/faults", {"kind": kind, "count": count, **options})

    def usage_spike(self, entitlement_id: str, *, day: str | None = None, factor: float = 10) -> dict[str, Any]:
        """Multiply an Azure entitlement's daily usage on ``day`` (YYYY-MM-DD; default yesterday)."""
        body: dict[str, Any] = {"entitlementId": entitlement_id, "factor": factor}
        if day:
            body["day"] = day
        return self._object("POST", "billing/usage-spike", body)

    # GDAP: the customer's admin at the approval link
    def gdap_answer(self, relationship_id: str, *, approve: bool = True) -> dict[str, Any]:
        return self._object("POST", "gdap/approve" if approve else "gdap/reject", {"relationshipId": relationship_id})

    def gdap_settings(self, *, transition_seconds: float) -> dict[str, Any]:
        return self._object("POST", "gdap/settings", {"transitionSeconds": transition_seconds})


@dataclass
class SimulatorHandle:
    base_url: str
    """API root, e.g. ``https://127.0.0.1:PORT`` (paths start with /v1/; price sheets with /v1.0/)."""
    login_url: str
    """Authority host root: the authority for a partner is ``f"{login_url}/{tenant_id}"``."""
    ca_bundle: str | None
    """Path to the local CA certificate (PEM) to pass as ``verify=``; None when TLS is off."""
    partners: SeededPartners
    control: Control
    server: RunningServer = field(repr=False)

    @property
    def app(self) -> SimulatorApp:
        """The in-process SimulatorApp (state inspection in tests)."""
        return self.server.app

    @property
    def verify(self) -> str | bool:
        return self.ca_bundle or True

    def authority(self, tenant_id: str) -> str:
        return f"{self.login_url}/{tenant_id}"

    def session(self, tenant_id: str | None = None, *, user: bool = False) -> requests.Session:
        """A requests session trusting the CA and, if ``tenant_id`` is given, carrying a bearer token."""
        session = requests.Session()
        session.trust_env = False  # else REQUESTS_CA_BUNDLE overrides session.verify (requests quirk)
        session.verify = self.verify
        if tenant_id:
            session.headers["Authorization"] = f"Bearer {self.control.token(tenant_id, user=user)}"
        return session

    def reset(self, **options: Any) -> dict[str, Any]:
        return self.control.reset(**options)


@contextmanager
def run_simulator(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: bool = True,
    cert_dir: str | Path | None = None,
    seed: int | str | None = 0,
    seed_data: bool = True,
    frozen_clock: bool = False,
    quiet: bool = True,
    **config: Any,
) -> Iterator[SimulatorHandle]:
    """Start the simulator on a free loopback port in a background thread.

    Extra keyword arguments set ``Config`` fields (``order_provisioning_seconds``, ``rate_limit_per_minute``,
    ``token_lifetime_seconds``, ...); they survive ``reset``.
    """
    app = build_app(seed=seed, seed_data=seed_data, frozen_clock=frozen_clock, config=config, quiet=quiet)
    running = start_server(app, host=host, port=port, tls=tls, cert_dir=cert_dir, quiet=quiet)
    ca_bundle = str(running.certs.ca) if running.certs else None
    handle = SimulatorHandle(
        base_url=running.base_url, login_url=running.base_url, ca_bundle=ca_bundle, partners=SEEDED_PARTNERS,
        control=Control(running.base_url, verify=ca_bundle or True), server=running,
    )
    try:
        yield handle
    finally:
        running.stop()
