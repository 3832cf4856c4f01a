"""Billing cycles and terms: the one vocabulary (as Partner Center spells them) and the month arithmetic.

Billing cycles (lower case, as on subscriptions): monthly, annual, biennial, triennial, one_time, none.
Terms (ISO 8601 durations): P1M, P1Y, P2Y, P3Y, P5Y, or "" (no term: usage-based offers).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Final

#: Months in one billing period, for the billing cycles that repeat.
CYCLE_MONTHS: Final[dict[str, int]] = {"monthly": 1, "annual": 12, "biennial": 24, "triennial": 36}
#: Every billing cycle Partner Center sells (also those that do not repeat).
BILLING_CYCLES: Final = ("monthly", "annual", "biennial", "triennial", "one_time", "none")

#: Months in one term.
TERM_MONTHS: Final[dict[str, int]] = {"P1M": 1, "P1Y": 12, "P2Y": 24, "P3Y": 36, "P5Y": 60}
#: Every term duration Partner Center sells ("" = no term).
TERM_DURATIONS: Final = ("P1M", "P1Y", "P2Y", "P3Y", "P5Y", "")


def months_per_billing_cycle(billing_cycle: str) -> int:
    """Months in one billing period: an order line's unit price is per unit per billing period. Cycles that do not
    repeat (one-time, none) and unknown values count as one month."""
    return CYCLE_MONTHS.get((billing_cycle or "").lower(), 1)


def term_months(term_duration: str) -> int | None:
    """Months in the term, or None for no term (or an unknown one)."""
    return TERM_MONTHS.get((term_duration or "").upper())


def billing_periods_per_term(term_duration: str, billing_cycle: str) -> int | None:
    """How many times a term is billed (P1Y billed monthly: 12); None without a term or when the cycle does not
    divide the term (Partner Center rejects a billing cycle longer than the term)."""
    months = term_months(term_duration)
    cycle = CYCLE_MONTHS.get((billing_cycle or "").lower())
    if months is None or cycle is None or months % cycle:
        return None
    return months // cycle


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the end of a shorter month (Jan 31 + 1 month = Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def term_end(start: date, term_duration: str) -> date | None:
    """The last day of a term starting on `start` (inclusive, as Partner Center's `commitmentEndDate`)."""
    months = term_months(term_duration)
    if months is None:
        return None
    return add_months(start, months) - timedelta(days=1)
