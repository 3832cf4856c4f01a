"""Seeded new-commerce catalog of the simulator, per market, and Microsoft's monthly catalog update.

Framework-free plain data (no Django, no import of the rest of ``partnercenter``). The ids and list prices
come from section 10 of ``docs/partner-center-api.md``; where Microsoft publishes no id (Dynamics 365, some
add-ons, education) the ids are obviously synthetic (they start with ``SIM``).

Price model (documented, community-confirmed uplift rules):

* ``erp_usd`` of a SKU is the estimated retail price in USD per user per **month** for an annual term (P1Y)
  paid annually;
* P1Y billed monthly costs ``ERP x 1.05`` per month, a monthly term (P1M) ``ERP x 1.20`` per month;
  P3Y is priced like P1Y (``ERP`` per month when paid up front, ``ERP x 1.05`` billed monthly);
* a price row holds the price **per billing period**, as the price sheet does (P1Y/Annual = 12 months:
  Business Basic ``72``; P1M/Monthly = one month: ``7.2``; P3Y/Triennial = 36 months);
* the partner ``UnitPrice`` is 80 % of the ``ERP Price``;
* other currencies use fixed conversion rates (``FX_RATES``) applied to the monthly USD ERP, rounded to cents.

``catalog_for_market`` builds a fresh, deterministic :class:`MarketCatalog`. ``monthly_update`` changes a catalog
in place the way Microsoft's monthly update does (new products, end of sale, price changes effective on a date)
and returns exactly what it changed as :class:`CatalogChanges`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

PUBLISHER = "Microsoft Corporation"

#: Start of validity of every seeded price (the catalog "as first published").
CATALOG_EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
#: Open-ended end date as the price sheet writes it (12/31/9999 11:59:59 PM).
END_OF_TIME = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)

# Lifecycle
ACTIVE = "active"
DISCONTINUED = "discontinued"

# Product types (productType.id)
ONLINE_SERVICES_NCE = "OnlineServicesNCE"
AZURE = "Azure"

# Segments
COMMERCIAL = "commercial"
EDUCATION = "education"
NONPROFIT = "nonprofit"
GOVERNMENT = "government"

# Billing cycles (lower case as in SKU ``supportedBillingCycles``; title case in terms and the price sheet).
MONTHLY = "monthly"
ANNUAL = "annual"
TRIENNIAL = "triennial"
NONE = "none"
BILLING_PLAN_LABEL = {MONTHLY: "Monthly", ANNUAL: "Annual", TRIENNIAL: "Triennial", NONE: "None"}

#: Billing cycles each term duration offers (the brief's rule; SKU/availability data is the authority).
TERM_BILLING_CYCLES: dict[str, tuple[str, ...]] = {
    "P1M": (MONTHLY,),
    "P1Y": (MONTHLY, ANNUAL),
    "P3Y": (MONTHLY, ANNUAL, TRIENNIAL),
}
_TERM_MONTHS = {"P1M": 1, "P1Y": 12, "P3Y": 36}
_CYCLE_MONTHS = {MONTHLY: 1, ANNUAL: 12, TRIENNIAL: 36}
_TERM_TEXT = {"P1M": "One-Month", "P1Y": "One-Year", "P3Y": "Three-Year"}
_CYCLE_TEXT = {MONTHLY: "monthly", ANNUAL: "yearly", TRIENNIAL: "triennial", NONE: "trial"}

#: Monthly-price multipliers over ERP per (term, billing cycle).
UPLIFT: dict[tuple[str, str], Decimal] = {
    ("P1M", MONTHLY): Decimal("1.20"),
    ("P1Y", MONTHLY): Decimal("1.05"),
    ("P1Y", ANNUAL): Decimal("1"),
    ("P3Y", MONTHLY): Decimal("1.05"),
    ("P3Y", ANNUAL): Decimal("1"),
    ("P3Y", TRIENNIAL): Decimal("1"),
}
PARTNER_DISCOUNT = Decimal("0.80")
"""Partner unit price = ERP x 0.80 (Microsoft's price sheet sample: 115.2 vs 144)."""

CENT = Decimal("0.01")

# --- markets and currencies ------------------------------------------------------------------------------

#: USD -> currency conversion used to derive local list prices (fixed, illustrative).
FX_RATES: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "EUR": Decimal("0.94"),
    "GBP": Decimal("0.82"),
    "CHF": Decimal("0.90"),
    "DKK": Decimal("7.00"),
    "NOK": Decimal("10.60"),
    "SEK": Decimal("10.50"),
    "CNY": Decimal("7.20"),
    "CAD": Decimal("1.37"),
    "AUD": Decimal("1.53"),
}
CURRENCY_SYMBOLS = {
    "USD": "$", "EUR": "€", "GBP": "£", "CHF": "CHF", "DKK": "kr", "NOK": "kr", "SEK": "kr",
    "CNY": "¥", "CAD": "$", "AUD": "$",
}

#: Currencies carried by the price sheet of a European market.
EUROPE_SHEET_CURRENCIES: tuple[str, ...] = ("EUR", "GBP", "CHF", "DKK", "NOK", "SEK")

#: The 27 EU member states (ISO 3166 alpha-2).
EU_MARKETS: tuple[str, ...] = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
)
#: European markets beyond the EU (EFTA + United Kingdom).
OTHER_EUROPE_MARKETS: tuple[str, ...] = ("GB", "CH", "NO", "IS", "LI")
EUROPE_MARKETS: tuple[str, ...] = EU_MARKETS + OTHER_EUROPE_MARKETS

