"""Charge cycles and day counts (partner-center-billing.md §3.2, §3.3): Microsoft's dates, then leap years,
end-of-month purchases and three-year terms.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest

from billing.rating import (
    BillingCycle,
    LedgerInconsistent,
    RatingOptions,
    RoundingMode,
    Term,
    billing_days,
    charge_cycles,
    cycle_containing,
    rate_subscription,
    term_end_for,
)
from tests.billing.builders import Sub, at, row

D = date


@pytest.mark.parametrize(
    ("first", "last", "days"),
    [
        pytest.param(D(2021, 6, 20), D(2021, 7, 17), 28, id="§3.3-derived-20Jun-17Jul-28"),
        pytest.param(D(2021, 7, 17), D(2021, 8, 14), 29, id="§3.3-derived-17Jul-14Aug-29"),
        pytest.param(D(2021, 6, 25), D(2021, 7, 17), 23, id="§3.3-ex7-upgrade-25Jun-17Jul-23"),
        pytest.param(D(2024, 2, 29), D(2024, 2, 29), 1, id="same-day-is-one-day"),
    ],
)
def test_billing_days_are_inclusive(first: date, last: date, days: int) -> None:
    assert billing_days(first, last) == days


def test_monthly_cycle_days_are_the_days_of_the_month_the_cycle_started() -> None:
    """§3.2 doc example: bought 21 Feb 2022 → 21 Feb-20 Mar has 28 days, 21 Mar-20 Apr has 31."""
    cycles = charge_cycles(D(2022, 2, 21), term_end_for(D(2022, 2, 21), Term.P1Y), Term.P1Y, BillingCycle.MONTHLY)
    assert [(c.start, c.end, c.cycle_days) for c in cycles[:2]] == [
        (D(2022, 2, 21), D(2022, 3, 20), 28),
        (D(2022, 3, 21), D(2022, 4, 20), 31),
    ]
    assert len(cycles) == 12 and cycles[-1].end == D(2023, 2, 20)


@pytest.mark.parametrize(
    ("bought", "ends"),
    [
        pytest.param(D(2021, 1, 31), D(2021, 2, 27), id="§3.2-table-31Jan2021-ends-27Feb"),
        pytest.param(D(2021, 1, 30), D(2021, 2, 27), id="§3.2-table-30Jan2021-ends-27Feb"),
        pytest.param(D(2024, 1, 31), D(2024, 2, 28), id="§3.2-table-31Jan2024-leap-ends-28Feb"),
        pytest.param(D(2021, 2, 28), D(2021, 3, 30), id="§3.2-table-last-day-before-31-day-month-ends-30th"),
        pytest.param(D(2021, 3, 31), D(2021, 4, 29), id="§3.2-table-last-day-before-30-day-month-ends-29th"),
        pytest.param(D(2021, 6, 18), D(2021, 7, 17), id="§3.3-ex1-18Jun-ends-17Jul"),
        pytest.param(D(2025, 3, 4), D(2025, 4, 3), id="mid-month"),
    ],
)
def test_one_month_term_end(bought: date, ends: date) -> None:
    assert term_end_for(bought, Term.P1M) == ends


def test_month_end_purchase_renews_on_month_ends() -> None:
    """§3.2: bought 31 Jan 2021 → ends 27 Feb, renews 28 Feb; the renewed term ends 30 Mar, renews 31 Mar."""
    sub = Sub().buy(at(2021, 1, 31), 1).renew(at(2021, 2, 28, 0, 10)).renew(at(2021, 3, 31, 0, 10))
    rows = rate_subscription(sub.events, through=D(2021, 4, 30))
    assert [(r.charge_type.value, r.charge_start, r.charge_end) for r in rows] == [
        ("new", D(2021, 1, 31), D(2021, 2, 27)),
        ("renew", D(2021, 2, 28), D(2021, 3, 30)),
        ("renew", D(2021, 3, 31), D(2021, 4, 29)),
    ]


@pytest.mark.parametrize(
    ("term_start", "starts"),
    [
        pytest.param(
            D(2021, 1, 31), [D(2021, 1, 31), D(2021, 2, 28), D(2021, 3, 31), D(2021, 4, 30)], id="eom-2021"
        ),
        pytest.param(
            D(2024, 1, 31), [D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31), D(2024, 4, 30)], id="eom-2024-leap"
        ),
        pytest.param(D(2021, 1, 30), [D(2021, 1, 30), D(2021, 2, 28), D(2021, 3, 30), D(2021, 4, 30)], id="30th"),
    ],
)
def test_monthly_cycles_of_an_annual_term_stay_on_their_anchor(term_start: date, starts: list[date]) -> None:
    """Jan 31 → Feb 28/29 → Mar 31: cycles are laid on a grid from the term start and never drift."""
    cycles = charge_cycles(term_start, term_end_for(term_start, Term.P1Y), Term.P1Y, BillingCycle.MONTHLY)
    assert [c.start for c in cycles[:4]] == starts
    assert all(a.end.toordinal() + 1 == b.start.toordinal() for a, b in pairwise(cycles))


def test_leap_day_purchase() -> None:
    """Bought 29 Feb 2024 (a month end): the year ends 27 Feb 2025; monthly cycles run on month ends,
    the first counting February's 29 days."""
    end = term_end_for(D(2024, 2, 29), Term.P1Y)
    assert end == D(2025, 2, 27)
    first = charge_cycles(D(2024, 2, 29), end, Term.P1Y, BillingCycle.MONTHLY)[0]
    assert (first.start, first.end, first.cycle_days) == (D(2024, 2, 29), D(2024, 3, 30), 29)


