"""The simulator's view of the catalog: products -> SKUs -> availabilities with terms and prices.

The seeded data and the monthly update come from ``catalog_data.py`` (owned by the catalog engineer); this
module adapts it to what the API needs. When that module is absent it falls back to a small built-in set
taken from section 10 of the API fact sheet.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

CURRENCIES = {
    "US": ("USD", "$"), "CA": ("CAD", "$"), "GB": ("GBP", "£"), "DE": ("EUR", "€"), "FR": ("EUR", "€"),
    "NL": ("EUR", "€"), "IT": ("EUR", "€"), "ES": ("EUR", "€"), "IE": ("EUR", "€"), "AT": ("EUR", "€"),
    "BE": ("EUR", "€"), "CH": ("CHF", "CHF"), "SE": ("SEK", "kr"), "DK": ("DKK", "kr"), "NO": ("NOK", "kr"),
    "PL": ("EUR", "€"), "AU": ("AUD", "$"), "NZ": ("NZD", "$"), "JP": ("JPY", "¥"), "IN": ("INR", "₹"),
    "CN": ("CNY", "¥"), "BR": ("BRL", "R$"),
}
FX = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "CHF": 0.88, "SEK": 10.4, "DKK": 6.9, "NOK": 10.6, "CAD": 1.36,
      "AUD": 1.52, "NZD": 1.65, "JPY": 150.0, "INR": 83.0, "CNY": 7.2, "BRL": 5.0}

AZURE_PLAN_PRODUCT = "DZH318Z0BPS6"


@dataclass(frozen=True)
class Term:
    id: str
    duration: str
    billing_cycle: str  # monthly | annual | triennial (lower case, as on subscriptions)
    description: str


@dataclass(frozen=True)
class Offer:
    """One availability (a catalogItemId) with everything needed to sell it."""

    product_id: str
    product_title: str
    product_description: str
    product_type: str  # OnlineServicesNCE | Azure
    target_view: str
    sku_id: str
    sku_title: str
    sku_description: str
    availability_id: str
    country: str
    segment: str
    currency: str
    currency_symbol: str
    min_quantity: int
    max_quantity: int
    terms: tuple[Term, ...]
    erp_monthly: float
    """Estimated retail price per unit per month for P1Y with annual billing, in ``currency``."""
    is_purchasable: bool = True
    is_addon: bool = False
    prerequisite_skus: tuple[str, ...] = ()
    upgrade_targets: tuple[str, ...] = ()
    unit_type: str = "Licenses"
    billing_type: str = "license"
    publisher: str = "Microsoft Corporation"
    is_trial: bool = False
    segments: tuple[str, ...] = ("commercial",)
    prices: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict, compare=False)
    """Optional explicit (term duration, billing cycle) -> (partner unit price, ERP) per billing period."""

    @property
    def catalog_item_id(self) -> str:
        return f"{self.product_id}:{self.sku_id}:{self.availability_id}"

    def term(self, duration: str | None, billing_cycle: str) -> Term | None:
        for term in self.terms:
            if term.billing_cycle == billing_cycle and (duration or None) == (term.duration or None):
                return term
        return None

    def unit_prices(self, duration: str | None, billing_cycle: str) -> tuple[float, float]:
        """(partner price, list price) per unit per billing period."""
        explicit = self.prices.get((duration or "", billing_cycle))
        if explicit:
            return explicit
        erp = self.erp_monthly
        if duration == "P1M":
            list_price = erp * 1.2
        elif billing_cycle == "annual":
            list_price = erp * 12 * (3 if duration == "P3Y" else 1) / (3 if duration == "P3Y" else 1)
        elif billing_cycle == "triennial":
            list_price = erp * 36
        else:
            list_price = erp * 1.05
        list_price = round(list_price, 2)
        return round(list_price * 0.8, 2), list_price


def _nce_terms(kind: str = "full") -> tuple[Term, ...]:
    terms = {
        "p1m": Term("p1m-monthly", "P1M", "monthly", "One-Month commitment for monthly billing"),
        "p1y-m": Term("p1y-monthly", "P1Y", "monthly", "One-Year commitment for monthly billing"),
        "p1y-a": Term("p1y-annual", "P1Y", "annual", "One-Year commitment for yearly billing"),
        "p3y-a": Term("p3y-annual", "P3Y", "annual", "Three-Year commitment for yearly billing"),
        "p3y-t": Term("p3y-triennial", "P3Y", "triennial", "Three-Year commitment for triennial billing"),
    }
    pick = {
        "full": ("p1m", "p1y-m", "p1y-a"),
        "p1y": ("p1y-m", "p1y-a"),
        "p1m": ("p1m",),
        "dynamics": ("p1m", "p1y-m", "p1y-a", "p3y-a", "p3y-t"),
        "visio": ("p1m", "p1y-a"),
        "pbi": ("p1m", "p1y-m"),
    }[kind]
    return tuple(terms[k] for k in pick)


_BUILTIN: tuple[tuple[str, str, str, str, str, float, int, str], ...] = (
    # product, sku, availability, title, terms, ERP USD/month, max seats, description
    ("CFQ7TTC0LH18", "0001", "CFQ7TTC0K971", "Microsoft 365 Business Basic", "full", 6.00, 300,
     "Email, file storage and Teams for small businesses."),
    ("CFQ7TTC0LDPB", "0001", "CFQ7TTC0K5DK", "Microsoft 365 Business Standard", "full", 12.50, 300,
     "Desktop Office apps, email, file storage and Teams for small businesses."),
    ("CFQ7TTC0LCHC", "0002", "CFQ7TTC0K4M6", "Microsoft 365 Business Premium", "full", 22.00, 300,
     "Business Standard plus advanced security and device management."),
    ("CFQ7TTC0LH1G", "0001", "CFQ7TTC0K5CW", "Microsoft 365 Apps for business", "full", 8.30, 300,
     "Desktop Office apps and cloud storage."),
    ("CFQ7TTC0LF8Q", "0001", "CFQ7TTC0K39X", "Office 365 E1", "full", 10.00, 1000000, "Office 365 E1"),
    ("CFQ7TTC0LF8R", "0001", "CFQ7TTC0KCSV", "Office 365 E3", "full", 23.00, 1000000, "Office 365 E3"),
    ("CFQ7TTC0LF8S", "0001", "CFQ7TTC0N81H", "Office 365 E5 (without Audio Conferencing)", "full", 38.00,
     1000000, "Office 365 E5 without Audio Conferencing"),
    ("CFQ7TTC0LFLX", "0001", "CFQ7TTC0LB30", "Microsoft 365 E3", "full", 36.00, 1000000, "Microsoft 365 E3"),
    ("CFQ7TTC0LFLZ", "0002", "CFQ7TTC0K4TS", "Microsoft 365 E5", "full", 57.00, 1000000, "Microsoft 365 E5"),
    ("CFQ7TTC0LH16", "0001", "CFQ7TTC0K5B0", "Exchange Online (Plan 1)", "full", 4.00, 1000000,
     "Business-class email."),
    ("CFQ7TTC0LFLS", "0002", "CFQ7TTC0KDLJ", "Microsoft Entra ID P1", "full", 6.00, 1000000,
     "Identity and access management."),
    ("CFQ7TTC0HD33", "0003", "CFQ7TTC0K6ZD", "Visio Plan 1", "visio", 5.00, 1000000, "Visio in the browser."),
    ("CFQ7TTC0HL8W", "0001", "CFQ7TTC0K59S", "Power BI Premium Per User", "pbi", 24.00, 1000000,
     "Power BI Premium features per user."),
    ("CFQ7TTC0JN4R", "0002", "CFQ7TTC0K1RZ", "Microsoft Teams Essentials", "full", 4.00, 300,
     "Meetings, chat and file sharing for small businesses."),
    ("CFQ7TTC0MM8R", "0002", "CFQ7TTC0MM3Z", "Microsoft 365 Copilot", "p1y", 30.00, 1000000,
     "AI assistant in Microsoft 365 apps."),
    ("SIMD365SALES", "0001", "SIMD365SLAV1", "Dynamics 365 Sales Enterprise (simulated id)", "dynamics",
     105.00, 1000000, "Dynamics 365 Sales Enterprise; product id is synthetic."),
)


def _builtin_offers(country: str) -> list[Offer]:
    currency, symbol = CURRENCIES.get(country, ("USD", "$"))
    rate = FX.get(currency, 1.0)
    offers = [
        Offer(
            product_id=p, product_title=title, product_description=desc, product_type="OnlineServicesNCE",
            target_view="OnlineServices", sku_id=s, sku_title=title, sku_description=desc,
            availability_id=a, country=country, segment="commercial", currency=currency,
            currency_symbol=symbol, min_quantity=1, max_quantity=max_q, terms=_nce_terms(kind),
            erp_monthly=round(erp * rate, 2), segments=("commercial", "education", "nonprofit"),
        )
        for p, s, a, title, kind, erp, max_q, desc in _BUILTIN
    ]
    offers.append(
        Offer(
            product_id=AZURE_PLAN_PRODUCT, product_title="Azure plan", product_description="Microsoft Azure plan",
            product_type="Azure", target_view="MicrosoftAzure", sku_id="0001", sku_title="Microsoft Azure plan",
            sku_description="Microsoft Azure plan (MS-AZR-0017G)", availability_id="DZH318Z0BML6",
            country=country, segment="commercial", currency=currency, currency_symbol=symbol,
            min_quantity=1, max_quantity=1, terms=(Term("usage", "", "monthly", "Usage-based"),),
            erp_monthly=0.0, unit_type="Usage-based", billing_type="usage",
            segments=("commercial", "education", "nonprofit"),
        )
    )
    return offers


class Catalog:
    """Offers per market, with rotation of availability ids and monthly updates."""

    def __init__(self, *, month: int = 0) -> None:
        self._markets: dict[str, list[Offer]] = {}
        self._by_item: dict[str, dict[str, Offer]] = {}
        self.month = month
        self._source = _load_source()
        self.rotated: dict[str, str] = {}
        """Superseded catalogItemId -> replacement catalogItemId."""
        self.discontinued: set[str] = set()
        self.repriced: dict[str, float] = {}

    # -- reads -------------------------------------------------------------------------------------
    def offers(self, country: str) -> list[Offer]:
        country = country.upper()
        if country not in self._markets:
            offers = self._source(country, self.month) if self._source else _builtin_offers(country)
            offers = [self._apply_changes(o) for o in offers]
            self._markets[country] = offers
            self._by_item[country] = {o.catalog_item_id.upper(): o for o in offers}
        return self._markets[country]

    def find(self, catalog_item_id: str, country: str) -> Offer | None:
        self.offers(country)
        return self._by_item[country.upper()].get(catalog_item_id.upper())

    def is_stale(self, catalog_item_id: str) -> bool:
        return catalog_item_id.upper() in self.rotated

    def products(self, country: str, *, target_view: str | None = None,
                 segment: str | None = None) -> list[Offer]:
        seen: dict[str, Offer] = {}
        for offer in self.offers(country):
            if target_view and offer.target_view.lower() != target_view.lower():
                continue
            if segment and segment.lower() not in offer.segments:
                continue
            seen.setdefault(offer.product_id, offer)
        return list(seen.values())

    def product(self, product_id: str, country: str) -> list[Offer]:
        return [o for o in self.offers(country) if o.product_id.upper() == product_id.upper()]

    def sku(self, product_id: str, sku_id: str, country: str) -> list[Offer]:
        return [o for o in self.product(product_id, country) if o.sku_id.upper() == sku_id.upper()]

    # -- changes -----------------------------------------------------------------------------------
    def _apply_changes(self, offer: Offer) -> Offer:
        key = f"{offer.product_id}:{offer.sku_id}"
        if key in self.discontinued:
            offer = replace(offer, is_purchasable=False)
        if key in self.repriced:
            offer = replace(offer, erp_monthly=round(offer.erp_monthly * self.repriced[key], 2), prices={})
        return offer

    def rotate_availability(self, catalog_item_id: str, new_availability_id: str) -> str:
        product_id, sku_id, _ = catalog_item_id.upper().split(":")
        for country, offers in self._markets.items():
            for i, offer in enumerate(offers):
                if offer.catalog_item_id.upper() == catalog_item_id.upper():
                    offers[i] = replace(offer, availability_id=new_availability_id)
                    self._by_item[country] = {o.catalog_item_id.upper(): o for o in offers}
        new_id = f"{product_id}:{sku_id}:{new_availability_id}"
        self.rotated[catalog_item_id.upper()] = new_id
        return new_id

    def monthly_update(self) -> dict[str, Any]:
        """Advance the catalog by one month (delegates to catalog_data.monthly_update when present)."""
        self.month += 1
        report: dict[str, Any] = {"month": self.month, "added": [], "discontinued": [], "repriced": []}
        updater = _load_monthly_update()
        if updater is not None:
            self._markets.clear()
            self._by_item.clear()
            report.update(updater(self.month))
            return report
        # Built-in behaviour: reprice one product by +5 %, rotate one availability, discontinue one SKU.
        repriced = ["CFQ7TTC0LH18:0001", "CFQ7TTC0LDPB:0001", "CFQ7TTC0LCHC:0002"][self.month % 3]
        self.repriced[repriced] = self.repriced.get(repriced, 1.0) * 1.05
        discontinued = ["CFQ7TTC0JN4R:0002", "CFQ7TTC0HD33:0003", "CFQ7TTC0LH1G:0001"][self.month % 3]
        self.discontinued.add(discontinued)
        self._markets.clear()
        self._by_item.clear()
        report["repriced"].append(repriced)
        report["discontinued"].append(discontinued)
        return report


def _load_source() -> Any:
    try:
        module = importlib.import_module("partnercenter.simulator.catalog_data")
    except ImportError:
        return None
    adapter = getattr(module, "simulator_offers", None)
    return adapter


def _load_monthly_update() -> Any:
    return None


def iter_builtin_pricesheet_rows(country: str) -> Iterator[dict[str, str]]:
    for offer in _builtin_offers(country.upper()):
        if offer.product_type != "OnlineServicesNCE":
            continue
        for term in offer.terms:
            price, erp = offer.unit_prices(term.duration, term.billing_cycle)
            yield {
                "ProductTitle": offer.product_title, "ProductId": offer.product_id, "SkuId": offer.sku_id,
                "SkuTitle": offer.sku_title, "Publisher": offer.publisher, "SkuDescription": offer.sku_description,
                "UnitOfMeasure": "1 License", "TermDuration": term.duration,
                "BillingPlan": term.billing_cycle.capitalize(), "Market": offer.country,
                "Currency": offer.currency, "UnitPrice": f"{price:g}", "PricingTierRangeMin": "",
                "PricingTierRangeMax": "", "EffectiveStartDate": "1/1/2025 12:00:00 AM",
                "EffectiveEndDate": "12/31/9999 11:59:59 PM", "Tags": "License", "ERP Price": f"{erp:g}",
            }


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
