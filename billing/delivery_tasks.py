"""Delivery of finalised invoices: a thin Celery task (retried while the mail server is unavailable), queued after
the transaction that finalises an invoice commits (a post_save receiver: the run writes invoices, delivery reacts).

Imported by `billing.tasks` so that the worker registers the task and connects the receiver.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from billing.models import Invoice


@shared_task(
    name="billing.tasks.invoice_deliver_task",
    bind=True,
    acks_late=True,
    max_retries=8,
)
def invoice_deliver_task(self: Any, invoice_id: int) -> str:
    from billing.services.delivery import DeliveryRetry, delivery_failed_record, invoice_deliver

    try:
        return invoice_deliver(invoice_id=invoice_id)
    except DeliveryRetry as exc:
        if self.request.retries >= self.max_retries:
            delivery_failed_record(invoice_id=invoice_id,
                                   reason=f"The e-mail was refused {self.request.retries + 1} times: {exc}")
            return "mail_failed"
        raise self.retry(exc=exc, countdown=min(60 * 2**self.request.retries, 3600)) from exc


@receiver(post_save, sender=Invoice, dispatch_uid="billing.invoice_finalised_delivery")
def _invoice_saved(sender: type[Invoice], instance: Invoice, **kwargs: Any) -> None:
    """A final invoice saved (the run's save that numbers it): mail it once the transaction commits."""
    if instance.is_final:
        invoice_id = instance.pk
        transaction.on_commit(lambda: invoice_deliver_task.delay(invoice_id))