@pytest.mark.parametrize(
    ("term_start", "days"),
    [
        pytest.param(D(2021, 6, 18), 365, id="§3.2-annual-365"),
        pytest.param(D(2023, 3, 1), 366, id="§3.2-annual-366-over-29Feb2024"),
        pytest.param(D(2024, 3, 1), 365, id="§3.2-annual-365-after-29Feb2024"),
    ],
)
def test_annual_cycle_days(term_start: date, days: int) -> None:
    [cycle] = charge_cycles(term_start, term_end_for(term_start, Term.P1Y), Term.P1Y, BillingCycle.ANNUAL)
    assert cycle.cycle_days == days


@pytest.mark.parametrize(
    ("term_start", "end", "days"),
    [
        pytest.param(D(2024, 2, 1), D(2027, 1, 31), 1096, id="triennial-with-29Feb2024"),
        pytest.param(D(2024, 3, 1), D(2027, 2, 28), 1095, id="triennial-without-leap-day"),
    ],
)
def test_triennial_upfront_is_one_cycle(term_start: date, end: date, days: int) -> None:
    cycles = charge_cycles(term_start, term_end_for(term_start, Term.P3Y), Term.P3Y, BillingCycle.TRIENNIAL)
    assert [(c.start, c.end, c.cycle_days) for c in cycles] == [(term_start, end, days)]


def test_three_year_term_billed_annually_has_three_cycles() -> None:
    start = D(2024, 2, 1)
    cycles = charge_cycles(start, term_end_for(start, Term.P3Y), Term.P3Y, BillingCycle.ANNUAL)
    assert [(c.start, c.end, c.cycle_days) for c in cycles] == [
        (D(2024, 2, 1), D(2025, 1, 31), 366),
        (D(2025, 2, 1), D(2026, 1, 31), 365),
        (D(2026, 2, 1), D(2027, 1, 31), 365),
    ]


def test_billing_cycle_longer_than_the_term_is_refused() -> None:
    """Partner Center answers 900270 for an annual plan on a one-month term."""
    with pytest.raises(LedgerInconsistent):
        charge_cycles(D(2024, 2, 1), D(2024, 2, 29), Term.P1M, BillingCycle.ANNUAL)


