"""What a usage page shows, the same on both doors (workspace and back office): the month's summary, the chart by
day with the forecast's daily average, the Azure subscriptions to filter on, budgets and alerts. The caller has
scoped the customer to the user already."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from bss.models import Customer
from reconciliation.usage import selectors
from reconciliation.usage.chart import usage_day_chart


def usage_context(customer: Customer, month_text: str | None, entitlement: str) -> dict[str, Any]:
    year, month = selectors.parse_month(month_text, selectors.latest_month(customer, timezone.now().date()))
    summary = selectors.usage_summary(customer, year, month, entitlement_id=entitlement)
    days_left = summary.days_in_month - (summary.last_day.day if summary.last_day else 0)
    per_day = ((summary.forecast - summary.total) / days_left) if days_left and not summary.closed else None
    chart = usage_day_chart(summary.day_series(), currency=summary.currency, forecast_per_day=per_day,
                            label=f"Azure usage per day, {year}-{month:02d} ({summary.currency})")
    return {"customer": customer, "summary": summary, "chart": chart, "month_value": f"{year}-{month:02d}",
            "entitlement": entitlement, "entitlements": selectors.entitlements_of(customer),
            "budgets": selectors.budgets_of(customer), "alerts": selectors.alerts_of(customer, limit=20)}


def month_csv(customer: Customer, month_text: str | None, entitlement: str) -> tuple[str, str]:
    """The CSV of a month (text, file name)."""
    from reconciliation.usage.exports import usage_csv

    year, month = selectors.parse_month(month_text, selectors.latest_month(customer, timezone.now().date()))
    rows = selectors.daily_rows(customer, year, month, entitlement_id=entitlement)
    return usage_csv(rows), f"azure-usage-{customer.pk}-{year}-{month:02d}.csv"
