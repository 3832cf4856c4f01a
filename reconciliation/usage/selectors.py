"""Reads of Azure usage: a month's lines (billed once Microsoft invoiced the month, else the latest unbilled
import), a customer's usage per Azure subscription and meter category, by day, month to date, and the forecast to
month end; budgets and alerts. Scoping to the acting user is done by the caller with the core's selectors (a
customer the user may not see is "not found" before any of these run)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import F, QuerySet, Sum

from bss.models import Customer
from reconciliation.usage.choices import UsageImportKind, UsageImportStatus
from reconciliation.usage.models import UsageAlert, UsageBudget, UsageImport, UsageLine

ZERO = Decimal(0)
CENT = Decimal("0.01")
#: Days the forecast averages (the most recent complete days of the month).
FORECAST_DAYS = 7


def month_import_ids(year: int, month: int) -> list[int]:
    """The imports whose lines count for a month, per instance: its billed imports once one is imported, else its
    unbilled import of the month."""
    rows = UsageImport.objects.filter(year=year, month=month, status=UsageImportStatus.IMPORTED).values_list(
        "pk", "instance_id", "kind")
    billed = {instance for _, instance, kind in rows if kind == UsageImportKind.BILLED}
    return [pk for pk, instance, kind in rows if kind == UsageImportKind.BILLED or instance not in billed]


def month_lines(year: int, month: int) -> QuerySet[UsageLine]:
    return UsageLine.objects.filter(usage_import_id__in=month_import_ids(year, month), year=year, month=month,
                                    generation=F("usage_import__generation"))


def customer_lines(customer: Customer, year: int, month: int, *, entitlement_id: str = "") -> QuerySet[UsageLine]:
    lines = month_lines(year, month).filter(customer=customer)
    return lines.filter(entitlement_id=entitlement_id.lower()) if entitlement_id else lines


@dataclass(frozen=True)
class CategoryRow:
    entitlement_id: str
    entitlement_name: str
    meter_category: str
    quantity: Decimal
    total: Decimal


@dataclass
class UsageSummary:
    """A customer's (or one Azure subscription's) usage of a month."""

    year: int
    month: int
    currency: str = ""
    total: Decimal = ZERO
    by_day: list[tuple[dt.date, Decimal]] = field(default_factory=list)
    rows: list[CategoryRow] = field(default_factory=list)
    last_day: dt.date | None = None
    forecast: Decimal = ZERO
    closed: bool = False

    @property
    def days_in_month(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    def day_series(self) -> list[tuple[dt.date, Decimal]]:
        """Every day of the month up to the last day with usage (days without usage at zero)."""
        known = dict(self.by_day)
        last = self.last_day.day if self.last_day else 0
        return [(d, known.get(d, ZERO)) for d in (dt.date(self.year, self.month, n) for n in range(1, last + 1))]


def forecast(by_day: list[tuple[dt.date, Decimal]], year: int, month: int, total: Decimal, *, closed: bool) -> Decimal:
    """Month-end forecast: spend so far plus the average of the last `FORECAST_DAYS` days for each day left."""
    if closed or not by_day:
        return total
    last = max(day for day, _ in by_day)
    days_left = calendar.monthrange(year, month)[1] - last.day
    recent = [amount for day, amount in by_day if (last - day).days < FORECAST_DAYS]
    average = sum(recent, ZERO) / max(1, min(FORECAST_DAYS, last.day))
    return (total + average * days_left).quantize(CENT, rounding=ROUND_HALF_UP)


def usage_summary(customer: Customer, year: int, month: int, *, entitlement_id: str = "") -> UsageSummary:
    lines = customer_lines(customer, year, month, entitlement_id=entitlement_id)
    summary = UsageSummary(year=year, month=month)
    by_day = (lines.values("usage_date").annotate(total=Sum("billing_total")).order_by("usage_date"))
    summary.by_day = [(row["usage_date"], row["total"] or ZERO) for row in by_day]
    groups = (lines.values("entitlement_id", "entitlement_name", "meter_category", "currency")
              .annotate(quantity=Sum("quantity"), total=Sum("billing_total"))
              .order_by("entitlement_name", "entitlement_id", "meter_category"))
    summary.rows = [CategoryRow(g["entitlement_id"], g["entitlement_name"] or g["entitlement_id"],
                                g["meter_category"] or "Other", g["quantity"] or ZERO, g["total"] or ZERO)
                    for g in groups]
    summary.currency = next((g["currency"] for g in groups if g["currency"]), customer.marketplace.currency)
    summary.total = sum((r.total for r in summary.rows), ZERO)
    summary.last_day = summary.by_day[-1][0] if summary.by_day else None
    summary.closed = lines.filter(usage_import__kind=UsageImportKind.BILLED).exists() or (
        summary.last_day is not None and summary.last_day.day == summary.days_in_month)
    summary.forecast = forecast(summary.by_day, year, month, summary.total, closed=summary.closed)
    return summary


def entitlements_of(customer: Customer) -> list[tuple[str, str]]:
    """The customer's Azure subscriptions seen in usage (id, name), for filters and budgets."""
    rows = (UsageLine.objects.filter(customer=customer).values_list("entitlement_id", "entitlement_name")
            .distinct().order_by("entitlement_name"))
    seen: dict[str, str] = {}
    for entitlement, name in rows:
        seen.setdefault(entitlement, name or entitlement)
    return list(seen.items())


