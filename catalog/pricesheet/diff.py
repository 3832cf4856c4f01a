# ruff: noqa: S608 - identifiers in the SQL are module constants (table names); values are always bound parameters
"""Set-based difference between the staged price sheet (``catalog_stage``) and the catalog of one instance+market.

Called by ``catalog.services`` inside the run's single transaction. Every statement is plain SQL that PostgreSQL
and SQLite both run; change-report rows are written with INSERT ... SELECT before the state they describe changes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from bss.models import MicrosoftTenant, Subscription
from catalog.choices import ChangeKind, Lifecycle, RunSource, family_sql
from catalog.models import CatalogChange, CatalogSyncRun, Price, Product, Sku
from catalog.pricesheet.staging import STAGE

P = Product._meta.db_table
K = Sku._meta.db_table
PR = Price._meta.db_table
CH = CatalogChange._meta.db_table
SUB = Subscription._meta.db_table
TEN = MicrosoftTenant._meta.db_table
STAGE_K = "catalog_stage_k"

_KEY = (
    "c.term_duration = s.term_duration AND c.billing_cycle = s.billing_cycle AND c.currency = s.currency "
    "AND coalesce(c.tier_min, -1) = coalesce(s.tier_min, -1)"
)

def _exec(sql: str, params: dict[str, Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _params(run: CatalogSyncRun, now: dt.datetime) -> dict[str, Any]:
    return {
        "instance": run.instance_id,
        "market": run.market,
        "run": run.pk,
        "now": connection.ops.adapt_datetimefield_value(now),
        "active": Lifecycle.ACTIVE,
        "discontinued": Lifecycle.DISCONTINUED,
        "added": ChangeKind.ADDED,
        "kind_discontinued": ChangeKind.DISCONTINUED,
        "repriced": ChangeKind.REPRICED,
        "true": True,
        "false": False,
    }


def sheet_products_and_skus(run: CatalogSyncRun, now: dt.datetime) -> None:
    """Create products/SKUs first seen in the sheet, re-list discontinued ones, mark everything seen."""
    p = _params(run, now)
    # re-listed products / SKUs count as added
    _exec(
        f"INSERT INTO {CH} (run_id, kind, product_id, sku_id, term_duration, billing_cycle, currency, "
        "affected_subscriptions) "
        f"SELECT %(run)s, %(added)s, pr.id, NULL, '', '', '', 0 FROM {P} pr WHERE pr.instance_id = %(instance)s "
        "AND pr.market = %(market)s AND pr.lifecycle = %(discontinued)s "
        f"AND EXISTS (SELECT 1 FROM {STAGE} s WHERE s.product_code = pr.product_id)",
        p,
    )
    _exec(
        f"UPDATE {P} SET lifecycle = %(active)s, discontinued_at = NULL, updated_at = %(now)s "
        "WHERE instance_id = %(instance)s AND market = %(market)s AND lifecycle = %(discontinued)s "
        f"AND product_id IN (SELECT product_code FROM {STAGE})",
        p,
    )
    insert_new_products(run, now)
    _exec(
        f"UPDATE {P} SET last_seen_run_id = %(run)s, last_seen_at = %(now)s WHERE instance_id = %(instance)s "
        f"AND market = %(market)s AND product_id IN (SELECT product_code FROM {STAGE}) "
        "AND (last_seen_run_id IS NULL OR last_seen_run_id <> %(run)s)",
        p,
    )
    # SKUs
    sku_of_stage = (
        f"SELECT DISTINCT pr.id AS product_pk, s.product_code, s.sku_code FROM {STAGE} s JOIN {P} pr "
        "ON pr.instance_id = %(instance)s AND pr.market = %(market)s AND pr.product_id = s.product_code"
    )
    _exec(
        f"INSERT INTO {CH} (run_id, kind, product_id, sku_id, term_duration, billing_cycle, currency, "
        "affected_subscriptions) "
        f"SELECT %(run)s, %(added)s, k.product_id, k.id, '', '', '', 0 FROM {K} k JOIN ({sku_of_stage}) x "
        "ON x.product_pk = k.product_id AND x.sku_code = k.sku_id WHERE k.lifecycle = %(discontinued)s "
        f"AND NOT EXISTS (SELECT 1 FROM {CH} c WHERE c.run_id = %(run)s AND c.product_id = k.product_id)",
        p,
    )
    _exec(
        f"UPDATE {K} SET lifecycle = %(active)s, discontinued_at = NULL, updated_at = %(now)s "
        f"WHERE lifecycle = %(discontinued)s AND EXISTS (SELECT 1 FROM ({sku_of_stage}) x "
        f"WHERE x.product_pk = {K}.product_id AND x.sku_code = {K}.sku_id)",
        p,
    )
    insert_new_skus(run, now)
    _exec(
        f"UPDATE {K} SET last_seen_run_id = %(run)s, last_seen_at = %(now)s WHERE "
        "(last_seen_run_id IS NULL OR last_seen_run_id <> %(run)s) AND EXISTS "
        f"(SELECT 1 FROM ({sku_of_stage}) x WHERE x.product_pk = {K}.product_id AND x.sku_code = {K}.sku_id)",
        p,
    )


def insert_new_products(run: CatalogSyncRun, now: dt.datetime) -> None:
    """Create the staged products this catalog lacks."""
    family = family_sql("max(s.product_title)")
    _exec(
        f"INSERT INTO {P} (instance_id, market, product_id, title, description, product_type, family, segment, "
        "is_addon, publisher, lifecycle, first_seen_at, last_seen_at, last_seen_run_id, first_seen_run_id, "
        "created_at, updated_at) "
        f"SELECT %(instance)s, %(market)s, s.product_code, max(s.product_title), '', 'OnlineServicesNCE', {family}, "
        "'', %(false)s, max(s.publisher), %(active)s, %(now)s, %(now)s, %(run)s, %(run)s, %(now)s, %(now)s "
        f"FROM {STAGE} s WHERE NOT EXISTS (SELECT 1 FROM {P} pr WHERE pr.instance_id = %(instance)s "
        "AND pr.market = %(market)s AND pr.product_id = s.product_code) GROUP BY s.product_code",
        _params(run, now),
    )


def insert_new_skus(run: CatalogSyncRun, now: dt.datetime) -> None:
    """Create the staged SKUs this catalog lacks (their products exist: ``insert_new_products`` first)."""
    _exec(
        f"INSERT INTO {K} (product_id, sku_id, title, description, min_quantity, max_quantity, is_trial, segment, "
        "is_addon, prerequisite_skus, supported_billing_cycles, lifecycle, first_seen_at, last_seen_at, "
        "last_seen_run_id, first_seen_run_id, created_at, updated_at) "
        "SELECT pr.id, s.sku_code, max(s.sku_title), max(s.sku_description), 1, 0, %(false)s, '', %(false)s, "
        f"'[]', '[]', %(active)s, %(now)s, %(now)s, %(run)s, %(run)s, %(now)s, %(now)s FROM {STAGE} s JOIN {P} pr "
        "ON pr.instance_id = %(instance)s AND pr.market = %(market)s AND pr.product_id = s.product_code "
        f"WHERE NOT EXISTS (SELECT 1 FROM {K} k WHERE k.product_id = pr.id AND k.sku_id = s.sku_code) "
        "GROUP BY pr.id, s.sku_code",
        _params(run, now),
    )


def record_added(run: CatalogSyncRun, now: dt.datetime) -> None:
    """Change rows for products (and SKUs of existing products) created by this run."""
    p = _params(run, now)
    _exec(
        f"INSERT INTO {CH} (run_id, kind, product_id, sku_id, term_duration, billing_cycle, currency, "
        "affected_subscriptions) "
        f"SELECT %(run)s, %(added)s, pr.id, NULL, '', '', '', 0 FROM {P} pr WHERE pr.instance_id = %(instance)s "
        "AND pr.market = %(market)s AND pr.first_seen_run_id = %(run)s",
        p,
    )
    # a new SKU of a product that was not new is reported on its own
    _exec(
        f"INSERT INTO {CH} (run_id, kind, product_id, sku_id, term_duration, billing_cycle, currency, "
        "affected_subscriptions) "
        f"SELECT %(run)s, %(added)s, k.product_id, k.id, '', '', '', 0 FROM {K} k JOIN {P} pr ON pr.id = k.product_id "
        "WHERE pr.instance_id = %(instance)s AND pr.market = %(market)s AND k.first_seen_run_id = %(run)s "
        "AND (pr.first_seen_run_id IS NULL OR pr.first_seen_run_id <> %(run)s) AND pr.lifecycle = %(active)s",
        p,
    )


def carry_forward_seen(run: CatalogSyncRun, previous: CatalogSyncRun, now: dt.datetime) -> None:
    """Identical price sheet: the products the previous run saw in it are seen again (no staging diff needed).

    Recorded at product level only: an identical sheet lists exactly the same SKUs, so SKU-level "last seen" (and
    SKU-level discontinuation, see ``discontinue_unseen(skus=False)``) is left to the next run that reads a
    different sheet. One set-based statement over the instance+market's products.
    """
    p = {**_params(run, now), "prev": previous.pk}
    _exec(
        f"UPDATE {P} SET last_seen_run_id = %(run)s, last_seen_at = %(now)s WHERE instance_id = %(instance)s "
        "AND market = %(market)s AND last_seen_run_id = %(prev)s",
        p,
    )


def discontinue_unseen(run: CatalogSyncRun, now: dt.datetime, *, skus: bool = True) -> None:
    """Products/SKUs not seen by this run are discontinued (a file import only judges priced ones).

    ``skus=False`` (identical sheet, seen-marks carried forward at product level) judges products only.
    """
    p = _params(run, now)
    priced_only = (
        f" AND EXISTS (SELECT 1 FROM {PR} c JOIN {K} kk ON kk.id = c.sku_id WHERE kk.product_id = pr.id "
        "AND c.is_current = %(true)s)"
        if run.source == RunSource.FILE
        else ""
    )
    held = (
        f"(SELECT count(*) FROM {SUB} sub JOIN {TEN} t ON t.id = sub.tenant_id WHERE t.instance_id = %(instance)s "
        "AND sub.pc_product_id = pr.product_id AND sub.status IN ('active', 'suspended', 'pending'))"
    )
    unseen = "(pr.last_seen_run_id IS NULL OR pr.last_seen_run_id <> %(run)s)"
    _exec(
        f"INSERT INTO {CH} (run_id, kind, product_id, sku_id, term_duration, billing_cycle, currency, "
        f"affected_subscriptions) SELECT %(run)s, %(kind_discontinued)s, pr.id, NULL, '', '', '', {held} "
        f"FROM {P} pr WHERE pr.instance_id = %(instance)s AND pr.market = %(market)s AND pr.lifecycle = %(active)s "
        f"AND {unseen}{priced_only}",
        p,
    )
    _exec(
        f"UPDATE {P} SET lifecycle = %(discontinued)s, discontinued_at = %(now)s, updated_at = %(now)s "
        f"WHERE id IN (SELECT product_id FROM {CH} WHERE run_id = %(run)s AND kind = %(kind_discontinued)s)",
        p,
    )
    _exec(
        f"UPDATE {K} SET lifecycle = %(discontinued)s, discontinued_at = %(now)s, updated_at = %(now)s "
        "WHERE lifecycle = %(active)s AND product_id IN "
        f"(SELECT product_id FROM {CH} WHERE run_id = %(run)s AND kind = %(kind_discontinued)s)",
        p,
    )
    if not skus:
        return
    # single SKUs gone from a product that is still sold
    sku_priced_only = (
        f" AND EXISTS (SELECT 1 FROM {PR} c WHERE c.sku_id = k.id AND c.is_current = %(true)s)"
        if run.source == RunSource.FILE
        else ""
    )
    held_sku = held.replace("sub.pc_product_id = pr.product_id", "sub.pc_product_id = pr.product_id "
                            "AND sub.pc_sku_id = k.sku_id")
    _exec(
        f"INSERT INTO {CH} (run_id, kind, product_id, sku_id, term_duration, billing_cycle, currency, "
        f"affected_subscriptions) SELECT %(run)s, %(kind_discontinued)s, pr.id, k.id, '', '', '', {held_sku} "
        f"FROM {K} k JOIN {P} pr ON pr.id = k.product_id WHERE pr.instance_id = %(instance)s "
        "AND pr.market = %(market)s AND pr.lifecycle = %(active)s AND k.lifecycle = %(active)s "
        f"AND (k.last_seen_run_id IS NULL OR k.last_seen_run_id <> %(run)s){sku_priced_only}",
        p,
    )
    _exec(
        f"UPDATE {K} SET lifecycle = %(discontinued)s, discontinued_at = %(now)s, updated_at = %(now)s "
        f"WHERE id IN (SELECT sku_id FROM {CH} WHERE run_id = %(run)s AND kind = %(kind_discontinued)s "
        "AND sku_id IS NOT NULL)",
        p,
    )


def apply_prices(run: CatalogSyncRun, now: dt.datetime) -> int:
    """Record repricings, retire changed/vanished prices, insert new current rows. Returns rows inserted."""
    p = _params(run, now)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE_K}")
        cursor.execute(
            f"CREATE TEMP TABLE {STAGE_K} AS SELECT s.*, k.id AS sku_pk, pr.id AS product_pk FROM {STAGE} s "
            f"JOIN {P} pr ON pr.instance_id = %(instance)s AND pr.market = %(market)s "
            f"AND pr.product_id = s.product_code JOIN {K} k ON k.product_id = pr.id AND k.sku_id = s.sku_code",
            p,
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {STAGE_K}")
    instance_skus = f"SELECT k.id FROM {K} k JOIN {P} pr ON pr.id = k.product_id WHERE pr.instance_id = %(instance)s " \
        "AND pr.market = %(market)s"
    _exec(
        f"INSERT INTO {CH} (run_id, kind, product_id, sku_id, term_duration, billing_cycle, currency, "
        "old_unit_price, new_unit_price, old_erp_price, new_erp_price, affected_subscriptions) "
        "SELECT %(run)s, %(repriced)s, s.product_pk, s.sku_pk, s.term_duration, s.billing_cycle, s.currency, "
        f"c.unit_price, s.unit_price, c.erp_price, s.erp_price, 0 FROM {STAGE_K} s JOIN {PR} c "
        f"ON c.sku_id = s.sku_pk AND c.is_current = %(true)s AND {_KEY} "
        "WHERE c.unit_price <> s.unit_price OR c.erp_price <> s.erp_price",
        p,
    )
    _exec(
        f"UPDATE {PR} SET is_current = %(false)s WHERE is_current = %(true)s AND sku_id IN ({instance_skus}) "
        f"AND NOT EXISTS (SELECT 1 FROM {STAGE_K} s WHERE s.sku_pk = {PR}.sku_id "
        f"AND {_KEY.replace('c.', PR + '.')} AND s.unit_price = {PR}.unit_price AND s.erp_price = {PR}.erp_price)",
        p,
    )
    inserted = _exec(
        f"INSERT INTO {PR} (sku_id, term_duration, billing_cycle, currency, unit_price, erp_price, tier_min, "
        "tier_max, effective_start, effective_end, is_current, run_id) "
        "SELECT s.sku_pk, s.term_duration, s.billing_cycle, s.currency, s.unit_price, s.erp_price, s.tier_min, "
        f"s.tier_max, s.effective_start, s.effective_end, %(true)s, %(run)s FROM {STAGE_K} s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {PR} c WHERE c.sku_id = s.sku_pk AND c.is_current = %(true)s AND {_KEY})",
        p,
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE_K}")
    return inserted
