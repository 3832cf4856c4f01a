"""Thin tasks of the core: GDAP (read relationship statuses and assign access; expiry notices)."""

from celery import shared_task


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