def budgets_of(customer: Customer) -> QuerySet[UsageBudget]:
    return UsageBudget.objects.filter(customer=customer).order_by("entitlement_id")


def alerts_of(customer: Customer, *, limit: int = 50) -> list[UsageAlert]:
    return list(UsageAlert.objects.filter(budget__customer=customer).select_related("budget")[:limit])


def customers_with_usage(year: int, month: int) -> list[dict[str, Any]]:
    """Staff overview: every customer's usage of the month (customer, currency, total)."""
    rows = (month_lines(year, month).filter(customer__isnull=False)
            .values("customer_id", "customer__company_name", "currency")
            .annotate(total=Sum("billing_total")).order_by("-total"))
    return [dict(row) for row in rows]


def latest_month(customer: Customer, today: dt.date) -> tuple[int, int]:
    """The month a usage page opens on: the latest month with usage of the customer, else this month."""
    last = UsageLine.objects.filter(customer=customer).order_by("-usage_date").values_list("usage_date", flat=True)
    day = last.first() or today
    return day.year, day.month


def parse_month(text: str | None, default: tuple[int, int]) -> tuple[int, int]:
    """`YYYY-MM` from a query string, or the default when absent or malformed."""
    try:
        year, month = (int(part) for part in (text or "").split("-", 1))
    except ValueError:
        return default
    return (year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else default


def daily_rows(customer: Customer, year: int, month: int, *, entitlement_id: str = "") -> list[dict[str, Any]]:
    """Spend per day, Azure subscription and meter category (the CSV export)."""
    rows = (customer_lines(customer, year, month, entitlement_id=entitlement_id)
            .values("usage_date", "entitlement_id", "entitlement_name", "meter_category", "currency")
            .annotate(quantity=Sum("quantity"), total=Sum("billing_total"))
            .order_by("usage_date", "entitlement_name", "meter_category"))
    return [dict(row) for row in rows]


@dataclass(frozen=True)
class UsageCheckRow:
    """Microsoft's billed usage of one Azure subscription and meter category against what we billed for it."""

    customer_id: int | None
    customer_name: str
    entitlement_id: str
    meter_category: str
    microsoft_cost: Decimal
    billed_cost: Decimal | None
    billed_amount: Decimal | None
    currency: str

    @property
    def status(self) -> str:
        if self.customer_id is None:
            return "unknown_tenant"
        if self.billed_cost is None:
            return "not_billed"
        return "billed" if self.billed_cost == self.microsoft_cost else "differs"


def usage_billing_check(year: int, month: int) -> list[UsageCheckRow]:
    """Every group of a billed month's usage (customer or unknown tenant, Azure subscription, meter category) with
    Microsoft's cost and the usage charge that billed it: leakage shows as not billed or an unknown tenant, a
    re-imported invoice that changed as a difference. Problems first."""
    from reconciliation.usage.models import UsageCharge

    groups = (month_lines(year, month).filter(usage_import__kind=UsageImportKind.BILLED)
              .values("customer_id", "customer__company_name", "customer_name", "customer_tenant_id",
                      "entitlement_id", "meter_category", "currency")
              .annotate(cost=Sum("billing_total")))
    charges = {(c.customer_id, c.entitlement_id, c.meter_category): c
               for c in UsageCharge.objects.filter(year=year, month=month)}
    rows = []
    for g in groups:
        charge = charges.get((g["customer_id"], g["entitlement_id"], g["meter_category"] or "Other"))
        name = g["customer__company_name"] or f'{g["customer_name"]} ({g["customer_tenant_id"]})'
        rows.append(UsageCheckRow(g["customer_id"], name, g["entitlement_id"], g["meter_category"] or "Other",
                                  g["cost"] or ZERO, charge.cost if charge else None,
                                  charge.amount if charge else None, g["currency"]))
    order = {"unknown_tenant": 0, "not_billed": 1, "differs": 2, "billed": 3}
    return sorted(rows, key=lambda r: (order[r.status], r.customer_name, r.entitlement_id, r.meter_category))
