"""Writing usage lines as they stream in: PostgreSQL's ``COPY`` (psycopg 3), ``bulk_create`` in batches elsewhere;
nothing holds more than one batch. Lines go to a new `generation` that `generation_publish` makes current in one
transaction (deleting the previous one), so readers never see half an import."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import islice
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from partnercenter.usage_types import UsageLineItem
from reconciliation.usage.choices import UsageImportStatus
from reconciliation.usage.models import UsageImport, UsageLine

BATCH = 5000
COPY_BATCH = 50_000

COLUMNS = (
    "usage_import_id", "generation", "instance_id", "year", "month", "usage_date", "customer_tenant_id",
    "customer_name", "customer_id", "pc_subscription_id", "entitlement_id", "entitlement_name", "meter_id",
    "meter_name", "meter_category", "meter_subcategory", "meter_region", "unit", "quantity", "unit_price",
    "effective_unit_price", "pricing_total", "billing_total", "currency", "pricing_currency", "exchange_rate",
    "pec_percent", "resource_group", "attributes",
)
_KEPT = ("resource_uri", "resource_location", "consumed_service", "meter_type", "charge_type", "credit_type",
         "credit_percentage", "benefit_type", "tier2_mpn_id", "invoice_number", "sku_id", "product_id")


def _text(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def line_values(usage_import: UsageImport, generation: int, item: UsageLineItem,
                customers: dict[str, int]) -> tuple[Any, ...]:
    """One usage row as a row of `COLUMNS` (`customers`: tenant id → BSS customer id)."""
    day = item.usage_date.astimezone(dt.UTC).date() if item.usage_date else None
    if day is None:
        day = dt.date(usage_import.year, usage_import.month, 1)
    tenant = _text(item.customer_id, 64).lower()
    attributes = {name: _jsonable(value) for name in _KEPT if (value := getattr(item, name)) not in (None, "")}
    attributes.update({str(k): _jsonable(v) for k, v in (item.extra or {}).items()})
    return (
        usage_import.pk, generation, usage_import.instance_id, day.year, day.month, day, tenant,
        _text(item.customer_name, 255), customers.get(tenant), _text(item.subscription_id, 64).lower(),
        _text(item.entitlement_id, 64).lower(), _text(item.entitlement_description, 255), _text(item.meter_id, 64),
        _text(item.meter_name, 255), _text(item.meter_category, 100), _text(item.meter_sub_category, 255),
        _text(item.meter_region, 64), _text(item.unit or item.unit_type, 64), item.quantity, item.unit_price,
        item.effective_unit_price, item.pricing_pre_tax_total, item.billing_pre_tax_total or Decimal(0),
        _text(item.billing_currency, 3).upper(), _text(item.pricing_currency, 3).upper(), item.pc_to_bc_exchange_rate,
        item.partner_earned_credit_percentage, _text(item.resource_group, 255), attributes,
    )


def _copy(rows: Iterator[tuple[Any, ...]], limit: int) -> int:
    statement = f"COPY {UsageLine._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN"
    attributes = COLUMNS.index("attributes")
    written = 0
    with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in islice(rows, limit):
            values = list(row)
            values[attributes] = json.dumps(values[attributes])
            copy.write_row(values)
            written += 1
    return written


def _bulk(rows: Iterator[tuple[Any, ...]], limit: int) -> int:
    batch = [UsageLine(**dict(zip(COLUMNS, row, strict=True))) for row in islice(rows, limit)]
    UsageLine.objects.bulk_create(batch, batch_size=BATCH)
    return len(batch)


def lines_write(usage_import: UsageImport, generation: int, items: Iterable[UsageLineItem],
                customers: dict[str, int]) -> int:
    """Write `items` as lines of `generation`, committing per batch; returns how many were written."""
    rows = (line_values(usage_import, generation, item, customers) for item in items)
    written = 0
    while True:
        count = _copy(rows, COPY_BATCH) if connection.vendor == "postgresql" else _bulk(rows, BATCH)
        if not count:
            return written
        written += count
        UsageImport.objects.filter(pk=usage_import.pk).update(line_count=written, updated_at=timezone.now())


@transaction.atomic
def generation_publish(usage_import: UsageImport, generation: int) -> UsageImport:
    """Make `generation` the import's lines, drop the others, mark it imported (one transaction)."""
    row = UsageImport.objects.select_for_update().get(pk=usage_import.pk)
    UsageLine.objects.filter(usage_import=row).exclude(generation=generation).delete()
    lines = UsageLine.objects.filter(usage_import=row, generation=generation)
    row.generation = generation
    row.line_count = lines.count()
    row.total = lines.aggregate(total=Sum("billing_total"))["total"] or Decimal(0)
    row.status = UsageImportStatus.IMPORTED
    row.operation_url = ""
    row.retry_at = None
    row.error = ""
    row.imported_at = timezone.now()
    row.save()
    return row
