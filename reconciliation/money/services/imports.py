"""Importing Microsoft's bill of an instance: list its invoices, export each new-commerce invoice's reconciliation
lines and stream them in; on demand, the open period's unbilled lines so far.

Nothing here sleeps. A step that finds Microsoft's export still running records the operation URL and when to look
again on the invoice row and returns that delay: the task retries itself with that countdown, and the periodic sweep
(`money_imports_due`) picks up any invoice whose time has come (a lost task included). Importing the same invoice
again stores it once: the lines are replaced atomically (`reconciliation.money.services.lines`)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from bss.models import PartnerCenterInstance
from bss.partner_center import get_client, pc_error_message
from partnercenter import errors
from partnercenter.billing_types import ExportManifest
from partnercenter.billing_types import Invoice as PcInvoice
from reconciliation.money.choices import ImportStatus, InvoiceKind
from reconciliation.money.models import MicrosoftChargeLine, MicrosoftInvoice
from reconciliation.money.services.lines import generation_discard_partial, generation_publish, lines_write_json

logger = logging.getLogger(__name__)

#: Seconds before looking at a running export again when Microsoft sends no Retry-After.
DEFAULT_RETRY_SECONDS = 30.0
MAX_RETRY_SECONDS = 600.0
#: An import that has not moved for this long was abandoned (its worker died): another step may take it over.
STALE_IMPORT = dt.timedelta(hours=1)


@dataclass(frozen=True)
class StepResult:
    """What one import step did: `retry_in` seconds when Microsoft's export is not ready (None when finished)."""

    invoice: MicrosoftInvoice
    retry_in: float | None = None


def _period(invoice: PcInvoice) -> tuple[int, int]:
    start = invoice.billing_period_start or invoice.invoice_date or timezone.now()
    start = start.astimezone(dt.UTC)
    return start.year, start.month


def invoices_sync(*, instance: PartnerCenterInstance) -> list[MicrosoftInvoice]:
    """Record every new-commerce invoice Microsoft lists for the instance (new ones wait for import; known ones get
    their total refreshed). Returns the invoices not imported yet."""
    client = get_client(instance)
    for pc in client.invoices.list():
        if not pc.is_new_commerce:
            continue  # legacy D… invoices have no v2 reconciliation export
        year, month = _period(pc)
        row, created = MicrosoftInvoice.objects.get_or_create(
            instance=instance, invoice_id=pc.id,
            defaults={"kind": InvoiceKind.BILLED, "year": year, "month": month, "invoice_date": pc.invoice_date,
                      "total": pc.total_charges, "currency": (pc.currency_code or "").upper()},
        )
        if not created and row.total != pc.total_charges:
            MicrosoftInvoice.objects.filter(pk=row.pk).update(total=pc.total_charges, updated_at=timezone.now())
    return list(MicrosoftInvoice.objects.filter(instance=instance, kind=InvoiceKind.BILLED)
                .exclude(status=ImportStatus.IMPORTED))


def unbilled_request(*, instance: PartnerCenterInstance, currency: str | None = None,
                     now: dt.datetime | None = None) -> MicrosoftInvoice:
    """Ask for the open period's unbilled lines so far (on demand): a fresh export each time, replacing the previous
    unbilled import of the period."""
    now = (now or timezone.now()).astimezone(dt.UTC)
    currency = (currency or instance.default_currency or "USD").upper()
    invoice_id = f"unbilled-{now:%Y%m}-{currency}"
    busy = MicrosoftInvoice.objects.filter(
        instance=instance, invoice_id=invoice_id, status__in=[ImportStatus.EXPORTING, ImportStatus.IMPORTING],
        updated_at__gt=timezone.now() - STALE_IMPORT).first()
    if busy is not None:
        return busy  # already on its way
    row, _ = MicrosoftInvoice.objects.update_or_create(
        instance=instance, invoice_id=invoice_id,
        defaults={"kind": InvoiceKind.UNBILLED, "year": now.year, "month": now.month, "currency": currency,
                  "status": ImportStatus.PENDING, "operation_url": "", "retry_at": None, "error": "",
                  "invoice_date": None},
    )
    return row


def unbilled_import_start(*, instance: PartnerCenterInstance, currency: str | None = None) -> MicrosoftInvoice:
    """On demand (a page, the API): ask for the open period's unbilled lines; the worker imports them after commit."""
    row = unbilled_request(instance=instance, currency=currency)
    from reconciliation.money import tasks  # the task module imports this one

    transaction.on_commit(lambda: tasks.money_import_invoice_task.delay(row.pk))
    return row


def invoice_reimport(*, invoice: MicrosoftInvoice) -> MicrosoftInvoice:
    """Import an invoice again (its lines are replaced once the new export is in)."""
    MicrosoftInvoice.objects.filter(pk=invoice.pk).update(
        status=ImportStatus.PENDING, operation_url="", retry_at=None, error="", updated_at=timezone.now())
    invoice.refresh_from_db()
    return invoice


def _fail(invoice: MicrosoftInvoice, message: str) -> StepResult:
    MicrosoftInvoice.objects.filter(pk=invoice.pk).update(
        status=ImportStatus.FAILED, error=message[:2000], operation_url="", retry_at=None, updated_at=timezone.now())
    invoice.refresh_from_db()
    return StepResult(invoice)