_EUROPE_DEFAULT_CURRENCY = {"GB": "GBP", "CH": "CHF", "LI": "CHF", "DK": "DKK", "NO": "NOK", "SE": "SEK"}


@dataclass(frozen=True, slots=True)
class Market:
    code: str
    default_currency: str
    sheet_currencies: tuple[str, ...]
    region: str  # "americas" | "europe" | "asia" | "china"


def _build_markets() -> dict[str, Market]:
    markets: dict[str, Market] = {
        "US": Market("US", "USD", ("USD",), "americas"),
        "CA": Market("CA", "CAD", ("CAD",), "americas"),
        "AU": Market("AU", "AUD", ("AUD",), "asia"),
        "CN": Market("CN", "CNY", ("CNY",), "china"),
    }
    for code in EUROPE_MARKETS:
        markets[code] = Market(code, _EUROPE_DEFAULT_CURRENCY.get(code, "EUR"), EUROPE_SHEET_CURRENCIES, "europe")
    return markets


MARKETS: dict[str, Market] = _build_markets()


def market_info(market: str) -> Market:
    try:
        return MARKETS[market.upper()]
    except KeyError:
        raise ValueError(f"unknown market {market!r}") from None


# --- data classes ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    title: str
    description: str
    product_type: str  # productType.id: "OnlineServicesNCE" | "Azure"
    family: str  # for display: "Microsoft 365", "Office 365", "Dynamics 365", "Teams", "Azure", ...
    segment: str = COMMERCIAL
    is_addon: bool = False
    prerequisites: tuple[str, ...] = ()  # "productId:skuId" of the base offers an add-on needs
    publisher: str = PUBLISHER
    lifecycle: str = ACTIVE
    discontinued_on: dt.date | None = None
    added_on: dt.date | None = None  # set on products added by a monthly update

    @property
    def target_view(self) -> str:
        return "MicrosoftAzure" if self.product_type == AZURE else "OnlineServices"


@dataclass(frozen=True, slots=True)
class Sku:
    product_id: str
    id: str
    title: str
    description: str
    min_quantity: int = 1
    max_quantity: int = 300
    is_trial: bool = False
    segment: str = COMMERCIAL
    is_addon: bool = False
    prerequisite_skus: tuple[str, ...] = ()  # "productId:skuId"
    upgrade_targets: tuple[str, ...] = ()  # "productId:skuId"
    supported_billing_cycles: tuple[str, ...] = (MONTHLY, ANNUAL)
    purchase_prerequisites: tuple[str, ...] = ("MicrosoftCustomerAgreement",)
    provisioning_variables: tuple[str, ...] = ()
    provisioning_id: str = ""
    lifecycle: str = ACTIVE


@dataclass(frozen=True, slots=True)
class Term:
    id: str
    duration: str  # "P1M" | "P1Y" | "P3Y" ("" for the Azure plan)
    billing_cycle: str  # "monthly" | "annual" | "triennial" | "none"
    description: str
    refund_window: str = "P7D"  # cancellationPolicies[].refundOptions[].expiresAfter


@dataclass(frozen=True, slots=True)
class Availability:
    product_id: str
    sku_id: str
    id: str
    terms: tuple[Term, ...]
    segment: str = COMMERCIAL
    is_purchasable: bool = True
    is_renewable: bool = True

    @property
    def catalog_item_id(self) -> str:
        return f"{self.product_id}:{self.sku_id}:{self.id}"

    @property
    def durations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.duration for t in self.terms))

    def billing_cycles_for(self, duration: str) -> tuple[str, ...]:
        return tuple(t.billing_cycle for t in self.terms if t.duration == duration)


@dataclass(frozen=True, slots=True)
class Price:
    """One price-sheet row's worth of price: per billing period, in one currency, valid over a period."""

    product_id: str
    sku_id: str
    term_duration: str
    billing_cycle: str
    currency: str
    unit_price: Decimal  # partner cost
    erp_price: Decimal  # estimated retail price
    effective_start: dt.datetime = CATALOG_EPOCH
    effective_end: dt.datetime = END_OF_TIME
    tier_min: Decimal | None = None
    tier_max: Decimal | None = None

    @property
    def key(self) -> PriceKey:
        return (self.product_id, self.sku_id, self.term_duration, self.billing_cycle, self.currency)

    def in_effect(self, at: dt.datetime) -> bool:
        return self.effective_start <= at <= self.effective_end


PriceKey = tuple[str, str, str, str, str]
SkuKey = tuple[str, str]


