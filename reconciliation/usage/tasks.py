"""Thin tasks of Azure usage: take ids, call one service. Services are imported in the body (they schedule these
tasks). No task sleeps: an export that is not ready is retried with Microsoft's Retry-After."""

import logging

from celery import shared_task
from django.conf import settings

logger = logging.getLogger(__name__)


@shared_task(name="usage.import_instance", acks_late=True)
def usage_import_instance_task(instance_id: int) -> list[int]:
    """The instance's daily usage imports (unbilled this month, last month until invoiced, billed invoices)."""
    from bss.models import PartnerCenterInstance
    from reconciliation.usage.services.imports import daily_requests

    rows = daily_requests(instance=PartnerCenterInstance.objects.get(pk=instance_id))
    for row in rows:
        usage_import_step_task.delay(row.pk)
    return [row.pk for row in rows]


@shared_task(name="usage.import_step", acks_late=True)
def usage_import_step_task(import_id: int) -> str:
    from reconciliation.usage.services.imports import import_step

    result = import_step(import_id=import_id)
    if result.retry_in is not None:
        usage_import_step_task.apply_async((import_id,), countdown=min(result.retry_in,
                                                                       settings.CELERY_MAX_COUNTDOWN))
    return result.usage_import.status


@shared_task(name="usage.daily")
def usage_daily_task() -> int:
    """Beat entry point: every active instance's daily usage imports."""
    from bss.models import PartnerCenterInstance

    count = 0
    for instance in PartnerCenterInstance.objects.filter(is_active=True, is_retired=False):
        usage_import_instance_task.delay(instance.pk)
        count += 1
    return count


@shared_task(name="usage.sweep")
def usage_sweep_task() -> int:
    """Beat entry point: step every usage import that is due (a lost retry included)."""
    from reconciliation.usage.services.imports import imports_due

    due = imports_due()
    for import_id in due:
        usage_import_step_task.delay(import_id)
    return len(due)


@shared_task(name="usage.alerts")
def usage_alerts_task(instance_id: int) -> int:
    """Check every budget of the instance's customers (thresholds, forecast, spike); returns alerts sent."""
    from reconciliation.usage.services.alerts import alerts_check

    return len(alerts_check(instance_id=instance_id))


@shared_task(name="usage.bill_month")
def usage_bill_month_task(instance_id: int, year: int, month: int) -> int:
    """Put a billed month's usage on the customers' invoices (once per customer, subscription and category)."""
    from reconciliation.usage.services.charges import usage_bill_month

    return len(usage_bill_month(instance_id=instance_id, year=year, month=month))
