"""Thin tasks: the daily renewal-reminder sweep."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="storefront.workspace.tasks.renewal_reminders_task", acks_late=True)
def renewal_reminders_task() -> int:
    """Send the renewal reminders due today (each subscription and term end once); returns how many went out."""
    from storefront.workspace import services

    return services.renewal_reminders_send(today=timezone.localdate())
