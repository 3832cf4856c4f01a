"""Azure usage against the simulator: the seeded Northwind estate (tests/reconciliation's), whose Azure plan has
two Azure subscriptions with daily usage, and helpers that import the way the tasks do (step after step)."""

from __future__ import annotations

import datetime as dt

from reconciliation.usage.models import UsageImport
from reconciliation.usage.services.imports import import_step
from tests.reconciliation.conftest import Estate, estate, instance, sim  # noqa: F401 - fixtures re-used here


def sim_now(handle) -> dt.datetime:
    return dt.datetime.fromisoformat(handle.control.now().replace("Z", "+00:00"))


def import_until_done(row: UsageImport | None, *, now: dt.datetime | None = None, max_steps: int = 10) -> UsageImport:
    assert row is not None, "no import was asked for"
    for _ in range(max_steps):
        result = import_step(import_id=row.pk, now=now)
        if result.retry_in is None:
            return result.usage_import
    raise AssertionError(f"{row} not imported after {max_steps} steps")


__all__ = ["Estate", "import_until_done", "sim_now"]
