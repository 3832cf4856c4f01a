"""When invoice runs start: on each issuer's billing day (in its time zone), for the month that has just ended."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from billing.choices import RunStatus
from billing.models import InvoiceRun, Issuer
from billing.rating import BillingPeriod
from billing.services.runs import invoice_run_create, period_has_ended


def previous_period(day: dt.date) -> BillingPeriod:
    first = day.replace(day=1) - dt.timedelta(days=1)
    return BillingPeriod(first.year, first.month)


def invoice_runs_due(*, now: dt.datetime | None = None) -> list[InvoiceRun]:
    """A finalising run of last month for every issuer whose billing day is today and that has none yet."""
    now = now or timezone.now()
    started = []
    for issuer in Issuer.objects.all():
        try:
            today = now.astimezone(ZoneInfo(issuer.time_zone)).date()
        except (KeyError, ValueError):
            today = now.astimezone(dt.UTC).date()
        if today.day != issuer.billing_day:
            continue
        period = previous_period(today)
        if not period_has_ended(period, now=now):
            continue  # ahead of UTC: Microsoft's month (UTC) has not ended yet; the next day's check starts it
        exists = InvoiceRun.objects.filter(
            issuer=issuer, year=period.year, month=period.month, finalise=True
        ).exclude(status=RunStatus.FAILED)
        if not exists.exists():
            started.append(invoice_run_create(year=period.year, month=period.month, finalise=True, issuer=issuer))
    return started
