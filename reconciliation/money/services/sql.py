"""The three-way match as SQL that runs unchanged on PostgreSQL and SQLite (window functions, temporary tables):
a handful of set-based statements over the whole period, whatever its number of lines. The scope and the pairs are
written to temporary work tables first (analysed on PostgreSQL), so the statements after them hash-join tables of
known size instead of re-evaluating CTEs the planner cannot estimate.

Scope of one run (an instance, a billing period):
- Microsoft's lines: the current generation of the period's billed invoices, or, while the period has no billed
  invoice imported, of its unbilled import;
- our lines: invoice lines of the period's invoices that bill the instance's subscriptions, on invoices issued by
  the provider (a tenant reseller's own invoice to its customer bills the same charge again, at its price), except
  charges that "bill it" added for a finding (they answer a finding, they are not Microsoft's line).

Pairing: by BSS subscription, charge type, charge start and end and direction (charge or refund); first lines that
also share Microsoft's ReferenceId, then the rest in order (refund/charge pairs of one event stay together because
they share the reference and are ordered by it). Amounts compared: Microsoft's subtotal with our cost (what we
expect Microsoft to charge us for the line)."""

from __future__ import annotations

import datetime as dt

from django.db import connection

#: Work tables of one run (temporary: private to the connection, dropped at the end of the run).
MS_TABLE, OURS_TABLE, PAIRS_TABLE = "money_run_ms", "money_run_ours", "money_run_pairs"
TABLES = (MS_TABLE, OURS_TABLE, PAIRS_TABLE)

#: Microsoft's lines in scope, with their match key and the customer of their BSS subscription.
MS_SELECT = f"""
CREATE TEMPORARY TABLE {MS_TABLE} AS
SELECT l.id, l.fingerprint, l.subscription_id AS sub_id, l.charge_type, l.charge_start, l.charge_end,
       l.reference_id, l.subtotal, l.quantity, l.unit_price, l.promotion_id, l.currency, l.pricing_currency,
       l.exchange_rate, l.order_date, l.pc_subscription_id, l.customer_tenant_id, s.customer_id AS sub_customer_id,
       CASE WHEN l.subtotal < 0 THEN -1 ELSE 1 END AS sgn,
       'ms:' || l.fingerprint || ':'
         || CAST(ROW_NUMBER() OVER (PARTITION BY l.fingerprint ORDER BY l.id) AS VARCHAR(12)) AS mkey
FROM money_microsoftchargeline l
JOIN money_microsoftinvoice i ON i.id = l.invoice_id AND i.generation = l.generation
LEFT JOIN bss_subscription s ON s.id = l.subscription_id
WHERE l.instance_id = %s AND l.year = %s AND l.month = %s
  AND (i.kind = 'billed' OR NOT EXISTS (
    SELECT 1 FROM money_microsoftinvoice b
    WHERE b.instance_id = i.instance_id AND b.year = i.year AND b.month = i.month AND b.kind = 'billed'
      AND b.generation > 0))
"""  # noqa: S608 - built from this module's constants; values are parameters

#: Our invoice lines and credit-note lines in scope.
OURS_SELECT = f"""
CREATE TEMPORARY TABLE {OURS_TABLE} AS
SELECT 'i' AS src, o.id, o.subscription_id AS sub_id, o.charge_type, o.charge_start, o.charge_end, o.reference_id,
       COALESCE(o.cost_amount, o.amount) AS cost, o.unit_cost, o.quantity, v.currency, s.customer_id,
       s.pc_subscription_id, t.pc_customer_id,
       CASE WHEN o.amount < 0 THEN -1 ELSE 1 END AS sgn
FROM billing_invoiceline o
JOIN billing_invoice v ON v.id = o.invoice_id
JOIN billing_issuer iss ON iss.id = v.issuer_id
JOIN bss_reseller r ON r.id = iss.reseller_id
JOIN bss_subscription s ON s.id = o.subscription_id
JOIN bss_microsofttenant t ON t.id = s.tenant_id
WHERE t.instance_id = %s AND v.year = %s AND v.month = %s AND r.kind <> 'tenant'
  AND NOT EXISTS (SELECT 1 FROM money_chargematch bl WHERE bl.billed_line_id = o.id)
  AND NOT EXISTS (SELECT 1 FROM money_chargematch tm WHERE tm.invoice_line_id = o.id AND tm.cause = 'timing'
                  AND (tm.year <> v.year OR tm.month <> v.month))
UNION ALL
SELECT 'c', o.id, o.subscription_id, o.charge_type, o.charge_start, o.charge_end, o.reference_id,
       -ABS(COALESCE(o.cost_amount, o.amount)), o.unit_cost, o.quantity, v.currency, s.customer_id,
       s.pc_subscription_id, t.pc_customer_id, -1
FROM billing_creditnoteline o
JOIN billing_creditnote v ON v.id = o.credit_note_id
JOIN billing_issuer iss ON iss.id = v.issuer_id
JOIN bss_reseller r ON r.id = iss.reseller_id
JOIN bss_subscription s ON s.id = o.subscription_id
JOIN bss_microsofttenant t ON t.id = s.tenant_id
WHERE t.instance_id = %s AND o.order_at >= %s AND o.order_at < %s AND r.kind <> 'tenant'
"""  # noqa: S608 - built from this module's constants; values are parameters

