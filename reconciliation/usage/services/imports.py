"""Importing Azure plan usage of an instance: every day the open month's unbilled usage so far (and, until
Microsoft invoices it, last month's), and each month the billed usage of Microsoft's new invoices.

Nothing here sleeps: a step that finds Microsoft's export still running records the operation and when to look
again, and returns that delay (the task retries itself; the sweep picks up whatever is due). Importing the same
export again stores it once: the lines are replaced atomically (`reconciliation.usage.services.lines`). After an
import is published, the budgets of the instance's customers are checked and, for a billed month, usage is billed
(tasks enqueued after commit)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Literal

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from bss.models import MicrosoftTenant, PartnerCenterInstance
from bss.partner_center import get_client, pc_error_message
from partnercenter import errors
from partnercenter.billing_types import ExportManifest
from reconciliation.usage.choices import UsageImportKind, UsageImportStatus
from reconciliation.usage.models import UsageImport, UsageLine
from reconciliation.usage.services.lines import generation_publish, lines_write

logger = logging.getLogger(__name__)

DEFAULT_RETRY_SECONDS = 30.0
MAX_RETRY_SECONDS = 600.0
STALE_IMPORT = dt.timedelta(hours=1)
#: Until this day of the month, last month's unbilled usage is imported too (Microsoft invoices from the 6th).
LAST_PERIOD_UNTIL_DAY = 10
#: A billed import bills its month's usage to customers only if the month ended recently: the first import of an
#: instance brings Microsoft's older invoices in too, whose usage was billed before the BSS knew it (staff can still
#: bill one with the `usage.bill_month` task).
BILL_MONTHS_BACK = 2


@dataclass(frozen=True)
class StepResult:
    usage_import: UsageImport
    retry_in: float | None = None


def _previous(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def unbilled_request(*, instance: PartnerCenterInstance, period: Literal["current", "last"] = "current",
                     currency: str | None = None, now: dt.datetime | None = None) -> UsageImport | None:
    """Ask for a month's unbilled usage so far (a fresh export, replacing the previous unbilled import of that
    month). None for `last` once Microsoft's invoice of that month is imported (billed usage is the truth)."""
    now = (now or timezone.now()).astimezone(dt.UTC)
    currency = (currency or instance.default_currency or "USD").upper()
    year, month = (now.year, now.month) if period == "current" else _previous(now.year, now.month)
    if period == "last" and UsageImport.objects.filter(
            instance=instance, kind=UsageImportKind.BILLED, year=year, month=month,
            status=UsageImportStatus.IMPORTED).exists():
        return None
    import_id = f"unbilled-{year}{month:02d}-{currency}"
    busy = UsageImport.objects.filter(instance=instance, import_id=import_id,
                                      status=UsageImportStatus.EXPORTING,
                                      updated_at__gt=timezone.now() - STALE_IMPORT).first()
    if busy is not None:
        return busy
    row, _ = UsageImport.objects.update_or_create(
        instance=instance, import_id=import_id,
        defaults={"kind": UsageImportKind.UNBILLED, "year": year, "month": month, "currency": currency,
                  "status": UsageImportStatus.PENDING, "operation_url": "", "retry_at": None, "error": ""})
    return row


def billed_requests(*, instance: PartnerCenterInstance) -> list[UsageImport]:
    """Record every new-commerce invoice Microsoft lists whose usage is not imported yet; returns them."""
    for invoice in get_client(instance).invoices.list():
        if not invoice.is_new_commerce:
            continue
        start = (invoice.billing_period_start or invoice.invoice_date or timezone.now()).astimezone(dt.UTC)
        UsageImport.objects.get_or_create(
            instance=instance, import_id=invoice.id,
            defaults={"kind": UsageImportKind.BILLED, "year": start.year, "month": start.month,
                      "currency": (invoice.currency_code or "").upper()})
    return list(UsageImport.objects.filter(instance=instance, kind=UsageImportKind.BILLED)
                .exclude(status=UsageImportStatus.IMPORTED))


def daily_requests(*, instance: PartnerCenterInstance, now: dt.datetime | None = None) -> list[UsageImport]:
    """The daily imports of an instance: this month's unbilled usage, last month's until it is invoiced, and the
    billed usage of new invoices."""
    now = (now or timezone.now()).astimezone(dt.UTC)
    found = [unbilled_request(instance=instance, period="current", now=now)]
    if now.day <= LAST_PERIOD_UNTIL_DAY:
        found.append(unbilled_request(instance=instance, period="last", now=now))
    rows = [row for row in found if row is not None]
    try:
        rows += billed_requests(instance=instance)
    except errors.PartnerCenterError as exc:
        logger.warning("usage: could not list the invoices of %s: %s", instance, exc)
    return rows


