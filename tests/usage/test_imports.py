"""Importing Azure usage from the simulator: the daily unbilled import and the monthly billed one, stored once
whatever runs twice, tasks that never wait for Microsoft's export, a failed export recorded, and a month of usage
imported every day adding up, day by day, to Microsoft's billed usage of that month."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Literal

import pytest
from django.db.models import Sum

from reconciliation.usage.choices import UsageImportKind, UsageImportStatus
from reconciliation.usage.models import UsageImport, UsageLine
from reconciliation.usage.selectors import month_lines, usage_summary
from reconciliation.usage.services.imports import (
    billed_requests,
    daily_requests,
    import_step,
    imports_due,
    unbilled_request,
)
from tests.usage.conftest import import_until_done, sim_now

pytestmark = pytest.mark.django_db


def _per_day(lines) -> dict[dt.date, Decimal]:
    return {row["usage_date"]: row["total"] for row in
            lines.values("usage_date").annotate(total=Sum("billing_total")).order_by("usage_date")}


def test_daily_import_brings_the_seeded_azure_plan_usage_in_for_the_customer(sim, estate):
    now = sim_now(sim)
    rows = daily_requests(instance=estate.instance, now=now)
    kinds = {(r.kind, r.year, r.month) for r in rows}
    assert (UsageImportKind.UNBILLED, now.year, now.month) in kinds
    for row in rows:
        import_until_done(row, now=now)

    last = (now.replace(day=1) - dt.timedelta(days=1))
    lines = month_lines(last.year, last.month).filter(customer=estate.tenant.customer)
    assert lines.exists(), "the seeded Azure plan has usage for the last period"
    assert lines.values("entitlement_id").distinct().count() == 2
    assert set(lines.values_list("pc_subscription_id", flat=True)) == {estate.pc["azure_plan"].id.lower()}
    billed = UsageImport.objects.filter(instance=estate.instance, kind=UsageImportKind.BILLED, year=last.year,
                                        month=last.month, status=UsageImportStatus.IMPORTED)
    assert billed.exists(), "last month's invoice is imported: its usage is the billed one"
    assert set(lines.values_list("usage_import__kind", flat=True)) == {UsageImportKind.BILLED}
    assert len(_per_day(lines)) == last.day

    summary = usage_summary(estate.tenant.customer, last.year, last.month)
    assert summary.closed and summary.forecast == summary.total
    assert summary.total == lines.aggregate(t=Sum("billing_total"))["t"]
    assert {r.meter_category for r in summary.rows} >= {"Virtual Machines"} or len(summary.rows) >= 2


def test_the_same_import_twice_is_stored_once(sim, estate):
    now = sim_now(sim)
    row = import_until_done(unbilled_request(instance=estate.instance, period="last", now=now), now=now)
    before = list(UsageLine.objects.current().filter(usage_import=row)
                  .values_list("usage_date", "entitlement_id", "meter_id", "quantity", "billing_total"))
    again = unbilled_request(instance=estate.instance, period="last", now=now)
    assert again.pk == row.pk
    again = import_until_done(again, now=now)

    assert again.generation == row.generation + 1 and again.status == UsageImportStatus.IMPORTED
    assert UsageLine.objects.filter(usage_import=row).count() == len(before)  # old generation gone
    assert list(UsageLine.objects.current().filter(usage_import=row)
                .values_list("usage_date", "entitlement_id", "meter_id", "quantity", "billing_total")) == before
    assert again.total == sum(b[-1] for b in before)
    assert import_step(import_id=row.pk, now=now).retry_in is None  # imported: nothing more to do
    billed = billed_requests(instance=estate.instance)
    assert billed_requests(instance=estate.instance) == billed  # listing again adds nothing


def test_a_step_never_waits_and_the_sweep_finds_it_due(sim, estate):
    sim.control.configure(billing_export_polls=5, billing_retry_after_seconds=90)
    now = sim_now(sim)
    row = unbilled_request(instance=estate.instance, period="current", now=now)
    step = import_step(import_id=row.pk, now=now)

    assert step.retry_in == 90 and step.usage_import.status == UsageImportStatus.EXPORTING
    assert step.usage_import.operation_url
    assert row.pk not in imports_due()
    assert step.usage_import.retry_at is not None
    assert row.pk in imports_due(now=step.usage_import.retry_at + dt.timedelta(seconds=1))


def test_a_failed_export_is_recorded_and_can_be_retried(sim, estate):
    now = sim_now(sim)
    sim.control.billing_fault("operation_failed", message="No data available")
    row = unbilled_request(instance=estate.instance, period="last", now=now)
    failed = import_until_done(row, now=now)
    assert failed.status == UsageImportStatus.FAILED and "No data available" in failed.error

    retried = import_until_done(unbilled_request(instance=estate.instance, period="last", now=now), now=now)
    assert retried.status == UsageImportStatus.IMPORTED and retried.line_count > 0


def test_a_month_imported_daily_equals_the_billed_usage_at_month_end(sim, estate):
    start = sim_now(sim)
    first = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1, hour=6, minute=0, second=0, microsecond=0)
    sim.control.set_clock(first.isoformat())
    seen: dict[dt.date, Decimal] = {}
    now = first
    days = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - first
    for _ in range(days.days):
        now = now + dt.timedelta(days=1)
        sim.control.set_clock(now.isoformat())
        period: Literal["current", "last"] = "current" if now.month == first.month else "last"
        row = import_until_done(unbilled_request(instance=estate.instance, period=period, now=now), now=now)
        daily = _per_day(UsageLine.objects.current().filter(usage_import=row))
        yesterday = (now - dt.timedelta(days=1)).date()
        assert yesterday in daily, f"{yesterday} imported on the next day"
        for day, amount in daily.items():  # a day imported once never changes afterwards
            assert seen.setdefault(day, amount) == amount
    assert len(seen) == days.days and min(seen) == first.date()

    after = now.replace(day=10)
    sim.control.set_clock(after.isoformat())
    for row in billed_requests(instance=estate.instance):
        import_until_done(row, now=after)
    billed = UsageLine.objects.current().filter(usage_import__kind=UsageImportKind.BILLED, year=first.year,
                                                month=first.month)
    assert billed.exists()
    assert _per_day(billed) == seen
    assert billed.aggregate(t=Sum("billing_total"))["t"] == sum(seen.values())
    # Once billed, the month's lines are the billed ones (the unbilled import is not counted twice).
    assert _per_day(month_lines(first.year, first.month)) == seen
    assert unbilled_request(instance=estate.instance, period="last", now=after) is None


def test_lines_of_tenants_unknown_to_the_bss_have_no_customer(sim, instance):
    now = sim_now(sim)
    row = import_until_done(unbilled_request(instance=instance, period="last", now=now), now=now)
    assert row.line_count > 0
    assert not UsageLine.objects.filter(usage_import=row, customer__isnull=False).exists()
    by_customer: dict[str, int] = defaultdict(int)
    for tenant in UsageLine.objects.filter(usage_import=row).values_list("customer_tenant_id", flat=True):
        by_customer[tenant] += 1
    assert len(by_customer) == 1