#: First pairs: lines that also share Microsoft's ReferenceId, in order within their charge.
PAIRS_BY_REFERENCE = f"""
CREATE TEMPORARY TABLE {PAIRS_TABLE} AS
WITH ma AS (
  SELECT id, sub_id, charge_type, charge_start, charge_end, sgn, reference_id, ROW_NUMBER() OVER (
    PARTITION BY sub_id, charge_type, charge_start, charge_end, sgn, reference_id ORDER BY order_date, id) AS rk
  FROM {MS_TABLE} WHERE sub_id IS NOT NULL AND reference_id <> ''
),
oa AS (
  SELECT src, id, sub_id, charge_type, charge_start, charge_end, sgn, LOWER(reference_id) AS reference_id,
    ROW_NUMBER() OVER (
      PARTITION BY sub_id, charge_type, charge_start, charge_end, sgn, LOWER(reference_id) ORDER BY id) AS rk
  FROM {OURS_TABLE} WHERE reference_id <> ''
)
SELECT ma.id AS ms_id, oa.src AS our_src, oa.id AS our_id FROM ma JOIN oa
  ON oa.sub_id = ma.sub_id AND oa.charge_type = ma.charge_type AND oa.charge_start = ma.charge_start
 AND oa.charge_end = ma.charge_end AND oa.sgn = ma.sgn AND oa.reference_id = ma.reference_id AND oa.rk = ma.rk
"""  # noqa: S608 - built from this module's constants

#: Then the rest, in order within their charge (refund/charge pairs of one event stay together: they share the
#: reference and are ordered by it).
PAIRS_IN_ORDER = f"""
INSERT INTO {PAIRS_TABLE} (ms_id, our_src, our_id)
WITH mb AS (
  SELECT id, sub_id, charge_type, charge_start, charge_end, sgn, ROW_NUMBER() OVER (
    PARTITION BY sub_id, charge_type, charge_start, charge_end, sgn ORDER BY reference_id, order_date, id) AS rk
  FROM {MS_TABLE} m
  WHERE sub_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {PAIRS_TABLE} pa WHERE pa.ms_id = m.id)
),
ob AS (
  SELECT src, id, sub_id, charge_type, charge_start, charge_end, sgn, ROW_NUMBER() OVER (
    PARTITION BY sub_id, charge_type, charge_start, charge_end, sgn ORDER BY LOWER(reference_id), id) AS rk
  FROM {OURS_TABLE} o
  WHERE NOT EXISTS (SELECT 1 FROM {PAIRS_TABLE} pa WHERE pa.our_src = o.src AND pa.our_id = o.id)
)
SELECT mb.id, ob.src, ob.id FROM mb JOIN ob
  ON ob.sub_id = mb.sub_id AND ob.charge_type = mb.charge_type AND ob.charge_start = mb.charge_start
 AND ob.charge_end = mb.charge_end AND ob.sgn = mb.sgn AND ob.rk = mb.rk
"""  # noqa: S608 - built from this module's constants

#: Columns every INSERT below fills, in order.
INSERT_COLUMNS = (
    "instance_id, year, month, key, run_id, outcome, cause, microsoft_line_id, invoice_line_id, credit_note_line_id, "
    "subscription_id, "
    "customer_id, pc_subscription_id, customer_tenant_id, charge_type, charge_start, charge_end, quantity, "
    "microsoft_amount, our_amount, difference, currency, resolution, reason"
)

_DIFF = "ROUND(COALESCE(ms.subtotal, 0) - COALESCE(o.cost, 0), 2)"
_TOLERANCE = "CAST(%s AS DECIMAL(18, 2))"