def _fail(row: UsageImport, message: str) -> StepResult:
    UsageImport.objects.filter(pk=row.pk).update(status=UsageImportStatus.FAILED, error=message[:2000],
                                                 operation_url="", retry_at=None, updated_at=timezone.now())
    row.refresh_from_db()
    return StepResult(row)


def _wait_later(row: UsageImport, operation_url: str, retry_after: float | None) -> StepResult:
    delay = min(max(retry_after if retry_after is not None else DEFAULT_RETRY_SECONDS, 1.0), MAX_RETRY_SECONDS)
    UsageImport.objects.filter(pk=row.pk).update(
        status=UsageImportStatus.EXPORTING, operation_url=operation_url,
        retry_at=timezone.now() + dt.timedelta(seconds=delay), updated_at=timezone.now())
    row.refresh_from_db()
    return StepResult(row, retry_in=delay)


def _period_of(row: UsageImport, now: dt.datetime) -> Literal["current", "last"]:
    return "current" if (row.year, row.month) == (now.year, now.month) else "last"


def import_step(*, import_id: int, now: dt.datetime | None = None) -> StepResult:
    """One step of an import, without waiting: start Microsoft's export (or look at the running one); when it is
    ready, stream every row in and publish them."""
    with transaction.atomic():
        row = UsageImport.objects.select_for_update().select_related("instance").get(pk=import_id)
        if row.status == UsageImportStatus.IMPORTED:
            return StepResult(row)
        row.attempts += 1
        row.save(update_fields=["attempts", "updated_at"])
    usage = get_client(row.instance).usage
    operation_url = row.operation_url
    try:
        if not operation_url:
            if row.kind == UsageImportKind.UNBILLED:
                period = _period_of(row, (now or timezone.now()).astimezone(dt.UTC))
                operation_url = usage.export_unbilled(currency_code=row.currency or "USD", billing_period=period)
            else:
                operation_url = usage.export_billed(row.import_id)
        manifest = usage.wait(operation_url, max_polls=1)
    except errors.ExportNotReadyError as exc:
        return _wait_later(row, exc.operation_url, exc.retry_after)
    except errors.ExportExpiredError:
        return _wait_later(row, "", 1.0)
    except errors.ExportOperationFailedError as exc:
        return _fail(row, f"Microsoft's usage export failed ({exc.error_code}): {exc}")
    except errors.PartnerCenterError as exc:
        if exc.retryable:
            return _wait_later(row, operation_url, exc.retry_after)
        return _fail(row, pc_error_message(exc))
    return _stream(row, manifest)


def _customers(instance: PartnerCenterInstance) -> dict[str, int]:
    pairs = MicrosoftTenant.objects.filter(instance=instance, pc_customer_id__isnull=False).values_list(
        "pc_customer_id", "customer_id")
    return {str(tenant).lower(): customer for tenant, customer in pairs}


def _stream(row: UsageImport, manifest: ExportManifest) -> StepResult:
    usage = get_client(row.instance).usage
    UsageLine.objects.filter(usage_import=row).exclude(generation=row.generation).delete()  # a half-done attempt
    generation = max(UsageLine.objects.filter(usage_import=row).aggregate(g=Max("generation"))["g"] or 0,
                     row.generation) + 1
    customers = _customers(row.instance)
    try:
        written = sum(lines_write(row, generation, usage.iter_blob(manifest, blob), customers)
                      for blob in manifest.blobs)
    except errors.ExportExpiredError:
        UsageLine.objects.filter(usage_import=row, generation=generation).delete()
        return _wait_later(row, "", 1.0)
    except errors.PartnerCenterError as exc:
        UsageLine.objects.filter(usage_import=row, generation=generation).delete()
        if exc.retryable:
            return _wait_later(row, "", None)
        return _fail(row, pc_error_message(exc))
    row = generation_publish(row, generation)
    logger.info("usage import: %s lines of %s", written, row)
    _after_publish(row)
    return StepResult(row)


def _after_publish(row: UsageImport) -> None:
    from reconciliation.usage import tasks  # the task module imports this one

    instance_id = row.instance_id
    transaction.on_commit(lambda: tasks.usage_alerts_task.delay(instance_id))
    now = timezone.now().astimezone(dt.UTC)
    months_ago = (now.year - row.year) * 12 + now.month - row.month
    if row.kind == UsageImportKind.BILLED and months_ago <= BILL_MONTHS_BACK:
        year, month = row.year, row.month
        transaction.on_commit(lambda: tasks.usage_bill_month_task.delay(instance_id, year, month))


def imports_due(*, now: dt.datetime | None = None) -> list[int]:
    """Imports that should take a step now: never started, or their export's time to look again has come."""
    now = now or timezone.now()
    due = UsageImport.objects.filter(instance__is_active=True).filter(
        Q(status=UsageImportStatus.PENDING) | Q(status=UsageImportStatus.EXPORTING, retry_at__lte=now))
    return list(due.values_list("pk", flat=True))
