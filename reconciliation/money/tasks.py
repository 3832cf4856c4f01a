"""Thin tasks of Microsoft's bill: take ids, call one service. Services are imported in the body (they schedule
these tasks). No task sleeps: an export that is not ready is retried with the countdown Microsoft asked for, and the
periodic sweep picks up whatever is due (a lost retry included)."""

import logging

from celery import shared_task
from django.conf import settings

logger = logging.getLogger(__name__)


@shared_task(name="money.import_instance", acks_late=True)
def money_import_instance_task(instance_id: int) -> list[int]:
    """List the instance's invoices at Microsoft and start the import of each one not imported yet."""
    from bss.models import PartnerCenterInstance
    from reconciliation.money.services.imports import invoices_sync

    pending = invoices_sync(instance=PartnerCenterInstance.objects.get(pk=instance_id))
    for invoice in pending:
        money_import_invoice_task.delay(invoice.pk)
    return [invoice.pk for invoice in pending]


@shared_task(name="money.import_invoice", acks_late=True)
def money_import_invoice_task(invoice_id: int) -> str:
    """One step of an invoice's import; when Microsoft's export is still running, look again after its Retry-After."""
    from reconciliation.money.services.imports import invoice_import_step

    result = invoice_import_step(invoice_id=invoice_id)
    if result.retry_in is not None:
        countdown = min(result.retry_in, settings.CELERY_MAX_COUNTDOWN)
        money_import_invoice_task.apply_async((invoice_id,), countdown=countdown)
    return result.invoice.status


@shared_task(name="money.imports_sweep")
def money_imports_sweep_task() -> int:
    """Beat entry point: list every active instance's invoices, then take a step on every import that is due."""
    from bss.models import PartnerCenterInstance
    from reconciliation.money.services.imports import imports_due, invoices_sync

    for instance in PartnerCenterInstance.objects.filter(is_active=True, is_retired=False):
        try:
            invoices_sync(instance=instance)
        except Exception:
            logger.exception("money: could not list the invoices of instance %s", instance.pk)
    due = imports_due()
    for invoice_id in due:
        money_import_invoice_task.delay(invoice_id)
    return len(due)


@shared_task(name="money.match")
def money_match_task(instance_id: int, year: int, month: int) -> int:
    from bss.models import PartnerCenterInstance
    from reconciliation.money.services.matching import match_run

    return match_run(instance=PartnerCenterInstance.objects.get(pk=instance_id), year=year, month=month).pk
