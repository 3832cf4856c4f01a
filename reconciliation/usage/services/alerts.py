"""Budget alerts on Azure usage: for each budget of an instance's customers, an e-mail to the customer's and the
reseller's contacts when the month's spend reaches a threshold, when the month-end forecast exceeds the budget,
and when a day's spend is more than `spike_factor` times the trailing average. Each alert goes out once per
budget, month and threshold (or spike day): the database's unique constraint on `UsageAlert` decides, so a check
that runs twice, or two workers at once, never e-mail twice."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from bss.choices import UserRole
from bss.models import Customer, User
from reconciliation.usage.choices import AlertKind
from reconciliation.usage.models import UsageAlert, UsageBudget
from reconciliation.usage.selectors import UsageSummary, usage_summary

logger = logging.getLogger(__name__)
#: Days of history a spike needs before it can be called one.
SPIKE_MIN_HISTORY = 3


def recipients(customer: Customer) -> list[str]:
    """The customer's contact and users, the reseller's e-mail and admins (each address once)."""
    found = [customer.contact_email, customer.reseller.email]
    found += list(User.objects.filter(customer=customer, is_active=True).values_list("email", flat=True))
    found += list(User.objects.filter(role=UserRole.RESELLER, reseller=customer.reseller, is_reseller_admin=True,
                                      is_active=True).values_list("email", flat=True))
    seen: dict[str, str] = {}
    for address in found:
        if address and address.strip():
            seen.setdefault(address.strip().lower(), address.strip())
    return list(seen.values())


def spike_day(summary: UsageSummary, factor: Decimal, window: int) -> tuple[dt.date, Decimal, Decimal] | None:
    """The last day with usage, if its spend exceeds `factor` times the average of the `window` days before it:
    (day, spend, average)."""
    if not summary.by_day:
        return None
    day, spend = summary.by_day[-1]
    history = [amount for d, amount in summary.by_day[:-1] if 0 < (day - d).days <= window]
    if len(history) < SPIKE_MIN_HISTORY:
        return None
    average = sum(history, Decimal(0)) / len(history)
    if average > 0 and spend > factor * average:
        return day, spend, average
    return None


def _record(budget: UsageBudget, summary: UsageSummary, kind: str, key: str, to: list[str]) -> UsageAlert | None:
    try:
        with transaction.atomic():
            return UsageAlert.objects.create(budget=budget, year=summary.year, month=summary.month, kind=kind,
                                             key=key, spend=summary.total, forecast=summary.forecast,
                                             recipients=", ".join(to))
    except IntegrityError:
        return None  # sent already this month


def _mail(budget: UsageBudget, summary: UsageSummary, subject: str, body: str, to: list[str]) -> None:
    if not to:
        logger.warning("usage alert for %s: no contact to e-mail", budget.customer)
        return
    scope = f" ({budget.entitlement_id})" if budget.entitlement_id else ""
    text = (f"{body}\n\nCustomer: {budget.customer.company_name}{scope}\n"
            f"Month: {summary.year}-{summary.month:02d}\n"
            f"Spend so far: {summary.total:,.2f} {summary.currency}\n"
            f"Forecast to month end: {summary.forecast:,.2f} {summary.currency}\n"
            f"Budget: {budget.amount:,.2f} {budget.currency}\n")
    send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, to, fail_silently=False)


def budget_check(budget: UsageBudget, *, year: int, month: int) -> list[UsageAlert]:
    """The alerts one budget sends now (none already sent this month again)."""
    summary = usage_summary(budget.customer, year, month, entitlement_id=budget.entitlement_id)
    if not summary.by_day:
        return []
    to = recipients(budget.customer)
    name = budget.customer.company_name
    sent: list[UsageAlert] = []
    for threshold in sorted({int(t) for t in budget.thresholds or []}):
        if summary.total >= budget.amount * threshold / 100:
            alert = _record(budget, summary, AlertKind.THRESHOLD, str(threshold), to)
            if alert is not None:
                _mail(budget, summary, f"Azure usage of {name} reached {threshold} % of its budget",
                      f"Azure usage has reached {threshold} % of the monthly budget.", to)
                sent.append(alert)
    if budget.forecast_alert and summary.forecast > budget.amount and not summary.closed:
        alert = _record(budget, summary, AlertKind.FORECAST, "forecast", to)
        if alert is not None:
            _mail(budget, summary, f"Azure usage of {name} is forecast to exceed its budget",
                  "At the current rate, Azure usage will exceed the monthly budget by the end of the month.", to)
            sent.append(alert)
    if budget.spike_factor:
        spike = spike_day(summary, budget.spike_factor, budget.spike_window_days)
        if spike is not None:
            day, spend, average = spike
            alert = _record(budget, summary, AlertKind.SPIKE, f"spike:{day.isoformat()}", to)
            if alert is not None:
                _mail(budget, summary, f"Azure usage of {name} spiked on {day.isoformat()}",
                      f"Azure usage on {day.isoformat()} was {spend:,.2f} {summary.currency}, more than "
                      f"{budget.spike_factor} times the average of the days before ({average:,.2f}).", to)
                sent.append(alert)
    return sent


def alerts_check(*, instance_id: int | None = None, now: dt.datetime | None = None) -> list[UsageAlert]:
    """Check the budgets of the instance's customers (every budget when None) for the month of `now`."""
    now = (now or timezone.now()).astimezone(dt.UTC)
    budgets = UsageBudget.objects.select_related("customer", "customer__reseller", "customer__marketplace")
    if instance_id is not None:
        budgets = budgets.filter(customer__tenants__instance_id=instance_id).distinct()
    sent: list[UsageAlert] = []
    for budget in budgets:
        sent += budget_check(budget, year=now.year, month=now.month)
    return sent
