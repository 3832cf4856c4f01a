"""In-memory state of the simulator: partner accounts and everything they own, a controllable clock,
seedable id generators, configuration and reset.

Everything here is plain data; the rules live in the ``backend`` package. One re-entrant lock guards every mutation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import string
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .ledger import Ledger

PC_AUDIENCE = "https://api.partnercenter.microsoft.com"
CHINA_AUDIENCE = "https://partner.partnercenterapi.microsoftonline.cn"
PARTNER_API_AUDIENCE = "https://api.partner.microsoft.com"
GRAPH_AUDIENCE = "https://graph.microsoft.com"
"""Microsoft Graph (global cloud only for partner billing)."""
CLOUD_AUDIENCES = {"global": PC_AUDIENCE, "usgov": PC_AUDIENCE, "germany": PC_AUDIENCE, "china": CHINA_AUDIENCE}

UTC = dt.UTC


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


class Clock:
    """Simulated time: wall-clock time shifted by an offset, optionally frozen."""

    def __init__(self, *, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._offset = dt.timedelta()
        self._frozen_at: dt.datetime | None = utcnow() if frozen else None

    def now(self) -> dt.datetime:
        with self._lock:
            base = self._frozen_at if self._frozen_at is not None else utcnow()
            return base + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def advance(self, seconds: float) -> dt.datetime:
        with self._lock:
            self._offset += dt.timedelta(seconds=seconds)
        return self.now()

    def set(self, when: dt.datetime) -> dt.datetime:
        with self._lock:
            base = self._frozen_at if self._frozen_at is not None else utcnow()
            self._offset = when - base
        return self.now()

    def freeze(self, frozen: bool) -> None:
        with self._lock:
            current = (self._frozen_at or utcnow()) + self._offset
            self._offset = dt.timedelta()
            self._frozen_at = current if frozen else None
            if not frozen:
                self._offset = current - utcnow()

    def reset(self, *, frozen: bool) -> None:
        with self._lock:
            self._offset = dt.timedelta()
            self._frozen_at = utcnow() if frozen else None


class Ids:
    """Deterministic ids for a given seed (GUIDs, 12-hex order ids, passwords, opaque strings)."""

    def __init__(self, seed: int | str | None) -> None:
        self._lock = threading.Lock()
        self.reseed(seed)

    def reseed(self, seed: int | str | None) -> None:
        with self._lock:
            self._rng = random.Random(seed)

    def guid(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def hex12(self) -> str:
        with self._lock:
            return f"{self._rng.getrandbits(48):012x}"

    def digits(self, n: int) -> str:
        with self._lock:
            return "".join(self._rng.choice(string.digits) for _ in range(n))

    def password(self) -> str:
        alphabet = string.ascii_letters + string.digits + "!@#$%^&*=;."
        with self._lock:
            return "".join(self._rng.choice(alphabet) for _ in range(12))

    def etag(self) -> str:
        with self._lock:
            return str(self._rng.randint(-(2**63), 2**63 - 1))

    def chance(self, rate: float) -> bool:
        """True with probability ``rate`` (seeded, so a run repeats)."""
        if rate <= 0:
            return False
        if rate >= 1:
            return True
        with self._lock:
            return self._rng.random() < rate


@dataclass
class Config:
    order_provisioning_seconds: float = 2.0
    """Simulated seconds an order stays ``pending`` before it is ``completed``."""
    order_provisioning_polls: int | None = None
    """If set, an order also completes after this many GETs of it (whichever comes first)."""
    order_list_lag_seconds: float = 0.0
    """Simulated seconds before a new order shows up in the order list."""
    checkout_processing_seconds: float = 0.0
    """Real seconds a checkout holds its cart "processing" (lets a test provoke 409/800064)."""
    token_lifetime_seconds: int = 3600
    rate_limit_per_minute: int = 500
    """Per partner tenant and resource family; 0 disables throttling."""
    customer_rate_limit_per_minute: int = 0
    """Optional second bucket per partner + customer; 0 disables it."""
    timeout_hold_seconds: float = 30.0
    cart_expiry_days: int = 7
    cancellation_window_hours: int = 168
    request_log_size: int = 20000
    billing_rounding: str = "documented"
    """Subtotal rounding of recon lines: ``documented`` (ROUNDDOWN(EUP x FX, 2) x qty) or ``line``
    (ROUNDDOWN(EUP x FX x qty, 2)); billing sheet §3.5."""
    billing_tax_rate: str = "0"
    """Tax rate applied per recon line (``TaxTotal``), as a decimal string."""
    billing_invoice_delay_days: int = 0
    """Days after a billing period ends before its invoice is issued (Microsoft: 6 to 8)."""
    billing_export_polls: int = 1
    """Operation GETs answered ``running`` (with ``Retry-After``) before an export succeeds."""
    billing_retry_after_seconds: int = 1
    billing_blob_items: int = 2000
    """Line items per ``part-*.json.gz`` blob."""
    billing_sas_hours: float = 12.0
    """Validity of a manifest's SAS token (simulated time)."""
    billing_link_hours: float = 0.0
    """If set, operation and manifest links answer 410 Gone this many (simulated) hours after the export was
    requested (the 2022 beta's documented behaviour; 0 = never)."""
    subscription_patch_accepted_rate: float = 0.0
    """Share (0..1) of subscription PATCHes answered 202 Accepted + ``Location`` instead of 200 (Microsoft does
    so when a change takes long); 1 = always, 0 = never."""
    billing_key_casing: str = "camel"
    """Keys of blob rows: ``camel`` (API names, ``totalForCustomer``) or ``pascal`` (file columns)."""

    def update(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            if not hasattr(self, key):
                raise KeyError(key)
            setattr(self, key, value)


@dataclass
class IndirectReseller:
    tenant_id: str
    name: str
    mpn_id: str
    location: str = "US"
    mpa_accepted: bool = True
    state: str = "Active"


@dataclass
class Agreement:
    user_id: str
    primary_contact: dict[str, Any]
    template_id: str
    date_agreed: str
    type: str


@dataclass
class Customer:
    id: str
    commerce_id: str
    domain: str
    company_name: str
    email: str
    culture: str
    language: str
    address: dict[str, str]
    billing_profile_id: str
    billing_etag: str
    created: dt.datetime
    organization_registration_number: str | None = None
    relationship: str = "reseller"
    associated_partner_id: str | None = None
    qualification: str = "None"
    mca_direct_signed: bool = False
    agreements: list[Agreement] = field(default_factory=list)
    custom_domains: list[str] = field(default_factory=list)

    @property
    def country(self) -> str:
        return self.address.get("country", "US").upper()


@dataclass
class Tenant:
    """An Entra tenant that exists but is not (yet) a customer of a given partner."""

    id: str
    domain: str
    company_name: str
    email: str
    address: dict[str, str]
    culture: str = "en-US"
    language: str = "en"


@dataclass
class CartLine:
    id: int
    catalog_item_id: str
    quantity: int
    billing_cycle: str
    term_duration: str | None
    friendly_name: str | None
    currency_code: str
    promotion_id: str | None
    provisioning_context: dict[str, Any]
    participants: list[dict[str, str]]
    custom_term_end_date: str | None
    renews_to: dict[str, Any] | None
    attestation_accepted: bool | None
    order_group: str = "0"
    error: dict[str, Any] | None = None


@dataclass
class Cart:
    id: str
    customer_id: str
    created: dt.datetime
    modified: dt.datetime
    expires: dt.datetime
    last_modified_user: str
    lines: list[CartLine]
    partner_on_record_attestation_accepted: bool | None = None
    status: str = "Active"
    processing: bool = False
    checkout_result: dict[str, Any] | None = None


@dataclass
class OrderLine:
    line_item_number: int
    offer_id: str
    product_id: str
    sku_id: str
    availability_id: str
    subscription_id: str
    term_duration: str | None
    billing_cycle: str
    friendly_name: str
    quantity: int
    country: str
    partner_id_on_record: str | None
    pricing: dict[str, float]
    promotion_id: str | None = None
    provisioning_context: dict[str, Any] = field(default_factory=dict)
    additional_partner_ids: list[str] = field(default_factory=list)


@dataclass
class Order:
    id: str
    customer_id: str
    billing_cycle: str
    currency_code: str
    currency_symbol: str
    lines: list[OrderLine]
    created: dt.datetime
    completes_at: dt.datetime
    total_price: float
    status: str = "pending"
    transaction_type: str = "UserPurchase"
    polls: int = 0
    version: int = 1


@dataclass
class RefundBatch:
    quantity: int
    allowed_until: dt.datetime


@dataclass
class AzureEntitlement:
    id: str
    friendly_name: str
    status: str = "active"


@dataclass
class Subscription:
    id: str
    customer_id: str
    offer_id: str
    product_id: str
    sku_id: str
    availability_id: str
    offer_name: str
    friendly_name: str
    product_type: str
    quantity: int
    unit_type: str
    billing_type: str
    billing_cycle: str
    term_duration: str | None
    created: dt.datetime
    effective_start: dt.datetime
    commitment_end: dt.date | None
    cancellation_allowed_until: dt.datetime | None
    order_id: str
    country: str
    min_quantity: int = 1
    max_quantity: int = 300
    status: str = "active"
    auto_renew: bool = True
    partner_id: str = ""
    promotion_id: str | None = None
    is_trial: bool = False
    publisher_name: str = "Microsoft Corporation"
    refund_batches: list[RefundBatch] = field(default_factory=list)
    scheduled_next_term_instructions: dict[str, Any] | None = None
    parent_subscription_id: str | None = None
    """An add-on's base subscription (bought co-terminous with it)."""
    suspension_reasons: list[str] = field(default_factory=list)
    entitlements: list[AzureEntitlement] = field(default_factory=list)
    status_changed: dt.datetime | None = None
    version: int = 1
    updates: int = 0


@dataclass
class PartnerAccount:
    tenant_id: str
    name: str
    mpn_id: str
    domain: str
    cloud: str = "global"
    kind: str = "direct"  # direct | indirect_provider
    sandbox: bool = False
    country: str = "US"
    user_id: str = ""
    user_upn: str = ""
    resellers: dict[str, IndirectReseller] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    customer_order: list[str] = field(default_factory=list)
    create_requests: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    cart_requests: dict[str, str] = field(default_factory=dict)
    """MS-RequestId of a cart POST -> the cart it created (a replay answers with that cart)."""
    carts: dict[str, Cart] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    customer_orders: dict[str, list[str]] = field(default_factory=dict)
    pending_orders: set[str] = field(default_factory=set)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    customer_subscriptions: dict[str, list[str]] = field(default_factory=dict)
    audit: list[dict[str, Any]] = field(default_factory=list)

    @property
    def audience(self) -> str:
        return CLOUD_AUDIENCES.get(self.cloud, PC_AUDIENCE)

    def reseller_by_mpn(self, mpn_id: str) -> IndirectReseller | None:
        for reseller in self.resellers.values():
            if reseller.mpn_id == mpn_id or reseller.tenant_id == mpn_id:
                return reseller
        return None


@dataclass
class RequestLogEntry:
    seq: int
    time: str
    method: str
    path: str
    query: str
    headers: dict[str, str]
    status: int | None = None
    partner_tenant_id: str | None = None
    fault: str | None = None
    body: str | None = None


class SimState:
    """All simulator state. ``lock`` must be held for every read-modify-write."""

    def __init__(self, *, seed: int | str | None = 0, frozen_clock: bool = False) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.clock = Clock(frozen=frozen_clock)
        self.ids = Ids(seed)
        self.base_config = Config()
        self.config = Config()
        self.partners: dict[str, PartnerAccount] = {}
        self.partner_domains: dict[str, str] = {}
        self.tenants: dict[str, Tenant] = {}
        self.domains: dict[str, str] = {}
        self.request_log: deque[RequestLogEntry] = deque(maxlen=self.config.request_log_size)
        self.request_seq = 0
        self.catalog_month = 0
        self.availability_overrides: dict[str, str] = {}
        """Rotated availability ids: old catalogItemId -> current availability id (stale ids give 400019)."""
        self.release = threading.Event()
        """Set on reset/shutdown to let held (timeout fault) connections go."""
        self.ledger = Ledger()
        """Microsoft's billing: events, recon rows, invoices."""

    def partner(self, tenant_or_domain: str) -> PartnerAccount | None:
        key = tenant_or_domain.lower()
        tenant_id = self.partner_domains.get(key, key)
        return self.partners.get(tenant_id)

    def add_partner(self, partner: PartnerAccount) -> PartnerAccount:
        with self.lock:
            self.partners[partner.tenant_id] = partner
            self.partner_domains[partner.domain.lower()] = partner.tenant_id
        return partner

    def domain_taken(self, domain: str) -> bool:
        return domain.lower() in self.domains or domain.lower() in self.partner_domains

    def clear(self, *, seed: int | str | None = None, frozen_clock: bool | None = None) -> None:
        with self.lock:
            if seed is not None:
                self.seed = seed
            self.ids.reseed(self.seed)
            self.clock.reset(frozen=self.clock.frozen if frozen_clock is None else frozen_clock)
            self.config = dataclasses.replace(self.base_config)
            self.partners.clear()
            self.partner_domains.clear()
            self.tenants.clear()
            self.domains.clear()
            self.request_log = deque(maxlen=self.config.request_log_size)
            self.request_seq = 0
            self.catalog_month = 0
            self.availability_overrides.clear()
            self.ledger.clear()
            # Wake up connections held by a timeout fault, then arm the event again.
            self.release.set()
            self.release = threading.Event()
