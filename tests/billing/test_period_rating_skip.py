"""A billing period's rating replays the history before the period without pricing it (`rate_billing_period` passes
`since`): the rows it keeps are exactly those of the whole history rated, then filtered to the period."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from billing.rating import BillingCycle, BillingPeriod, RatingError, Term, rate_billing_period, rate_subscription
from tests.billing.builders import Sub, at

PLANS = [
    (Term.P1M, BillingCycle.MONTHLY),
    (Term.P1Y, BillingCycle.MONTHLY),
    (Term.P1Y, BillingCycle.ANNUAL),
    (Term.P3Y, BillingCycle.ANNUAL),
    (Term.P3Y, BillingCycle.TRIENNIAL),
]
PERIODS = [BillingPeriod(year, month) for year in (2023, 2024, 2025) for month in range(1, 13)]


def _history(rng: random.Random, n: int) -> Sub:
    term, cycle = PLANS[n % len(PLANS)]
    sub = Sub(f"sub-{n}", term=term, cycle=cycle, price=f"{rng.randint(4, 40)}.{rng.randint(0, 99):02d}")
    month = rng.randint(1, 12)
    month_end = (date(2023 + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    bought = at(2023, month, rng.randint(1, 28) if n % 7 else month_end, rng.randint(0, 23))  # some on month ends
    seats = rng.randint(3, 30)
    sub.buy(bought, seats)
    when = bought
    if n % 4 == 1:  # a reduction inside the 168-hour window
        when = when + timedelta(hours=rng.randint(1, 150))
        seats -= rng.randint(1, 2)
        sub.set_seats(when, seats)
    for _ in range(rng.randint(0, 3)):  # later additions
        when = when + timedelta(days=rng.randint(8, 200), hours=rng.randint(0, 23))
        assert sub.term_end is not None
        if when.date() > sub.term_end:
            break
        seats += rng.randint(1, 5)
        sub.set_seats(when, seats)
    if n % 6 == 0 and len(sub.events) == 1:  # a cancellation inside the window
        sub.cancel(when + timedelta(hours=rng.randint(1, 160)))
    return sub


@pytest.mark.parametrize("seed", range(8))
def test_a_period_rated_alone_matches_the_whole_history_rated_then_filtered(seed: int) -> None:
    rng = random.Random(seed)
    compared = 0
    for n in range(40):
        sub = _history(rng, n)
        for period in PERIODS:
            try:
                whole = rate_subscription(sub.events, through=period.last_day)
            except RatingError:
                continue  # a history Partner Center would refuse: rated alone it is refused too (not compared)
            expected = sorted((c for c in whole if period.contains(c.order_at.date())),
                              key=lambda c: (c.order_at, c.subscription_id))
            assert rate_billing_period(sub.events, period) == expected, (sub.subscription, period)
            compared += len(expected)
    assert compared > 150  # the comparison is not vacuous


def test_a_renewal_inside_the_period_is_billed_after_skipped_cycles() -> None:
    sub = Sub("sub-r", term=Term.P1Y, cycle=BillingCycle.MONTHLY).buy(at(2024, 3, 15), 5)
    sub.renew(datetime(2025, 3, 15, tzinfo=UTC), 7)
    rows = rate_billing_period(sub.events, BillingPeriod(2025, 3))
    whole = [c for c in rate_subscription(sub.events, through=BillingPeriod(2025, 3).last_day)
             if BillingPeriod(2025, 3).contains(c.order_at.date())]
    assert rows == sorted(whole, key=lambda c: (c.order_at, c.subscription_id))
    assert {c.charge_type.value for c in rows} >= {"renew"}