#: Microsoft's lines: paired (matched or variance with its cause), or unpaired (leakage, unknown subscription).
MICROSOFT_SIDE = f"""
INSERT INTO money_chargematch ({INSERT_COLUMNS})
SELECT %s, %s, %s, ms.mkey, %s,
  CASE
    WHEN p.our_id IS NOT NULL AND ABS({_DIFF}) <= {_TOLERANCE} THEN 'matched'
    WHEN p.our_id IS NOT NULL THEN 'variance'
    WHEN ms.sub_id IS NULL THEN 'unknown_subscription'
    WHEN COALESCE(ms.subtotal, 0) = 0 THEN 'matched'
    ELSE 'leakage'
  END,
  CASE
    WHEN p.our_id IS NULL OR ABS({_DIFF}) <= {_TOLERANCE} THEN ''
    WHEN ms.promotion_id <> '' THEN 'promotion'
    WHEN o.unit_cost IS NOT NULL AND ROUND(ms.unit_price, 4) <> ROUND(o.unit_cost, 4) THEN 'price'
    WHEN ms.currency <> o.currency OR (ms.pricing_currency <> '' AND ms.pricing_currency <> ms.currency)
      OR COALESCE(ms.exchange_rate, 1) <> 1 THEN 'fx'
    WHEN ABS({_DIFF}) <= 0.01 * ABS(COALESCE(ms.quantity, 1)) THEN 'rounding'
    ELSE 'other'
  END,
  ms.id, CASE WHEN p.our_src = 'i' THEN p.our_id END, CASE WHEN p.our_src = 'c' THEN p.our_id END, ms.sub_id,
  COALESCE(o.customer_id, ms.sub_customer_id,
    (SELECT MIN(t2.customer_id) FROM bss_microsofttenant t2
      WHERE t2.instance_id = %s AND LOWER(t2.pc_customer_id) = ms.customer_tenant_id)),
  ms.pc_subscription_id, ms.customer_tenant_id, ms.charge_type, ms.charge_start, ms.charge_end, ms.quantity,
  ms.subtotal, o.cost, {_DIFF}, ms.currency, 'open', ''
FROM {MS_TABLE} ms
LEFT JOIN {PAIRS_TABLE} p ON p.ms_id = ms.id
LEFT JOIN {OURS_TABLE} o ON o.src = p.our_src AND o.id = p.our_id
WHERE NOT EXISTS (SELECT 1 FROM money_chargematch c WHERE c.instance_id = %s AND c.key = ms.mkey)
"""  # noqa: S608 - built from this module's constants; values are parameters

#: Our lines Microsoft did not charge.
OUR_SIDE = f"""
INSERT INTO money_chargematch ({INSERT_COLUMNS})
SELECT %s, %s, %s, 'ours:' || CASE WHEN o.src = 'c' THEN 'c' ELSE '' END || CAST(o.id AS VARCHAR(20)), %s,
  CASE WHEN COALESCE(o.cost, 0) = 0 THEN 'matched' ELSE 'not_charged' END, '',
  NULL, CASE WHEN o.src = 'i' THEN o.id END, CASE WHEN o.src = 'c' THEN o.id END, o.sub_id, o.customer_id,
  COALESCE(o.pc_subscription_id, ''), COALESCE(o.pc_customer_id, ''), o.charge_type, o.charge_start, o.charge_end,
  o.quantity, NULL, o.cost, ROUND(-COALESCE(o.cost, 0), 2), o.currency, 'open', ''
FROM {OURS_TABLE} o
WHERE NOT EXISTS (SELECT 1 FROM {PAIRS_TABLE} p WHERE p.our_src = o.src AND p.our_id = o.id)
  AND NOT EXISTS (SELECT 1 FROM money_chargematch c WHERE c.instance_id = %s
                  AND c.key = 'ours:' || CASE WHEN o.src = 'c' THEN 'c' ELSE '' END || CAST(o.id AS VARCHAR(20)))
"""  # noqa: S608 - built from this module's constants; values are parameters


Params = list[int | str | dt.datetime | None]


def ms_params(instance_id: int, year: int, month: int) -> Params:
    return [instance_id, year, month]


def ours_params(instance_id: int, year: int, month: int) -> Params:
    """Credit-note lines count in the month of their refund (`order_at`)."""
    start = dt.datetime(year, month, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=dt.UTC)
    adapt = connection.ops.adapt_datetimefield_value
    return [instance_id, year, month, instance_id, adapt(start), adapt(end)]