@dataclass
class MarketCatalog:
    """Everything the simulator serves for one market. Mutable: ``monthly_update`` changes it in place."""

    market: str
    default_currency: str
    currencies: tuple[str, ...]  # currencies of the market's price sheet
    products: dict[str, Product] = field(default_factory=dict)
    skus: dict[SkuKey, Sku] = field(default_factory=dict)
    availabilities: dict[SkuKey, Availability] = field(default_factory=dict)
    #: usd ERP per month (P1Y paid annually) of each priced SKU: the base all local prices derive from.
    erp_usd: dict[SkuKey, Decimal] = field(default_factory=dict)
    #: price history per key, oldest first; the last entry is the newest.
    prices: dict[PriceKey, list[Price]] = field(default_factory=dict)
    updates_applied: int = 0

    # reads
    def product(self, product_id: str) -> Product:
        return self.products[product_id]

    def active_products(self) -> list[Product]:
        return [p for p in self.products.values() if p.lifecycle == ACTIVE]

    def skus_of(self, product_id: str) -> list[Sku]:
        return [s for (pid, _), s in self.skus.items() if pid == product_id]

    def availability(self, product_id: str, sku_id: str) -> Availability:
        return self.availabilities[(product_id, sku_id)]

    def availability_by_catalog_item(self, catalog_item_id: str) -> Availability | None:
        parts = catalog_item_id.split(":")
        if len(parts) != 3:
            return None
        av = self.availabilities.get((parts[0], parts[1]))
        return av if av is not None and av.id == parts[2] else None

    def prices_in_effect(self, at: dt.datetime | None = None, *, currencies: Iterable[str] | None = None,
                         product_id: str | None = None) -> Iterator[Price]:
        """Prices valid at ``at`` (default: latest of each key), in catalog order (product, SKU, term, cycle)."""
        wanted = None if currencies is None else set(currencies)
        for key, history in self.prices.items():
            if product_id is not None and key[0] != product_id:
                continue
            if wanted is not None and key[4] not in wanted:
                continue
            if at is None:
                yield history[-1]
                continue
            for price in reversed(history):
                if price.in_effect(at):
                    yield price
                    break

    def price(self, product_id: str, sku_id: str, term_duration: str, billing_cycle: str,
              currency: str | None = None, at: dt.datetime | None = None) -> Price | None:
        history = self.prices.get((product_id, sku_id, term_duration, billing_cycle,
                                   currency or self.default_currency))
        if not history:
            return None
        if at is None:
            return history[-1]
        return next((p for p in reversed(history) if p.in_effect(at)), None)

    # JSON shapes of the Partner Center API (plain dicts, camelCase as on the wire)
    def product_json(self, product_id: str) -> dict[str, Any]:
        return product_json(self.products[product_id], market=self.market)

    def sku_json(self, product_id: str, sku_id: str) -> dict[str, Any]:
        return sku_json(self.skus[(product_id, sku_id)], market=self.market)

    def availability_json(self, product_id: str, sku_id: str) -> dict[str, Any]:
        return availability_json(self.availabilities[(product_id, sku_id)], market=self.market,
                                 currency=self.default_currency)


@dataclass(frozen=True, slots=True)
class PriceChange:
    product_id: str
    sku_id: str
    term_duration: str
    billing_cycle: str
    currency: str
    old_unit_price: Decimal
    new_unit_price: Decimal
    old_erp_price: Decimal
    new_erp_price: Decimal
    effective_start: dt.datetime


@dataclass(frozen=True, slots=True)
class CatalogChanges:
    """Exactly what one ``monthly_update`` changed."""

    market: str
    effective_date: dt.date
    added_products: tuple[str, ...] = ()
    added_skus: tuple[SkuKey, ...] = ()
    discontinued_products: tuple[str, ...] = ()
    discontinued_skus: tuple[SkuKey, ...] = ()
    repriced: tuple[PriceChange, ...] = ()

    @property
    def repriced_skus(self) -> tuple[SkuKey, ...]:
        return tuple(dict.fromkeys((c.product_id, c.sku_id) for c in self.repriced))

    @property
    def repriced_products(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.product_id for c in self.repriced))

    def to_dict(self) -> dict[str, Any]:
        return {
            "market": self.market,
            "effectiveDate": self.effective_date.isoformat(),
            "addedProducts": list(self.added_products),
            "addedSkus": [f"{p}:{s}" for p, s in self.added_skus],
            "discontinuedProducts": list(self.discontinued_products),
            "discontinuedSkus": [f"{p}:{s}" for p, s in self.discontinued_skus],
            "repricedSkus": [f"{p}:{s}" for p, s in self.repriced_skus],
            "repriced": [
                {
                    "productId": c.product_id, "skuId": c.sku_id, "termDuration": c.term_duration,
                    "billingPlan": BILLING_PLAN_LABEL[c.billing_cycle], "currency": c.currency,
                    "oldUnitPrice": str(c.old_unit_price), "newUnitPrice": str(c.new_unit_price),
                    "oldErpPrice": str(c.old_erp_price), "newErpPrice": str(c.new_erp_price),
                }
                for c in self.repriced
            ],
        }


# --- seed data ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Seed:
    product_id: str
    sku_id: str
    title: str
    family: str
    erp_usd: str | None  # None: no price rows (Azure plan, trials)
    terms: tuple[str, ...] = ("P1M", "P1Y")
    cycles: dict[str, tuple[str, ...]] | None = None  # per-term override of TERM_BILLING_CYCLES
    availability_id: str | None = None  # None: synthetic
    description: str = ""
    product_title: str | None = None
    max_quantity: int = 300
    min_quantity: int = 1
    segment: str = COMMERCIAL
    is_addon: bool = False
    prerequisites: tuple[str, ...] = ()
    upgrade_targets: tuple[str, ...] = ()
    is_trial: bool = False
    product_type: str = ONLINE_SERVICES_NCE
    provisioning_id: str | None = None
    excluded_regions: tuple[str, ...] = ()


_M365_BASES = ("CFQ7TTC0LDPB:0001", "CFQ7TTC0LCHC:0002", "CFQ7TTC0LF8R:0001", "CFQ7TTC0LF8S:0001",
               "CFQ7TTC0LFLX:0001", "CFQ7TTC0LFLZ:0002")
_TEAMS_PHONE_BASES = ("CFQ7TTC0LF8S:0001", "CFQ7TTC0LFLZ:0002", "CFQ7TTC0LF8R:0001", "CFQ7TTC0LFLX:0001",
                      "CFQ7TTC0LCHC:0002", "CFQ7TTC0LDPB:0001", "CFQ7TTC0LH18:0001")
