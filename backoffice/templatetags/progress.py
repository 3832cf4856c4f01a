"""{% progress_bar done total started_at "element-id" %}: a long job's progress (catalog sync, import,
reconciliation run) as the shared partial partials/progress.html shows it: a bar, done / total with the percentage,
and an estimate of the time left from the pace so far (elapsed time x what is left / what is done)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


def remaining(done: int, total: int, started_at: dt.datetime | None, now: dt.datetime | None = None
              ) -> dt.timedelta | None:
    """Time left at the pace so far; None before the first item is done, once all are, or without a start."""
    if not started_at or not total or done <= 0 or done >= total:
        return None
    elapsed = ((now or timezone.now()) - started_at).total_seconds()
    if elapsed <= 0:
        return None
    return dt.timedelta(seconds=round(elapsed * (total - done) / done))


def describe(left: dt.timedelta) -> str:
    seconds = int(left.total_seconds())
    if seconds < 60:
        return "less than a minute left"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"about {minutes} minute{'s' if minutes != 1 else ''} left"
    return f"about {round(minutes / 60, 1):g} hours left"


@register.inclusion_tag("partials/progress.html", takes_context=True)
def progress_bar(context: dict[str, Any], done: int | None, total: int | None, started_at: dt.datetime | None,
                 element_id: str, estimate: bool = False) -> dict[str, Any]:
    """`estimate`: the total is itself an estimate (e.g. the size of the last catalog), shown as "about"."""
    done, total = int(done or 0), int(total or 0)
    percent = min(100, int(100 * done / total)) if total else 0
    left = remaining(done, total, started_at)
    return {
        "request": context.get("request"),
        "id": element_id,
        "done": done,
        "total": total,
        "percent": percent,
        "left": describe(left) if left is not None else "",
        "estimate": estimate,
    }
