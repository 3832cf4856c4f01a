"""The result report of an import run: one row per customer (and per object created or skipped), the counters,
and the CSV download."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bss.models import Customer
from reconciliation.imports import selectors
from reconciliation.imports.choices import Outcome, RowObject
from reconciliation.imports.models import ImportItem, ImportResultRow, ImportRun


def item_finish(run: ImportRun, item: ImportItem, outcome: str, reason: str, customer: Customer | None = None) -> None:
    """Record a customer's outcome (once) with its report row and the run's counters."""
    with transaction.atomic():
        locked = ImportItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        if locked.outcome:
            return
        item_set_outcome(run, locked, outcome, reason, customer, counts_as_done=locked.selected)


def item_set_outcome(
    run: ImportRun, item: ImportItem, outcome: str, reason: str, customer: Customer | None, *, counts_as_done: bool
) -> None:
    item.outcome = outcome
    item.reason = reason[:500]
    item.customer = customer or item.customer
    item.processed_at = timezone.now()
    item.save(update_fields=["outcome", "reason", "customer", "processed_at"])
    ImportResultRow.objects.create(
        run=run,
        item=item,
        object_type=RowObject.CUSTOMER,
        pc_id=item.pc_customer_id,
        name=item.company_name,
        outcome=outcome,
        reason=item.reason,
        bss_id=item.customer.pk if item.customer else None,
    )
    counter = {
        Outcome.CREATED: "created_count",
        Outcome.LINKED: "linked_count",
        Outcome.SKIPPED: "skipped_count",
        Outcome.FAILED: "failed_count",
    }[Outcome(outcome)]
    updates: dict[str, Any] = {counter: F(counter) + 1}
    if counts_as_done:
        updates["customers_done"] = F("customers_done") + 1
    ImportRun.objects.filter(pk=run.pk).update(**updates)


def result_row(
    run: ImportRun, item: ImportItem, kind: str, pc_id: str, name: str, outcome: str, reason: str, bss_id: int | None
) -> ImportResultRow:
    return ImportResultRow(
        run=run,
        item=item,
        object_type=kind,
        pc_id=pc_id[:64],
        name=name[:255],
        outcome=outcome,
        reason=reason[:500],
        bss_id=bss_id,
    )


# --- report ------------------------------------------------------------------------------------------------

REPORT_COLUMNS = ["object", "partner_center_id", "name", "outcome", "reason", "bss_id", "customer", "domain"]


def _csv_safe(value: object) -> str:
    """Neutralise spreadsheet formulas in values that came from Partner Center or users."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def import_report_rows(*, run: ImportRun) -> Iterator[list[str]]:
    yield REPORT_COLUMNS
    for row in selectors.run_rows(run=run).iterator(chunk_size=1000):
        item = row.item
        yield [
            _csv_safe(v)
            for v in (
                row.object_type,
                row.pc_id,
                row.name,
                row.outcome,
                row.reason,
                row.bss_id if row.bss_id is not None else "",
                item.company_name if item else "",
                item.domain if item else "",
            )
        ]