_NOT_IN_CHINA = ("china",)
_P1Y_ONLY_CYCLES: dict[str, tuple[str, ...]] = {"P1Y": (MONTHLY, ANNUAL)}

SEED: tuple[_Seed, ...] = (
    _Seed("CFQ7TTC0LH18", "0001", "Microsoft 365 Business Basic", "Microsoft 365", "6.00",
          availability_id="CFQ7TTC0K971", provisioning_id="3b555118-da6a-4418-894f-7df1e2096870",
          upgrade_targets=("CFQ7TTC0LDPB:0001", "CFQ7TTC0LF8Q:0001"),
          description="Best for businesses that need professional email, cloud file storage, and online meetings "
                      "& chat. Desktop versions of Office apps like Excel, Word, and PowerPoint not included. For "
                      "businesses with up to 300 employees."),
    _Seed("CFQ7TTC0LDPB", "0001", "Microsoft 365 Business Standard", "Microsoft 365", "12.50",
          upgrade_targets=("CFQ7TTC0LCHC:0002",),
          description="Everything in Business Basic, plus desktop versions of Office apps with premium features."),
    _Seed("CFQ7TTC0LCHC", "0002", "Microsoft 365 Business Premium", "Microsoft 365", "22.00",
          description="Everything in Business Standard, plus advanced security, access and data control, and "
                      "cyberthreat protection."),
    _Seed("CFQ7TTC0LCHC", "0003", "Microsoft 365 Business Premium Trial", "Microsoft 365", None,
          terms=("P1M",), cycles={"P1M": (NONE,)}, is_trial=True, max_quantity=25,
          description="One-month trial of Microsoft 365 Business Premium."),
    _Seed("CFQ7TTC0LH1G", "0001", "Microsoft 365 Apps for business", "Microsoft 365", "8.30",
          description="Desktop versions of Office apps with cloud file storage for up to 300 users."),
    _Seed("CFQ7TTC0LF8Q", "0001", "Office 365 E1", "Office 365", "10.00", availability_id="CFQ7TTC0K39X",
          max_quantity=10000, upgrade_targets=("CFQ7TTC0LF8R:0001",),
          description="Web and mobile Office apps, email, file storage and Teams for enterprises."),
    _Seed("CFQ7TTC0LF8R", "0001", "Office 365 E3", "Office 365", "23.00", availability_id="CFQ7TTC0KCSV",
          max_quantity=10000, upgrade_targets=("CFQ7TTC0LF8S:0001",),
          description="Desktop Office apps, email, file storage, Teams and compliance for enterprises."),
    _Seed("CFQ7TTC0LF8S", "0001", "Office 365 E5 (without Audio Conferencing)", "Office 365", "38.00",
          availability_id="CFQ7TTC0N81H", max_quantity=10000,
          description="Office 365 E3 plus advanced security, analytics and voice capabilities."),
    _Seed("CFQ7TTC0LFLX", "0001", "Microsoft 365 E3", "Microsoft 365", "36.00", availability_id="CFQ7TTC0LB30",
          max_quantity=10000, upgrade_targets=("CFQ7TTC0LFLZ:0002",),
          description="Office apps, Windows Enterprise, Intune and Entra ID P1 for enterprises."),
    _Seed("CFQ7TTC0LFLZ", "0002", "Microsoft 365 E5", "Microsoft 365", "57.00", availability_id="CFQ7TTC0K4TS",
          max_quantity=10000,
          description="Microsoft 365 E3 plus advanced security, compliance, voice and analytics."),
    _Seed("CFQ7TTC0LH16", "0001", "Exchange Online (Plan 1)", "Exchange", "4.00", max_quantity=10000,
          description="Business email with 50 GB mailbox per user."),
    _Seed("CFQ7TTC0LFLS", "0002", "Microsoft Entra ID P1", "Security & Identity", "6.00",
          availability_id="CFQ7TTC0KDLJ", max_quantity=10000,
          description="Identity and access management with conditional access."),
    _Seed("CFQ7TTC0HD33", "0003", "Visio Plan 1", "Visio", "5.00", cycles={"P1M": (MONTHLY,), "P1Y": (ANNUAL,)},
          max_quantity=10000, description="Web-based diagramming for business users."),
    _Seed("CFQ7TTC0HL8W", "0001", "Power BI Premium Per User", "Power Platform", "24.00",
          availability_id="CFQ7TTC0K59S", cycles={"P1M": (MONTHLY,), "P1Y": (MONTHLY,)}, max_quantity=10000,
          description="Power BI Pro plus premium features licensed per user."),
    _Seed("CFQ7TTC0LH0R", "0002", "Microsoft 365 Phone System - Virtual User", "Teams", "0.00",
          availability_id="CFQ7TTC0K5RQ", terms=("P1M",), max_quantity=10000,
          description="Phone System licence for resource accounts (auto attendants, call queues)."),
    _Seed("CFQ7TTC0JN4R", "0002", "Microsoft Teams Essentials", "Teams", "4.00",
          description="Meetings, chat and file sharing for small businesses.", excluded_regions=_NOT_IN_CHINA),
    _Seed("CFQ7TTC0MM8R", "0002", "Microsoft 365 Copilot", "Copilot", "30.00", terms=("P1Y",),
          cycles=_P1Y_ONLY_CYCLES, is_addon=True, prerequisites=_M365_BASES, max_quantity=10000,
          description="AI assistant in Microsoft 365 apps. Requires a qualifying Microsoft 365 or Office 365 "
                      "licence.", excluded_regions=_NOT_IN_CHINA),
    _Seed("SIM0TPHONSTD", "0001", "Microsoft Teams Phone Standard", "Teams", "10.00", is_addon=True,
          prerequisites=_TEAMS_PHONE_BASES, max_quantity=10000,
          description="Cloud phone system add-on for Teams (synthetic id).", excluded_regions=_NOT_IN_CHINA),
    _Seed("SIM0TPHONSTD", "0002", "Microsoft Teams Phone with Calling Plan", "Teams", "15.00",
          product_title="Microsoft Teams Phone Standard", is_addon=True, prerequisites=_TEAMS_PHONE_BASES,
          max_quantity=10000, description="Teams Phone with a domestic calling plan (synthetic id).",
          excluded_regions=_NOT_IN_CHINA),
    _Seed("SIM0TEAMSPRM", "0001", "Microsoft Teams Premium", "Teams", "10.00", is_addon=True,
          prerequisites=_TEAMS_PHONE_BASES, max_quantity=10000,
          description="Advanced meetings, webinars and intelligent recap (synthetic id).",
          excluded_regions=_NOT_IN_CHINA),
    _Seed("SIM0M365A3FA", "0001", "Microsoft 365 A3 for faculty", "Microsoft 365", "3.25", segment=EDUCATION,
          max_quantity=100000, description="Education licence for faculty (synthetic id).",
          excluded_regions=_NOT_IN_CHINA),
    _Seed("SIM0D365SALE", "0001", "Dynamics 365 Sales Enterprise", "Dynamics 365", "105.00",
          terms=("P1M", "P1Y", "P3Y"), max_quantity=10000,
          description="Sales force automation for enterprises (synthetic id).", excluded_regions=_NOT_IN_CHINA),
    _Seed("SIM0D365CSRV", "0001", "Dynamics 365 Customer Service Enterprise", "Dynamics 365", "105.00",
          terms=("P1M", "P1Y", "P3Y"), max_quantity=10000,
          description="Omnichannel customer service (synthetic id).", excluded_regions=_NOT_IN_CHINA),
    _Seed("SIM0D365BCES", "0001", "Dynamics 365 Business Central Essentials", "Dynamics 365", "80.00",
          terms=("P1M", "P1Y", "P3Y"), max_quantity=10000,
          description="ERP for small and medium businesses (synthetic id).", excluded_regions=_NOT_IN_CHINA),
    _Seed("SIM0D365BCES", "0002", "Dynamics 365 Business Central Team Members", "Dynamics 365", "8.00",
          product_title="Dynamics 365 Business Central Essentials", terms=("P1M", "P1Y", "P3Y"),
          max_quantity=10000, is_addon=True, prerequisites=("SIM0D365BCES:0001",),
          description="Light users of Business Central (synthetic id).", excluded_regions=_NOT_IN_CHINA),
    _Seed("SIM0D365CAPA", "0001", "Dynamics 365 Additional Production Instance", "Dynamics 365", "150.00",
          terms=("P1M", "P1Y"), max_quantity=100, is_addon=True,
          prerequisites=("SIM0D365SALE:0001", "SIM0D365CSRV:0001"),
          description="Capacity add-on: one more production environment (synthetic id).",
          excluded_regions=_NOT_IN_CHINA),
    _Seed("DZH318Z0BPS6", "0001", "Microsoft Azure plan", "Azure", None, terms=("",), cycles={"": (MONTHLY,)},
          availability_id="DZH318Z0BML6", product_type=AZURE, max_quantity=1,
          description="Microsoft Azure plan (MS-AZR-0017G)"),
)

