"""The simulator's live catalog: ``catalog_data`` market catalogs plus what the API needs on top
(lookup by catalogItemId, prices at simulated time, availability rotation, monthly updates for every market).

``catalog_data.py`` and ``pricesheet.py`` belong to the catalog engineer; this module only adapts them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import catalog_data as cd
from . import pricesheet

AZURE_PLAN_PRODUCT = "DZH318Z0BPS6"


@dataclass(frozen=True)
class Term:
    id: str
    duration: str
    billing_cycle: str
    description: str


@dataclass(frozen=True)
class Offer:
    """One purchasable availability (a catalogItemId) of one market, with what selling it needs."""

    product_id: str
    product_title: str
    product_type: str
    sku_id: str
    sku_title: str
    availability_id: str
    country: str
    segment: str
    currency: str
    currency_symbol: str
    min_quantity: int
    max_quantity: int
    terms: tuple[Term, ...]
    is_purchasable: bool = True
    publisher: str = "Microsoft Corporation"
    prices: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict, compare=False)
    """(term duration, billing cycle) -> (partner unit price, ERP) per billing period, in ``currency``."""

    @property
    def catalog_item_id(self) -> str:
        return f"{self.product_id}:{self.sku_id}:{self.availability_id}"

    def term(self, duration: str | None, billing_cycle: str) -> Term | None:
        for term in self.terms:
            if term.billing_cycle == billing_cycle and (duration or "") == (term.duration or ""):
                return term
        return None

    def unit_prices(self, duration: str | None, billing_cycle: str) -> tuple[float, float]:
        return self.prices.get((duration or "", billing_cycle), (0.0, 0.0))


class Catalog:
    """Per-market catalogs built lazily; every market sees the same monthly updates and rotations."""

    def __init__(self, now: Callable[[], dt.datetime] | None = None, *, seed: int | str | None = 0) -> None:
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        self._seed = seed
        self._markets: dict[str, cd.MarketCatalog | None] = {}
        self._offers: dict[str, dict[str, Offer]] = {}
        self.updates: list[dt.date] = []
        self.rotations: list[tuple[str, str, str]] = []
        self.rotated: dict[str, str] = {}
        """Superseded catalogItemId (upper case) -> its replacement."""

    @property
    def month(self) -> int:
        return len(self.updates)

    # -- markets -----------------------------------------------------------------------------------------
    def market(self, country: str) -> cd.MarketCatalog | None:
        code = country.upper()
        if code not in self._markets:
            try:
                catalog = cd.catalog_for_market(code)
            except ValueError:
                self._markets[code] = None
                return None
            for day in self.updates:
                cd.monthly_update(catalog, seed=self._seed, effective_date=day)
            for product_id, sku_id, availability_id in self.rotations:
                self._rotate_in(catalog, product_id, sku_id, availability_id)
            self._markets[code] = catalog
        return self._markets[code]

    def offers(self, country: str) -> dict[str, Offer]:
        code = country.upper()
        if code not in self._offers:
            catalog = self.market(code)
            self._offers[code] = {} if catalog is None else self._build_offers(catalog)
        return self._offers[code]

    def _build_offers(self, catalog: cd.MarketCatalog) -> dict[str, Offer]:
        now = self._now()
        currency = catalog.default_currency
        offers: dict[str, Offer] = {}
        for (product_id, sku_id), availability in catalog.availabilities.items():
            product = catalog.products[product_id]
            sku = catalog.skus[(product_id, sku_id)]
            prices: dict[tuple[str, str], tuple[float, float]] = {}
            for term in availability.terms:
                price = catalog.price(product_id, sku_id, term.duration, term.billing_cycle, currency, at=now) \
                    or catalog.price(product_id, sku_id, term.duration, term.billing_cycle, currency)
                if price is not None:
                    prices[(term.duration, term.billing_cycle)] = (float(price.unit_price), float(price.erp_price))
            offer = Offer(
                product_id=product_id, product_title=product.title, product_type=product.product_type,
                sku_id=sku_id, sku_title=sku.title, availability_id=availability.id, country=catalog.market,
                segment=availability.segment, currency=currency,
                currency_symbol=cd.CURRENCY_SYMBOLS.get(currency, currency), min_quantity=sku.min_quantity,
                max_quantity=sku.max_quantity,
                terms=tuple(Term(t.id, t.duration, t.billing_cycle, t.description) for t in availability.terms),
                is_purchasable=availability.is_purchasable and product.lifecycle == cd.ACTIVE,
                publisher=product.publisher, prices=prices,
            )
            offers[offer.catalog_item_id.upper()] = offer
        return offers

    # -- lookups used by carts -----------------------------------------------------------------------------
    def find(self, catalog_item_id: str, country: str) -> Offer | None:
        return self.offers(country).get(catalog_item_id.upper())

    def find_sku(self, product_id: str, sku_id: str, country: str) -> Offer | None:
        prefix = f"{product_id}:{sku_id}:".upper()
        return next((o for key, o in self.offers(country).items() if key.startswith(prefix)), None)

    def is_stale(self, catalog_item_id: str) -> bool:
        return catalog_item_id.upper() in self.rotated

    # -- JSON for the catalog endpoints (shapes from catalog_data) ----------------------------------------
    def products_json(self, country: str, *, target_view: str | None, segment: str | None) -> list[dict[str, Any]]:
        catalog = self.market(country)
        if catalog is None:
            return []
        result = []
        for product in catalog.products.values():
            if target_view and product.target_view.lower() != target_view.lower():
                continue
            if segment and product.segment.lower() != segment.lower():
                continue
            result.append(cd.product_json(product, market=catalog.market))
        return result

    def product_json(self, country: str, product_id: str) -> dict[str, Any] | None:
        catalog = self.market(country)
        product = catalog.products.get(product_id.upper()) if catalog else None
        return cd.product_json(product, market=catalog.market) if catalog and product else None

    def skus_json(self, country: str, product_id: str, sku_id: str | None = None,
                  segment: str | None = None) -> list[dict[str, Any]]:
        catalog = self.market(country)
        if catalog is None:
            return []
        return [
            cd.sku_json(sku, market=catalog.market)
            for (pid, sid), sku in catalog.skus.items()
            if pid == product_id.upper() and (sku_id is None or sid == sku_id.upper())
            and (not segment or sku.segment.lower() == segment.lower())
        ]

    def availabilities_json(self, country: str, product_id: str, sku_id: str,
                            segment: str | None = None) -> list[dict[str, Any]]:
        catalog = self.market(country)
        if catalog is None:
            return []
        availability = catalog.availabilities.get((product_id.upper(), sku_id.upper()))
        if availability is None or (segment and availability.segment.lower() != segment.lower()):
            return []
        return [cd.availability_json(availability, market=catalog.market, currency=catalog.default_currency)]

    # -- changes -------------------------------------------------------------------------------------------
    def monthly_update(self, effective_date: dt.date | None = None) -> dict[str, Any]:
        """Apply Microsoft's monthly update to every market (markets built later replay it)."""
        day = effective_date or self._now().date()
        self.market("US")  # always report the US market, built with the earlier updates first
        report: dict[str, Any] = {"month": self.month + 1, "effectiveDate": day.isoformat(), "markets": {}}
        for code, catalog in self._markets.items():
            if catalog is not None:
                report["markets"][code] = cd.monthly_update(catalog, seed=self._seed, effective_date=day).to_dict()
        self.updates.append(day)  # markets built later replay it
        self._offers.clear()
        return report

    def rotate_availability(self, catalog_item_id: str, new_availability_id: str) -> str:
        product_id, sku_id, _old = catalog_item_id.upper().split(":")
        self.rotations.append((product_id, sku_id, new_availability_id))
        for catalog in self._markets.values():
            if catalog is not None:
                self._rotate_in(catalog, product_id, sku_id, new_availability_id)
        self._offers.clear()
        new_id = f"{product_id}:{sku_id}:{new_availability_id}"
        self.rotated[catalog_item_id.upper()] = new_id
        return new_id

    @staticmethod
    def _rotate_in(catalog: cd.MarketCatalog, product_id: str, sku_id: str, availability_id: str) -> None:
        key = (product_id, sku_id)
        if key in catalog.availabilities:
            catalog.availabilities[key] = dataclasses.replace(catalog.availabilities[key], id=availability_id)

    # -- price sheet ---------------------------------------------------------------------------------------
    def pricesheet_chunks(self, country: str, *, at: dt.datetime, rows: int | None = None) -> Iterator[bytes] | None:
        catalog = self.market(country)
        if catalog is None:
            return None
        return pricesheet.iter_pricesheet_chunks(catalog, market=catalog.market, rows=rows, effective_date=at)

    def has_future_prices(self, country: str, after: dt.datetime) -> dt.datetime | None:
        catalog = self.market(country)
        if catalog is None:
            return None
        starts = [p.effective_start for history in catalog.prices.values() for p in history
                  if p.effective_start > after]
        return min(starts) if starts else None