def test_cycle_containing_a_day() -> None:
    start = D(2021, 1, 31)
    cycle = cycle_containing(start, term_end_for(start, Term.P1Y), Term.P1Y, BillingCycle.MONTHLY, D(2021, 3, 30))
    assert (cycle.start, cycle.end, cycle.cycle_days) == (D(2021, 2, 28), D(2021, 3, 30), 28)


@pytest.mark.parametrize(
    ("mode", "rows"),
    [
        pytest.param(
            RoundingMode.UNIT_PRICE_FIRST,
            [("addQuantity", "2024-02-20", "2024-03-09", 10, "-6.60", "-66.00"),
             ("addQuantity", "2024-02-20", "2024-03-09", 12, "6.60", "79.20")],
            id="unit_price_first",
        ),
        pytest.param(
            RoundingMode.LINE_AMOUNT,
            [("addQuantity", "2024-02-20", "2024-03-09", 10, "-6.604137", "-66.04"),
             ("addQuantity", "2024-02-20", "2024-03-09", 12, "6.604137", "79.24")],
            id="line_amount",
        ),
    ],
)
def test_leap_february_prorates_over_29_days(mode: RoundingMode, rows: list[tuple[object, ...]]) -> None:
    """Bought 10 Feb 2024, 2 seats added 20 Feb: 10.08 / 29 x 19 (20 Feb-9 Mar) = 6.6041..."""
    sub = Sub().buy(at(2024, 2, 10), 10).set_seats(at(2024, 2, 20), 12)
    rated = rate_subscription(sub.events, through=D(2024, 2, 29), options=RatingOptions(rounding=mode))
    assert [row(c) for c in rated[1:]] == rows


def test_common_february_prorates_over_28_days() -> None:
    """The same change a year earlier: 10.08 / 28 x 18 = 6.48 exactly, both modes agree."""
    sub = Sub().buy(at(2023, 2, 10), 10).set_seats(at(2023, 2, 20), 12)
    for mode in RoundingMode:
        rated = rate_subscription(sub.events, through=D(2023, 2, 28), options=RatingOptions(rounding=mode))
        assert [c.amount for c in rated[1:]] == [Decimal("-64.80"), Decimal("77.76")]


@pytest.mark.parametrize(
    ("mode", "refund"),
    [(RoundingMode.UNIT_PRICE_FIRST, "-1807.75"), (RoundingMode.LINE_AMOUNT, "-1807.77")],
    ids=["unit_price_first", "line_amount"],
)
def test_triennial_upfront_cancelled_in_the_window(mode: RoundingMode, refund: str) -> None:
    """Three years upfront (362.88 per seat) from 1 Feb 2024, 5 seats, cancelled 5 Feb: 1,092 of 1,096 days back."""
    sub = Sub(price="362.88", term=Term.P3Y, cycle=BillingCycle.TRIENNIAL).buy(at(2024, 2, 1), 5)
    sub.cancel(at(2024, 2, 5))
    new, cancel = rate_subscription(sub.events, through=D(2024, 2, 29), options=RatingOptions(rounding=mode))
    assert row(new) == ("new", "2024-02-01", "2027-01-31", 5, "362.88", "1814.40")
    assert (cancel.charge_start, cancel.charge_end, cancel.amount) == (D(2024, 2, 5), D(2027, 1, 31), Decimal(refund))


def test_end_of_month_cycle_never_prorates_above_the_full_price() -> None:
    """Cycle 28 Feb-30 Mar 2021 is 31 days long but February has 28: a change on 1 Mar would bill 30/28 of a
    month by the formula alone; the share is capped at the full unit price (our rule, the sheet is silent)."""
    sub = Sub(term=Term.P1Y).buy(at(2021, 1, 31), 1).set_seats(at(2021, 3, 1), 2)
    refund, charge = rate_subscription(sub.events, through=D(2021, 3, 30))[2:]
    assert (refund.amount, charge.amount) == (Decimal("-10.08"), Decimal("20.16"))