_PRODUCT_DESCRIPTIONS = {
    "DZH318Z0BPS6": "Gain access to Azure Services.",
}

#: Products a monthly update may add (title, family, erp usd, terms, is_addon, prerequisites).
_UPCOMING: tuple[tuple[str, str, str, tuple[str, ...], bool, tuple[str, ...]], ...] = (
    ("Microsoft Defender for Business", "Security & Identity", "3.00", ("P1M", "P1Y"), False, ()),
    ("Microsoft Intune Suite", "Security & Identity", "10.00", ("P1M", "P1Y"), True, _M365_BASES),
    ("Microsoft Teams Rooms Pro", "Teams", "40.00", ("P1M", "P1Y"), False, ()),
    ("Windows 365 Business 2 vCPU, 8 GB, 128 GB", "Windows 365", "41.00", ("P1M", "P1Y"), False, ()),
    ("Planner Plan 1", "Project", "10.00", ("P1M", "P1Y"), False, ()),
    ("Project Plan 3", "Project", "30.00", ("P1M", "P1Y"), False, ()),
    ("Microsoft 365 Copilot Business", "Copilot", "21.00", ("P1Y",), True, _M365_BASES),
    ("Dynamics 365 Field Service", "Dynamics 365", "105.00", ("P1M", "P1Y", "P3Y"), False, ()),
    ("Power Apps Premium", "Power Platform", "20.00", ("P1M", "P1Y"), False, ()),
    ("Microsoft Purview Suite", "Security & Identity", "12.00", ("P1M", "P1Y"), True, _M365_BASES),
    ("Exchange Online (Plan 2)", "Exchange", "8.00", ("P1M", "P1Y"), False, ()),
    ("Microsoft Entra ID P2", "Security & Identity", "9.00", ("P1M", "P1Y"), False, ()),
    ("Dynamics 365 Finance", "Dynamics 365", "180.00", ("P1M", "P1Y", "P3Y"), False, ()),
    ("Microsoft Clipchamp", "Microsoft 365", "3.00", ("P1M", "P1Y"), True, _M365_BASES),
)