def microsoft_side_params(instance_id: int, year: int, month: int, run_id: int, tolerance: str) -> Params:
    # The tolerance appears three times in the outcome and cause CASEs, in this order.
    return [instance_id, year, month, run_id, tolerance, tolerance, instance_id, instance_id]


def our_side_params(instance_id: int, year: int, month: int, run_id: int) -> Params:
    return [instance_id, year, month, run_id, instance_id]


_PERIOD = "l.instance_id = %s AND l.year = %s AND l.month = %s"
_BY_ID = """(SELECT s.pc_subscription_id AS pc, MIN(s.id) AS sid FROM bss_subscription s
  JOIN bss_microsofttenant t ON t.id = s.tenant_id
  WHERE t.instance_id = %s AND s.pc_subscription_id IS NOT NULL GROUP BY s.pc_subscription_id)"""
_BY_ORDER = """(SELECT t.pc_customer_id AS tenant, s.pc_order_id AS ord, s.pc_product_id AS product,
         s.pc_sku_id AS sku, MIN(s.id) AS sid
  FROM bss_subscription s JOIN bss_microsofttenant t ON t.id = s.tenant_id
  WHERE t.instance_id = %s AND s.pc_order_id <> ''
  GROUP BY t.pc_customer_id, s.pc_order_id, s.pc_product_id, s.pc_sku_id)"""
_ORDER_MATCH = ("l.order_id <> '' AND m.tenant = l.customer_tenant_id AND m.ord = l.order_id "
                "AND m.product = l.product_id AND m.sku = l.sku_id")
_HAS_ID = """EXISTS (SELECT 1 FROM bss_subscription s JOIN bss_microsofttenant t ON t.id = s.tenant_id
  WHERE t.instance_id = %s AND s.pc_subscription_id = l.pc_subscription_id)"""
_HAS_ORDER = """(l.order_id <> '' AND EXISTS (
  SELECT 1 FROM bss_subscription s JOIN bss_microsofttenant t ON t.id = s.tenant_id
  WHERE t.instance_id = %s AND s.pc_order_id <> '' AND t.pc_customer_id = l.customer_tenant_id
    AND s.pc_order_id = l.order_id AND s.pc_product_id = l.product_id AND s.pc_sku_id = l.sku_id))"""

#: Resolving the BSS subscription of each line writes only the lines whose answer changed (a million lines already
#: resolved cost a read, not a rewrite). By Partner Center subscription id first, then by customer tenant and order
#: (with product and SKU: an order may hold several subscriptions); first, lines that no longer match either way
#: lose the subscription they had (after an import none has one: nothing to write).
RESOLVE_BY_ID = f"""
UPDATE money_microsoftchargeline AS l SET subscription_id = m.sid, matched_by = 'subscription_id'
FROM {_BY_ID} m
WHERE {_PERIOD} AND m.pc = l.pc_subscription_id
  AND (l.subscription_id IS NULL OR l.subscription_id <> m.sid OR l.matched_by <> 'subscription_id')
"""  # noqa: S608 - built from this module's constants; values are parameters

RESOLVE_BY_ORDER = f"""
UPDATE money_microsoftchargeline AS l SET subscription_id = m.sid, matched_by = 'tenant_order'
FROM {_BY_ORDER} m
WHERE {_PERIOD} AND {_ORDER_MATCH}
  AND NOT {_HAS_ID}
  AND (l.subscription_id IS NULL OR l.subscription_id <> m.sid OR l.matched_by <> 'tenant_order')
"""  # noqa: S608 - built from this module's constants; values are parameters

RESOLVE_NONE = f"""
UPDATE money_microsoftchargeline AS l SET subscription_id = NULL, matched_by = ''
WHERE {_PERIOD} AND (l.subscription_id IS NOT NULL OR l.matched_by <> '')
  AND NOT {_HAS_ID} AND NOT {_HAS_ORDER}
"""  # noqa: S608 - built from this module's constants; values are parameters


def resolve_statements(instance_id: int, year: int, month: int) -> list[tuple[str, Params]]:
    period: Params = [instance_id, year, month]
    return [
        (RESOLVE_NONE, [*period, instance_id, instance_id]),
        (RESOLVE_BY_ID, [instance_id, *period]),
        (RESOLVE_BY_ORDER, [instance_id, *period, instance_id]),
    ]
