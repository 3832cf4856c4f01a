"""A month of events across several subscriptions rated into the billing period's charges, and their sum.

The billing period is the calendar month (partner-center-billing.md §3.2); a row lands in the month of its order
date. Figures are worked by hand from §3.3's rules (10.08 per seat-month unless stated).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing.rating import BillingCycle, BillingPeriod, Charge, RatingOptions, RoundingMode, Term, rate_billing_period
from billing.rating.types import SubscriptionEvent
from tests.billing.builders import Sub, at


def june_2021_ledger() -> list[SubscriptionEvent]:
    monthly = Sub("bs-monthly").buy(at(2021, 6, 18), 10)
    monthly.set_seats(at(2021, 6, 20), 12).set_seats(at(2021, 6, 20, 15), 8)  # §3.3 ex4 + ex5
    monthly.renew(at(2021, 7, 18, 0, 30))  # July: renew 8 x 10.08 = 80.64
    annual = Sub("bs-annual", price="120.96", term=Term.P1Y, cycle=BillingCycle.ANNUAL).buy(at(2021, 6, 18), 10)
    upgraded = Sub("bs-upgrade", term=Term.P1Y).buy(at(2021, 6, 1), 300)
    upgraded.convert(at(2021, 6, 25), 0, reference="transition-9")  # 25-30 Jun: 6 of June's 30 days
    e1 = Sub("e1", price="6.43", term=Term.P1Y)
    e1.convert(at(2021, 6, 25), 300, reference="transition-9", term_start=upgraded.term_start,
               term_end=upgraded.term_end)
    may = Sub("bs-may", term=Term.P1Y).buy(at(2021, 5, 10), 5)  # May's `new` is not June's
    cancelled = Sub("bs-cancelled").buy(at(2021, 6, 28, 10), 10).cancel(at(2021, 6, 30))  # 30 Jun-27 Jul: 28/30
    return [e for s in (monthly, annual, upgraded, e1, may, cancelled) for e in s.events]


def _summary(rows: list[Charge]) -> list[tuple[str, str, str]]:
    return [(r.subscription_id, r.charge_type.value, str(r.amount)) for r in rows]


@pytest.mark.parametrize(
    ("mode", "expected", "total"),
    [
        pytest.param(
            RoundingMode.UNIT_PRICE_FIRST,
            [
                ("bs-upgrade", "new", "3024.00"),
                ("bs-may", "cycleCharge", "50.40"),
                ("bs-annual", "new", "1209.60"),
                ("bs-monthly", "new", "100.80"),
                ("bs-monthly", "addQuantity", "-94.00"),
                ("bs-monthly", "addQuantity", "112.80"),
                ("bs-monthly", "removeQuantity", "-112.80"),
                ("bs-monthly", "removeQuantity", "75.20"),
                ("bs-upgrade", "convert", "-603.00"),  # 10.08 / 30 x 6 = 2.016 → 2.01 x 300
                ("e1", "convert", "384.00"),  # 6.43 / 30 x 6 = 1.286 → 1.28 x 300
                ("bs-cancelled", "new", "100.80"),
                ("bs-cancelled", "cancelImmediate", "-94.00"),
            ],
            "4153.80",
            id="june-2021-unit_price_first",
        ),
        pytest.param(
            RoundingMode.LINE_AMOUNT,
            [
                ("bs-upgrade", "new", "3024.00"),
                ("bs-may", "cycleCharge", "50.40"),
                ("bs-annual", "new", "1209.60"),
                ("bs-monthly", "new", "100.80"),
                ("bs-monthly", "addQuantity", "-94.08"),
                ("bs-monthly", "addQuantity", "112.89"),
                ("bs-monthly", "removeQuantity", "-112.89"),
                ("bs-monthly", "removeQuantity", "75.26"),
                ("bs-upgrade", "convert", "-604.80"),
                ("e1", "convert", "385.80"),
                ("bs-cancelled", "new", "100.80"),
                ("bs-cancelled", "cancelImmediate", "-94.08"),
            ],
            "4153.70",
            id="june-2021-line_amount",
        ),
    ],
)
def test_a_month_of_events_rated_into_the_billing_period(
    mode: RoundingMode, expected: list[tuple[str, str, str]], total: str
) -> None:
    rows = rate_billing_period(june_2021_ledger(), BillingPeriod(2021, 6), options=RatingOptions(rounding=mode))
    assert _summary(rows) == expected
    assert sum((r.amount for r in rows), Decimal(0)) == Decimal(total)


def test_the_next_month_bills_renewals_and_cycles_from_the_same_history() -> None:
    """July: the monthly renews with its 8 seats, E1 bills its cycle, May's purchase its second month."""
    rows = rate_billing_period(june_2021_ledger(), BillingPeriod(2021, 7))
    assert _summary(rows) == [
        ("e1", "cycleCharge", "1929.00"),
        ("bs-may", "cycleCharge", "50.40"),
        ("bs-monthly", "renew", "80.64"),
    ]
    assert sum((r.amount for r in rows), Decimal(0)) == Decimal("2060.04")
    assert all(r.order_at.date() >= date(2021, 7, 1) for r in rows)