# Products a random monthly update never discontinues nor reprices: the Azure plan, and the core offers the
# simulator's suggested seed holds subscriptions of (a caller that wants one of them discontinued passes
# ``discontinue=[...]`` explicitly).
_NEVER_DISCONTINUE = frozenset({"DZH318Z0BPS6", "CFQ7TTC0LH18", "CFQ7TTC0LFLX", "CFQ7TTC0LH16"})


# --- helpers ---------------------------------------------------------------------------------------------


def opaque_id(text: str, length: int, alphabet: str = "0123456789abcdefghijklmnopqrstuvwxyz") -> str:
    digest = int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
    chars = []
    for _ in range(length):
        digest, rem = divmod(digest, len(alphabet))
        chars.append(alphabet[rem])
    return "".join(chars)


ID_ALPHABET = "0123456789BCDFGHJKLMNPQRSTVWXZ"


def synthetic_availability_id(product_id: str, sku_id: str, generation: int = 0) -> str:
    return "SIMAV" + opaque_id(f"av:{product_id}:{sku_id}:{generation}", 7, ID_ALPHABET)


def term_id(product_id: str, sku_id: str, duration: str, billing_cycle: str) -> str:
    return opaque_id(f"term:{product_id}:{sku_id}:{duration}:{billing_cycle}", 12)


