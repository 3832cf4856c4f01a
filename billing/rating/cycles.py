"""Charge cycles: when a subscription bills, and the day counts proration divides by (facts sheet §3.2).

Microsoft's rules, as documented:
- A charge cycle runs from the purchase/renewal date for one billing-plan length; the billing period (calendar
  month) only decides on which invoice a charge lands.
- Monthly "charge cycle days" are the days of the month the cycle *started* (bought 21 Feb 2022: cycle
  21 Feb-20 Mar has 28 days; the next, 21 Mar-20 Apr, 31); annual cycles have 365/366 days.
- A subscription bought on the last day of a month stays on month ends: its monthly term ends on the 30th of a
  31-day month, the 29th of a 30-day month, 28 Feb in a leap year and 27 Feb otherwise (bought 31 Jan 2021 →
  ends 27 Feb, renews 28 Feb → next ends 30 Mar, renews 31 Mar). Any other day that a month lacks is clamped
  to that month's last day (bought 30 Jan 2021 → ends 27 Feb).

Cycles are always laid on a grid anchored on the term start, so they never drift after a short month. We apply
the same end-of-month rule to annual and triennial anniversaries (a year bought on 28 Feb 2023 renews on
29 Feb 2024); the sheet states it for monthly terms only, so for years it is our reading.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from billing.rating.errors import LedgerInconsistent
from billing.rating.types import BillingCycle, ChargeCycle, Term

ONE_DAY = timedelta(days=1)


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def is_month_end(day: date) -> bool:
    return day.day == days_in_month(day.year, day.month)


def add_months(anchor: date, months: int) -> date:
    """The date `months` months after `anchor` on Microsoft's grid (month end stays month end, else clamp)."""
    index = anchor.year * 12 + (anchor.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = days_in_month(year, month)
    day = last if is_month_end(anchor) else min(anchor.day, last)
    return date(year, month, day)


def term_end_for(term_start: date, term: Term) -> date:
    """Last day (inclusive) of a term starting on `term_start` (bought 4 Mar 2025, P1Y → 3 Mar 2026)."""
    return add_months(term_start, term.months) - ONE_DAY


def billing_days(first_day: date, last_day: date) -> int:
    """Days from `first_day` to `last_day`, both inclusive (20 Jun → 17 Jul = 28)."""
    return (last_day - first_day).days + 1


def _cycle(term_start: date, index: int, months: int, billing_cycle: BillingCycle, term_end: date) -> ChargeCycle:
    start = add_months(term_start, index * months)
    next_start = add_months(term_start, (index + 1) * months)
    if billing_cycle is BillingCycle.MONTHLY:
        cycle_days = days_in_month(start.year, start.month)
    else:
        cycle_days = (next_start - start).days
    return ChargeCycle(start=start, end=min(next_start - ONE_DAY, term_end), cycle_days=cycle_days)


def charge_cycles(term_start: date, term_end: date, term: Term, billing_cycle: BillingCycle) -> list[ChargeCycle]:
    """Every charge cycle of a term, in order; the last one ends on the term's last day."""
    months = billing_cycle.months_in(term)
    cycles: list[ChargeCycle] = []
    index = 0
    while True:
        cycle = _cycle(term_start, index, months, billing_cycle, term_end)
        if cycle.start > term_end:
            return cycles
        cycles.append(cycle)
        index += 1


def cycle_containing(
    term_start: date, term_end: date, term: Term, billing_cycle: BillingCycle, day: date
) -> ChargeCycle:
    """The charge cycle `day` falls in (a mid-cycle change is co-terminous with it)."""
    if not term_start <= day <= term_end:
        raise LedgerInconsistent(f"{day} is outside the term {term_start}..{term_end}")
    months = billing_cycle.months_in(term)
    # Estimate the index from the month distance, then step: the grid is monotonic.
    index = max(0, ((day.year - term_start.year) * 12 + day.month - term_start.month) // months)
    cycle = _cycle(term_start, index, months, billing_cycle, term_end)
    while cycle.start > day:
        index -= 1
        cycle = _cycle(term_start, index, months, billing_cycle, term_end)
    while cycle.end < day:
        index += 1
        cycle = _cycle(term_start, index, months, billing_cycle, term_end)
    return cycle


def month_index(term_start: date, day: date) -> int:
    """Position of `day` on the term's monthly grid; refuses a day that is not a monthly cycle boundary."""
    index = (day.year - term_start.year) * 12 + day.month - term_start.month
    if add_months(term_start, index) != day:
        raise LedgerInconsistent(f"{day} is not a monthly charge-cycle boundary of a term starting {term_start}")
    return index
