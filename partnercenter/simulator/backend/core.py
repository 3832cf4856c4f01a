"""The shared core of the simulator's rules: the calling partner, simulated time, the audit log, seek paging
and the lookups every resource needs (a customer of the caller, a customer's subscriptions).

Everything here is independent of HTTP; the resource modules beside it build on it. Callers hold ``state.lock``.
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..body import CIDict
from ..catalog import Catalog
from ..errors import PCError
from ..state import Customer, PartnerAccount, RefundBatch, SimState, Subscription

MAX_PAGE = 500
SANDBOX_CUSTOMERS, SANDBOX_SUBSCRIPTIONS, SANDBOX_SEATS = 75, 5, 25
TERM_MONTHS = {"P1M": 1, "P1Y": 12, "P3Y": 36}


@dataclass(frozen=True)
class Caller:
    partner: PartnerAccount
    app_only: bool
    user_id: str | None = None

    def require_user(self) -> None:
        if self.app_only:
            raise PCError(403, 900329)


@dataclass
class Page:
    items: list[Any]
    continuation: str | None
    size: int


# -- values ----------------------------------------------------------------------------------------------
def iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_seconds(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_end(start: dt.date, duration: str | None) -> dt.date | None:
    months = TERM_MONTHS.get((duration or "").upper())
    if months is None:
        return None
    return add_months(start, months) - dt.timedelta(days=1)


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=dt.UTC)


def cycle(value: Any) -> str:
    """A billing cycle or participant key as Partner Center compares it (``One Time`` -> ``one_time``)."""
    return str(value or "").strip().lower().replace(" ", "_")


def to_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise PCError(400, 800002, description=f"Invalid request input: {name} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise PCError(400, 800002, description=f"Invalid request input: {name} must be an integer") from None


def address(body: CIDict, country: str) -> dict[str, str]:
    fields = ("firstName", "lastName", "addressLine1", "addressLine2", "city", "state", "postalCode",
              "phoneNumber", "region")
    result = {"country": country}
    for name in fields:
        value = body.text(name)
        if value:
            result[name] = value
    return result


def looks_like_guid(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", value))


def etag(object_id: str, version: int) -> str:
    """The opaque ``attributes.etag`` of a versioned resource (orders, subscriptions)."""
    raw = json.dumps({"id": object_id, "version": version}, separators=(",", ":")).encode()
    return base64.b64encode(raw).decode()


def subscription_etag(sub: Subscription) -> str:
    return etag(sub.id, sub.version)


def refundable(sub: Subscription, now: dt.datetime) -> list[RefundBatch]:
    """The seat batches that can still be returned for a refund at ``now``."""
    return [b for b in sub.refund_batches if b.allowed_until > now and b.quantity > 0]


def has_mca(customer: Customer) -> bool:
    """Whether the customer accepted the Microsoft Customer Agreement (directly or through the partner)."""
    return customer.mca_direct_signed or any(a.type == "MicrosoftCustomerAgreement" for a in customer.agreements)


class BackendCore:
    """State, catalog and clock shared by the resource services, with the lookups and records they all use."""

    def __init__(self, state: SimState, catalog: Catalog | None = None) -> None:
        self.state = state
        self.catalog = catalog or Catalog(state.clock.now, seed=state.seed)
        self._page_secret = hashlib.sha256(f"seek:{state.seed}".encode()).digest()

    @property
    def now(self) -> dt.datetime:
        return self.state.clock.now()

    # -- audit ---------------------------------------------------------------------------------------------
    def audit(self, caller: Caller, operation: str, resource_type: str, customer: Customer | None,
              new_value: dict[str, Any], data: dict[str, Any]) -> None:
        partner = caller.partner
        partner.audit.append({
            "partnerId": partner.tenant_id,
            "customerId": customer.id if customer else None,
            "customerName": customer.company_name if customer else None,
            "userPrincipalName": partner.user_upn if not caller.app_only else None,
            "applicationId": "Partner Center Simulator",
            "resourceType": resource_type,
            "resourceNewValue": json.dumps(new_value, default=str),
            "operationType": operation,
            "operationDate": iso(self.now),
            "operationStatus": "succeeded",
            "customizedData": [{"key": k, "value": None if v is None else str(v)} for k, v in data.items()],
            "attributes": {"objectType": "AuditRecord"},
        })

    # -- seek paging ---------------------------------------------------------------------------------------
    def make_token(self, partner: PartnerAccount, kind: str, offset: int, extra: dict[str, Any]) -> str:
        payload = json.dumps({"p": partner.tenant_id, "k": kind, "o": offset, "x": extra},
                             separators=(",", ":")).encode()
        sig = hmac.new(self._page_secret, payload, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(payload + b"." + sig).decode()

    def read_token(self, partner: PartnerAccount, kind: str, token: str) -> tuple[int, dict[str, Any]]:
        invalid = PCError(400, 800002, description="Invalid request input: the continuation token is not valid")
        try:
            raw = base64.urlsafe_b64decode(token.encode())
            payload, sig = raw[:-13], raw[-12:]
            if raw[-13:-12] != b"." or not hmac.compare_digest(
                sig, hmac.new(self._page_secret, payload, hashlib.sha256).digest()[:12]
            ):
                raise invalid
            data = json.loads(payload)
        except (ValueError, json.JSONDecodeError):
            raise invalid from None
        if data.get("p") != partner.tenant_id or data.get("k") != kind:
            raise invalid
        return int(data["o"]), dict(data.get("x") or {})

    # -- lookups -------------------------------------------------------------------------------------------
    def customer(self, caller: Caller, customer_id: str) -> Customer:
        customer = caller.partner.customers.get(customer_id.lower())
        if customer is None:
            if looks_like_guid(customer_id):
                raise PCError(403, 20002, caller.partner.tenant_id, customer_id)
            raise PCError(404, 1000, description=f"Customer {customer_id} not found")
        return customer

    def domain_exists(self, domain: str) -> bool:
        return self.state.domain_taken(domain)

    def attach_customer(self, partner: PartnerAccount, customer: Customer) -> None:
        partner.customers[customer.id] = customer
        partner.customer_order.append(customer.id)
        partner.customer_orders.setdefault(customer.id, [])
        partner.customer_subscriptions.setdefault(customer.id, [])

    @staticmethod
    def subs_of(partner: PartnerAccount, customer_id: str) -> list[Subscription]:
        return [partner.subscriptions[s] for s in partner.customer_subscriptions.get(customer_id, [])
                if s in partner.subscriptions]

    def refundable(self, sub: Subscription) -> list[RefundBatch]:
        return refundable(sub, self.now)


Matcher = Callable[[Customer], bool]
