"""Catalog runs that wait for a person: the limits, and keeping what a held run read until it is decided.

A sync or price-list import that would discontinue more than ``CATALOG_CONFIRM_DISCONTINUED_SHARE`` of the
instance+market's active products, or reprice more than ``CATALOG_CONFIRM_REPRICED_SHARE`` of its current prices (a
truncated download or file looks exactly like that), is not applied. ``catalog.services`` computes its difference
under a savepoint, reads the counts, rolls the savepoint back and calls ``hold``: the staged price rows are kept as
``HeldPrice`` rows and a sync's Partner Center catalog as JSON on the run, so that ``catalog_run_confirm`` applies
exactly what was read (nothing is downloaded or read again) and ``catalog_run_discard`` drops it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from catalog.choices import Lifecycle, RunStage, RunStatus
from catalog.models import CatalogSyncRun, HeldPrice, Price, Product
from catalog.pricesheet.staging import Stager
from partnercenter import types as pc


@dataclass
class ApiCatalog:
    """What a sync read from Partner Center's catalog endpoints (the price sheet is staged apart)."""

    products: dict[str, Any] = field(default_factory=dict)  # product id -> partnercenter.types.Product
    skus: dict[tuple[str, str], Any] = field(default_factory=dict)
    availabilities: dict[tuple[str, str], list[Any]] = field(default_factory=dict)


def catalog_size(run: CatalogSyncRun) -> tuple[int, int]:
    """Active products and their current prices in the run's instance+market (what the limits are shares of)."""
    products = Product.objects.filter(instance_id=run.instance_id, market=run.market, lifecycle=Lifecycle.ACTIVE)
    prices = Price.objects.filter(is_current=True, sku__product__instance_id=run.instance_id,
                                  sku__product__market=run.market, sku__product__lifecycle=Lifecycle.ACTIVE)
    return products.count(), prices.count()


def limits_exceeded(run: CatalogSyncRun) -> bool:
    """Whether the run's counts (set on it, not yet applied) need a person's confirmation."""
    discontinued_share = float(getattr(settings, "CATALOG_CONFIRM_DISCONTINUED_SHARE", 0.10))
    repriced_share = float(getattr(settings, "CATALOG_CONFIRM_REPRICED_SHARE", 0.25))
    return (run.discontinued_products > discontinued_share * run.catalog_products
            or run.repriced_count > repriced_share * run.catalog_prices)


def summary(run: CatalogSyncRun) -> str:
    """What a held run would do, in a sentence."""
    return (f"This run would discontinue {run.discontinued_products} of {run.catalog_products} products "
            f"and reprice {run.repriced_count} of {run.catalog_prices} prices ({run.added_count} added); "
            "that is more than is applied without a person's confirmation.")


def hold(run: CatalogSyncRun, *, api_data: ApiCatalog | None, stager: Stager, now: dt.datetime) -> None:
    """Keep what the run read and leave it awaiting confirmation (call after rolling its changes back)."""
    stager.hold(run.pk)
    run.held_catalog = None if api_data is None else api_catalog_json(api_data)
    run.status = RunStatus.AWAITING_CONFIRMATION
    run.stage = RunStage.VALIDATING
    run.error = summary(run)
    run.finished_at = now
    run.save()


def release(run: CatalogSyncRun) -> None:
    """Drop what a held run kept (applied, discarded or failed)."""
    HeldPrice.objects.filter(run=run).delete()
    run.held_catalog = None


# --- the Partner Center catalog as JSON ----------------------------------------------------------------


def _term(term: pc.Term) -> dict[str, Any]:
    return {"duration": term.duration, "billing_cycle": term.billing_cycle, "id": term.id,
            "description": term.description}


def api_catalog_json(data: ApiCatalog) -> dict[str, Any]:
    return {
        "products": [dataclasses.asdict(p) for p in data.products.values()],
        "skus": [[product_id, dataclasses.asdict(sku)] for (product_id, _), sku in data.skus.items()],
        "availabilities": [
            [product_id, sku_id, [{**{f.name: getattr(a, f.name) for f in dataclasses.fields(a) if f.name != "terms"},
                                   "terms": [_term(t) for t in a.terms]} for a in availabilities]]
            for (product_id, sku_id), availabilities in data.availabilities.items()
        ],
    }


def held_api_catalog(run: CatalogSyncRun) -> ApiCatalog | None:
    """The Partner Center catalog a held sync read (None for a price-list import)."""
    raw = run.held_catalog
    if not raw:
        return None
    data = ApiCatalog()
    for product in raw["products"]:
        data.products[product["id"]] = pc.Product(**product)
    tuples = ("supported_billing_cycles", "purchase_prerequisites", "inventory_variables", "provisioning_variables",
              "actions")
    for product_id, sku in raw["skus"]:
        data.skus[(product_id, sku["id"])] = pc.Sku(**{**sku, **{name: tuple(sku.get(name) or ()) for name in tuples}})
    for product_id, sku_id, availabilities in raw["availabilities"]:
        data.availabilities[(product_id, sku_id)] = [
            pc.Availability(**{**a, "terms": tuple(pc.Term(**t) for t in a["terms"])}) for a in availabilities
        ]
    return data