def _provisioning_id(product_id: str, sku_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cspbss-sim:{product_id}:{sku_id}"))


def _term_description(duration: str, cycle: str) -> str:
    if not duration:
        return "Usage-based, billed monthly"
    if cycle == NONE:
        return f"{_TERM_TEXT[duration]} commitment for trial"
    return f"{_TERM_TEXT[duration]} commitment for {_CYCLE_TEXT[cycle]} billing"


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def local_monthly_erp(erp_usd: Decimal, currency: str) -> Decimal:
    """Monthly ERP (P1Y paid annually) in ``currency``, rounded to cents."""
    return money(erp_usd * FX_RATES[currency])


def period_prices(monthly_erp_local: Decimal, duration: str, cycle: str) -> tuple[Decimal, Decimal]:
    """(unit price, ERP price) for one billing period of (term, cycle), from the local monthly ERP."""
    per_month = money(monthly_erp_local * UPLIFT[(duration, cycle)])
    erp = money(per_month * _CYCLE_MONTHS[cycle])
    return money(erp * PARTNER_DISCOUNT), erp


def _cycles_for(seed_terms: tuple[str, ...], override: dict[str, tuple[str, ...]] | None) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for duration in seed_terms:
        cycles = (override or {}).get(duration, TERM_BILLING_CYCLES.get(duration, (MONTHLY,)))
        pairs.extend((duration, cycle) for cycle in cycles)
    return pairs


def _add_offer(catalog: MarketCatalog, seed: _Seed, *, effective_start: dt.datetime,
               added_on: dt.date | None = None, availability_id: str | None = None) -> None:
    pid, sid = seed.product_id, seed.sku_id
    if pid not in catalog.products:
        catalog.products[pid] = Product(
            id=pid,
            title=seed.product_title or seed.title,
            description=_PRODUCT_DESCRIPTIONS.get(pid, seed.description),
            product_type=seed.product_type,
            family=seed.family,
            segment=seed.segment,
            is_addon=seed.is_addon,
            prerequisites=seed.prerequisites,
            added_on=added_on,
        )
    pairs = _cycles_for(seed.terms, seed.cycles)
    cycles = tuple(dict.fromkeys(c for _, c in pairs))
    is_azure = seed.product_type == AZURE
    catalog.skus[(pid, sid)] = Sku(
        product_id=pid,
        id=sid,
        title=seed.title,
        description=seed.description,
        min_quantity=seed.min_quantity,
        max_quantity=seed.max_quantity,
        is_trial=seed.is_trial,
        segment=seed.segment,
        is_addon=seed.is_addon,
        prerequisite_skus=seed.prerequisites,
        upgrade_targets=seed.upgrade_targets,
        supported_billing_cycles=cycles,
        purchase_prerequisites=("MicrosoftCustomerAgreement",),
        provisioning_variables=(),
        provisioning_id=seed.provisioning_id or ("" if is_azure else _provisioning_id(pid, sid)),
    )
    terms = tuple(
        Term(id=term_id(pid, sid, d, c), duration=d, billing_cycle=c, description=_term_description(d, c),
             refund_window="" if (is_azure or seed.is_trial) else "P7D")
        for d, c in pairs
    )
    catalog.availabilities[(pid, sid)] = Availability(
        product_id=pid, sku_id=sid, id=availability_id or seed.availability_id or synthetic_availability_id(pid, sid),
        terms=terms, segment=seed.segment, is_renewable=not (is_azure or seed.is_trial),
    )
    if seed.erp_usd is None:
        return
    erp_usd = Decimal(seed.erp_usd)
    catalog.erp_usd[(pid, sid)] = erp_usd
    _write_prices(catalog, pid, sid, pairs, erp_usd, effective_start)


def _write_prices(catalog: MarketCatalog, pid: str, sid: str, pairs: Iterable[tuple[str, str]], erp_usd: Decimal,
                  effective_start: dt.datetime) -> list[tuple[Price | None, Price]]:
    """Append prices from ``effective_start`` for every (term, cycle) and currency; close the previous ones."""
    written: list[tuple[Price | None, Price]] = []
    close_at = effective_start - dt.timedelta(seconds=1)
    for duration, cycle in pairs:
        for currency in catalog.currencies:
            unit, erp = period_prices(local_monthly_erp(erp_usd, currency), duration, cycle)
            new = Price(pid, sid, duration, cycle, currency, unit, erp, effective_start=effective_start)
            history = catalog.prices.setdefault(new.key, [])
            old = history[-1] if history else None
            if old is not None:
                history[-1] = dataclasses.replace(old, effective_end=close_at)
            history.append(new)
            written.append((old, new))
    return written


def catalog_for_market(market: str) -> MarketCatalog:
    """A fresh copy of the seeded catalog for ``market`` (deterministic; the same every call)."""
    info = market_info(market)
    catalog = MarketCatalog(market=info.code, default_currency=info.default_currency,
                            currencies=info.sheet_currencies)
    for seed in SEED:
        if info.region in seed.excluded_regions:
            continue
        _add_offer(catalog, seed, effective_start=CATALOG_EPOCH)
    return catalog


def _as_datetime(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def monthly_update(
    catalog: MarketCatalog,
    *,
    seed: int | str | None = None,
    rng: random.Random | None = None,
    effective_date: dt.date | dt.datetime,
    add: int = 2,
    discontinue: int | Iterable[str] = 1,
    reprice: int = 3,
    protect: Iterable[str] = (),
) -> CatalogChanges:
    """Apply Microsoft's monthly catalog update to ``catalog`` in place and return exactly what changed.

    Deterministic for the same catalog state and ``seed`` (or ``rng`` state). ``discontinue`` is a count, or the
    explicit product ids to discontinue; ``protect`` lists product ids a random pick must not touch. Prices change
    from ``effective_date`` (older price rows end one second before it); discontinued products end their prices
    one second before it, become non-purchasable and are no longer in the price sheet; new products and their
    prices start on it.
    """
    if rng is None:
        rng = random.Random(f"{catalog.market}:{seed}:{catalog.updates_applied}")
    start = _as_datetime(effective_date)
    day = start.date()
    protected = set(protect) | _NEVER_DISCONTINUE
    explicit = not isinstance(discontinue, int)
    generation = catalog.updates_applied + 1

    # 1. discontinue
    if isinstance(discontinue, int):
        candidates = sorted(p.id for p in catalog.active_products() if p.id not in protected and p.added_on is None)
        to_discontinue = sorted(rng.sample(candidates, min(discontinue, len(candidates))))
    else:
        to_discontinue = sorted(set(discontinue))
        for pid in to_discontinue:
            if catalog.products.get(pid) is None or catalog.products[pid].lifecycle != ACTIVE:
                raise ValueError(f"{pid} is not an active product of {catalog.market}")
    discontinued_skus: list[SkuKey] = []
    close_at = start - dt.timedelta(seconds=1)
    for pid in to_discontinue:
        catalog.products[pid] = dataclasses.replace(catalog.products[pid], lifecycle=DISCONTINUED,
                                                    discontinued_on=day)
        for key in [k for k in catalog.skus if k[0] == pid]:
            catalog.skus[key] = dataclasses.replace(catalog.skus[key], lifecycle=DISCONTINUED)
            catalog.availabilities[key] = dataclasses.replace(catalog.availabilities[key], is_purchasable=False,
                                                              is_renewable=False)
            discontinued_skus.append(key)
        for price_key, history in catalog.prices.items():
            if price_key[0] == pid and history[-1].effective_end > close_at:
                history[-1] = dataclasses.replace(history[-1], effective_end=close_at)

    # 2. reprice (active, priced, non-free SKUs)
    priceable = sorted(
        key for key, erp in catalog.erp_usd.items()
        if erp > 0 and catalog.products[key[0]].lifecycle == ACTIVE and key[0] not in protected
        and not (explicit and key[0] in to_discontinue)
    )
    to_reprice = sorted(rng.sample(priceable, min(reprice, len(priceable))))
    changes: list[PriceChange] = []
    for key in to_reprice:
        factor = rng.choice((Decimal("1.03"), Decimal("1.05"), Decimal("1.08"), Decimal("1.10"), Decimal("0.95")))
        new_erp = money(catalog.erp_usd[key] * factor)
        catalog.erp_usd[key] = new_erp
        pairs = [(t.duration, t.billing_cycle) for t in catalog.availabilities[key].terms]
        for old, new in _write_prices(catalog, key[0], key[1], pairs, new_erp, start):
            assert old is not None
            changes.append(PriceChange(key[0], key[1], new.term_duration, new.billing_cycle, new.currency,
                                       old.unit_price, new.unit_price, old.erp_price, new.erp_price, start))

    # 3. add new products (one SKU each)
    used_titles = {p.title for p in catalog.products.values()}
    upcoming = [u for u in _UPCOMING if u[0] not in used_titles]
    added: list[str] = []
    added_skus: list[SkuKey] = []
    for title, family, erp, terms, is_addon, prereqs in rng.sample(upcoming, min(add, len(upcoming))):
        pid = "SIM1" + opaque_id(f"new:{catalog.market}:{title}", 8, ID_ALPHABET)
        seed_row = _Seed(pid, "0001", title, family, erp, terms=terms, is_addon=is_addon,
                         prerequisites=tuple(p for p in prereqs if p.split(":")[0] in catalog.products),
                         max_quantity=10000, description=f"{title} (added by the monthly update)",
                         cycles=_P1Y_ONLY_CYCLES if terms == ("P1Y",) else None)
        _add_offer(catalog, seed_row, effective_start=start, added_on=day,
                   availability_id=synthetic_availability_id(pid, "0001", generation))
        added.append(pid)
        added_skus.append((pid, "0001"))

    catalog.updates_applied += 1
    return CatalogChanges(
        market=catalog.market,
        effective_date=day,
        added_products=tuple(sorted(added)),
        added_skus=tuple(sorted(added_skus)),
        discontinued_products=tuple(to_discontinue),
        discontinued_skus=tuple(sorted(discontinued_skus)),
        repriced=tuple(changes),
    )


# --- JSON shapes -----------------------------------------------------------------------------------------


def _link(uri: str) -> dict[str, Any]:
    return {"uri": uri, "method": "GET", "headers": []}


def product_json(product: Product, *, market: str) -> dict[str, Any]:
    product_type: dict[str, Any] = {"id": product.product_type, "displayName": product.product_type}
    if product.product_type == AZURE:
        product_type["subType"] = {"id": "Azure", "displayName": "Azure"}
    return {
        "id": product.id,
        "title": product.title,
        "description": product.description,
        "productType": product_type,
        "isMicrosoftProduct": True,
        "publisherName": product.publisher,
        "links": {
            "skus": _link(f"/products/{product.id}/skus?country={market}"),
            "self": _link(f"/products/{product.id}?country={market}"),
        },
        "attributes": {"objectType": "Product"},
    }


def sku_json(sku: Sku, *, market: str) -> dict[str, Any]:
    dynamic: dict[str, Any] = {
        "isMicrosoftProduct": True,
        "isAddon": sku.is_addon,
        "prerequisiteSkus": [p.replace(":", "/") for p in sku.prerequisite_skus],
        "upgradeTargetOffers": [p.replace(":", "/") for p in sku.upgrade_targets],
        "hasConstraints": False,
    }
    if sku.provisioning_id:
        dynamic["provisioningId"] = sku.provisioning_id
    base = f"/products/{sku.product_id}/skus/{sku.id}"
    return {
        "id": sku.id,
        "productId": sku.product_id,
        "title": sku.title,
        "description": sku.description,
        "minimumQuantity": sku.min_quantity,
        "maximumQuantity": sku.max_quantity,
        "isTrial": sku.is_trial,
        "supportedBillingCycles": list(sku.supported_billing_cycles),
        "purchasePrerequisites": list(sku.purchase_prerequisites),
        "inventoryVariables": [],
        "provisioningVariables": list(sku.provisioning_variables),
        "actions": ["Refund"],
        "dynamicAttributes": dynamic,
        "links": {
            "availabilities": _link(f"{base}/availabilities?country={market}"),
            "self": _link(f"{base}?country={market}"),
        },
        "attributes": {"objectType": "Sku"},
    }


def availability_json(av: Availability, *, market: str, currency: str) -> dict[str, Any]:
    terms = []
    for t in av.terms:
        if not t.duration:
            continue  # the Azure plan has no term
        term: dict[str, Any] = {
            "id": t.id, "duration": t.duration, "description": t.description,
            "billingCycle": BILLING_PLAN_LABEL[t.billing_cycle],
        }
        if t.refund_window:
            term["cancellationPolicies"] = [
                {"refundOptions": [{"sequenceId": 0, "type": "Full", "expiresAfter": t.refund_window}]}
            ]
        terms.append(term)
    renewal = [
        {"applicableTermIds": [t["id"]],
         "renewalOptions": [{"renewToId": f"{av.product_id}:{av.sku_id}", "isAutoRenewable": True}]}
        for t in terms
    ] if av.is_renewable else []
    return {
        "id": av.id,
        "productId": av.product_id,
        "skuId": av.sku_id,
        "catalogItemId": av.catalog_item_id,
        "defaultCurrency": {"code": currency, "symbol": CURRENCY_SYMBOLS.get(currency, currency)},
        "segment": av.segment,
        "country": market,
        "isPurchasable": av.is_purchasable,
        "isRenewable": av.is_renewable,
        "renewalInstructions": renewal,
        "terms": terms,
        "links": {"self": _link(f"/products/{av.product_id}/skus/{av.sku_id}/availabilities/{av.id}"
                                f"?country={market}")},
        "attributes": {"objectType": "Availability"},
    }


# A small, fixed set of promotions (Microsoft's ids look like "39NFJQT1PJQB:0001:39NFJQT1Q5KN").
PROMOTIONS: tuple[dict[str, Any], ...] = (
    {"id": "39NFJQT1PJQB:0001:39NFJQT1Q5KN", "name": "Business Basic annual 5% off",
     "description": "5% off Microsoft 365 Business Basic, one-year term.", "productId": "CFQ7TTC0LH18",
     "skuId": "0001", "duration": "P1Y", "cycles": ("annual", "monthly"), "percent": "0.05", "minSeats": 1,
     "maxSeats": 300, "autoApplicable": True, "requiresOwnership": False},
    {"id": "39NFJQT1PJQC:0001:39NFJQT1Q5KP", "name": "Business Premium upgrade 15% off",
     "description": "15% off Microsoft 365 Business Premium for customers who own Business Basic or Standard.",
     "productId": "CFQ7TTC0LCHC", "skuId": "0002", "duration": "P1Y", "cycles": ("annual", "monthly"),
     "percent": "0.15", "minSeats": 5, "maxSeats": 300, "autoApplicable": False, "requiresOwnership": True},
)