def _wait_later(invoice: MicrosoftInvoice, operation_url: str, retry_after: float | None) -> StepResult:
    delay = min(max(retry_after if retry_after is not None else DEFAULT_RETRY_SECONDS, 1.0), MAX_RETRY_SECONDS)
    MicrosoftInvoice.objects.filter(pk=invoice.pk).update(
        status=ImportStatus.EXPORTING, operation_url=operation_url,
        retry_at=timezone.now() + dt.timedelta(seconds=delay), updated_at=timezone.now())
    invoice.refresh_from_db()
    return StepResult(invoice, retry_in=delay)


def _claim(invoice_id: int) -> MicrosoftInvoice | None:
    """The invoice, locked and marked as being worked on, unless it is imported or being streamed (nothing to do)."""
    with transaction.atomic():
        invoice = MicrosoftInvoice.objects.select_for_update().select_related("instance").get(pk=invoice_id)
        if invoice.status == ImportStatus.IMPORTED:
            return None
        if invoice.status == ImportStatus.IMPORTING and invoice.updated_at > timezone.now() - STALE_IMPORT:
            return None  # another worker is streaming it
        invoice.attempts += 1
        invoice.save(update_fields=["attempts", "updated_at"])
        return invoice


def invoice_import_step(*, invoice_id: int) -> StepResult:
    """One step of an invoice's import, without waiting: start Microsoft's export (or look at the running one);
    when it is ready, stream every line in and publish them. Returns when to look again if it is not ready."""
    invoice = _claim(invoice_id)
    if invoice is None:
        return StepResult(MicrosoftInvoice.objects.get(pk=invoice_id))
    recon = get_client(invoice.instance).reconciliation
    operation_url = invoice.operation_url
    try:
        if not operation_url:
            if invoice.kind == InvoiceKind.UNBILLED:
                operation_url = recon.export_unbilled(currency_code=invoice.currency or "USD")
            else:
                operation_url = recon.export_billed(invoice.invoice_id)
        manifest = recon.wait(operation_url, max_polls=1)  # one look, never a sleep
    except errors.ExportNotReadyError as exc:
        return _wait_later(invoice, exc.operation_url, exc.retry_after)
    except errors.ExportExpiredError:
        return _wait_later(invoice, "", 1.0)  # the export's links expired: a new export on the next step
    except errors.ExportOperationFailedError as exc:
        return _fail(invoice, f"Microsoft's export failed ({exc.error_code}): {exc}")
    except errors.PartnerCenterError as exc:
        if exc.retryable:
            return _wait_later(invoice, operation_url, exc.retry_after)
        return _fail(invoice, pc_error_message(exc))
    return _stream(invoice, operation_url, manifest)


def _stream(invoice: MicrosoftInvoice, operation_url: str, manifest: ExportManifest) -> StepResult:
    recon = get_client(invoice.instance).reconciliation
    now = timezone.now()
    claimable = Q(status__in=[ImportStatus.PENDING, ImportStatus.EXPORTING, ImportStatus.FAILED]) | Q(
        status=ImportStatus.IMPORTING, updated_at__lte=now - STALE_IMPORT)
    taken = MicrosoftInvoice.objects.filter(claimable, pk=invoice.pk).update(
        status=ImportStatus.IMPORTING, operation_url=operation_url, blobs_done=0, blobs_total=len(manifest.blobs),
        line_count=0, updated_at=now)
    if not taken:  # another worker is streaming this invoice
        return StepResult(MicrosoftInvoice.objects.get(pk=invoice.pk))
    generation_discard_partial(invoice)
    last = MicrosoftChargeLine.objects.filter(invoice=invoice).aggregate(g=Max("generation"))["g"] or 0
    generation = max(last, invoice.generation) + 1
    written = 0
    try:
        for blob in manifest.blobs:
            written += lines_write_json(invoice, generation, recon.iter_blob_lines(manifest, blob), start=written)
            MicrosoftInvoice.objects.filter(pk=invoice.pk).update(blobs_done=F("blobs_done") + 1)
    except errors.ExportExpiredError:
        MicrosoftChargeLine.objects.filter(invoice=invoice, generation=generation).delete()
        return _wait_later(invoice, "", 1.0)
    except errors.PartnerCenterError as exc:
        MicrosoftChargeLine.objects.filter(invoice=invoice, generation=generation).delete()
        if exc.retryable:
            return _wait_later(invoice, "", None)
        return _fail(invoice, pc_error_message(exc))
    invoice = generation_publish(invoice, generation, etag=manifest.etag or "")
    logger.info("money import: %s lines of %s", written, invoice)
    return StepResult(invoice)


def imports_due(*, now: dt.datetime | None = None) -> list[int]:
    """Invoices whose import should take a step now: never started, or their export's time to look again has come
    (the sweep's work; a task lost on the way is picked up here)."""
    now = now or timezone.now()
    due = MicrosoftInvoice.objects.filter(instance__is_active=True).filter(
        Q(status=ImportStatus.PENDING) | Q(status=ImportStatus.EXPORTING, retry_at__lte=now)
        | Q(status=ImportStatus.IMPORTING, updated_at__lte=now - STALE_IMPORT)
    )
    return list(due.values_list("pk", flat=True))
