"""Thin tasks of the core: GDAP (read relationship statuses and assign access; expiry notices), and the retry hook
shared by tasks that call Partner Center under the shared rate limit (`partner_center_budget`)."""

from collections.abc import Iterator
from contextlib import contextmanager

from celery import Task, shared_task
from django.conf import settings


@shared_task(name="bss.tasks.gdap_sync_task", acks_late=True)
def gdap_sync_task() -> int:
    """Read every open GDAP relationship from Microsoft Graph; give access to the template's groups once active."""
    from bss.services import gdap

    return gdap.gdap_sync_open()


@shared_task(name="bss.tasks.gdap_daily_task", acks_late=True)
def gdap_daily_task() -> dict[str, int]:
    """Daily: read every open relationship (expiring / expired come from Microsoft), then send the expiry notices
    due (30, 7, 1 days before the end, each once)."""
    from bss.services import gdap

    return {"synced": gdap.gdap_sync_open(), "notices": gdap.gdap_expiry_notices_send()}


@contextmanager
def partner_center_budget(task: Task) -> Iterator[None]:
    """The shared retry hook of tasks that make one Partner Center call (or one customer's calls) and can be
    rescheduled: inside the block the rate limiter waits at most PARTNER_CENTER_RATE_LIMIT_MAX_WAIT_SECONDS, and
    when the budget is spent for longer the task retries itself once a token exists (`task.retry(countdown=wait)`)
    instead of sleeping in the worker. Executed in-process (eager), the limiter paces by sleeping as before."""
    from partnercenter.errors import RateBudgetExhaustedError
    from partnercenter.ratelimit import wait_cap

    if task.request.is_eager:
        yield
        return
    try:
        with wait_cap(settings.PARTNER_CENTER_RATE_LIMIT_MAX_WAIT_SECONDS):
            yield
    except RateBudgetExhaustedError as exc:
        countdown = min(max(exc.wait, 0.5), settings.CELERY_MAX_COUNTDOWN)
        raise task.retry(exc=exc, countdown=countdown) from exc
