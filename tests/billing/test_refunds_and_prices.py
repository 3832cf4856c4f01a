"""Refund windows (168 hours), price lock for the term, billing-plan changes, cost side and exchange rates.

Facts: partner-center-billing.md §3.3-§3.6 and partner-center-api.md §7.5 (7-day cancellation and seat-reduction
windows; `cancellationAllowedUntilDate` = purchase + 7 days).
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from decimal import Decimal

import pytest

from billing.rating import (
    BillingCycle,
    ChargeType,
    ExchangeRate,
    LedgerInconsistent,
    RatingOptions,
    RefundWindowClosed,
    RoundingMode,
    Term,
    rate_subscription,
    usage_subtotal,
)
from tests.billing.builders import Sub, at, row

D = date
BOUGHT = at(2021, 7, 15, 10, 17, 12)
WINDOW = timedelta(hours=168)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("after_purchase", "refund"),
    [
        # same day: all 31 days of the cycle come back
        pytest.param(timedelta(hours=1), "-100.80", id="1h"),
        # 22 Jul-14 Aug: 10.08 / 31 x 24 = 7.80
        pytest.param(WINDOW - SECOND, "-78.00", id="168h-minus-1s"),
        pytest.param(WINDOW, "-78.00", id="exactly-168h"),
    ],
)
def test_cancel_inside_the_window_refunds_the_unused_days(after_purchase: timedelta, refund: str) -> None:
    """Bought 15 Jul 2021 10:17:12 UTC; the window closes 22 Jul 10:17:12, that instant still inside."""
    sub = Sub().buy(BOUGHT, 10).cancel(BOUGHT + after_purchase)
    _, cancel = rate_subscription(sub.events, through=D(2021, 7, 31))
    assert (cancel.charge_type, cancel.amount) == (ChargeType.CANCEL_IMMEDIATE, Decimal(refund))


def test_cancel_one_second_after_168_hours_is_refused() -> None:
    sub = Sub().buy(BOUGHT, 10).cancel(BOUGHT + WINDOW + SECOND)
    with pytest.raises(RefundWindowClosed):
        rate_subscription(sub.events, through=D(2021, 7, 31))


def test_cancel_window_reopens_at_renewal() -> None:
    """Seven days after each renewal too; no rows follow a cancellation."""
    sub = Sub().buy(BOUGHT, 10).renew(at(2021, 8, 15, 0, 30)).cancel(at(2021, 8, 20))
    rows = rate_subscription(sub.events, through=D(2021, 9, 30))
    assert [(r.charge_type.value, str(r.amount)) for r in rows] == [
        ("new", "100.80"),
        ("renew", "100.80"),
        # 20 Aug-14 Sep: 26 of August's 31 days; 10.08 / 31 x 26 = 8.4541... → 8.45
        ("cancelImmediate", "-84.50"),
    ]


def test_cancel_after_the_window_of_the_renewal_is_refused() -> None:
    sub = Sub().buy(BOUGHT, 10).renew(at(2021, 8, 15, 0, 30)).cancel(at(2021, 8, 22, 0, 31))
    with pytest.raises(RefundWindowClosed):
        rate_subscription(sub.events, through=D(2021, 9, 30))


@pytest.mark.parametrize(
    ("removed_after", "allowed"),
    [pytest.param(WINDOW, True, id="exactly-168h-after-the-addition"),
     pytest.param(WINDOW + SECOND, False, id="168h-plus-1s")],
)
def test_seat_reduction_only_of_seats_added_in_the_last_168_hours(removed_after: timedelta, allowed: bool) -> None:
    """Partner Center's refundableQuantity: the 10 purchased seats are old, 2 were added on 1 Aug."""
    added = at(2021, 8, 1, 12)
    sub = Sub(term=Term.P1Y).buy(BOUGHT, 10).set_seats(added, 12).set_seats(added + removed_after, 10)
    if not allowed:
        with pytest.raises(RefundWindowClosed):
            rate_subscription(sub.events, through=D(2021, 8, 31))
        return
    rows = rate_subscription(sub.events, through=D(2021, 8, 14))
    refund, charge = rows[-2:]
    assert (refund.charge_type, refund.quantity, charge.quantity) == (ChargeType.REMOVE_QUANTITY, 12, 10)


def test_seat_reduction_beyond_the_recent_seats_is_refused() -> None:
    """2 recent seats can go, 3 cannot: the third would be one of the seats bought 17 days earlier."""
    added = at(2021, 8, 1, 12)
    sub = Sub(term=Term.P1Y).buy(BOUGHT, 10).set_seats(added, 12).set_seats(added + timedelta(days=1), 9)
    with pytest.raises(RefundWindowClosed):
        rate_subscription(sub.events, through=D(2021, 8, 31))


def test_upgrade_target_has_no_cancellation_window() -> None:
    source = Sub("src", term=Term.P1Y).buy(at(2021, 6, 18), 10)
    source.convert(at(2021, 6, 25), 0, reference="t-1")
    target = Sub("dst", price="6.43", term=Term.P1Y)
    target.convert(at(2021, 6, 25), 10, reference="t-1", term_start=source.term_start, term_end=source.term_end)
    target.cancel(at(2021, 6, 26))
    with pytest.raises(RefundWindowClosed):
        rate_subscription(target.events, through=D(2021, 6, 30))


def test_move_quantity_into_an_existing_target() -> None:
    """An upgrade into a subscription that already exists bills `moveQuantity` on both sides."""
    source = Sub("src", term=Term.P1Y).buy(at(2021, 6, 18), 10)
    source.convert(at(2021, 6, 25), 6, reference="t-2", into_existing=True)
    target = Sub("dst", price="6.43", term=Term.P1Y).buy(at(2021, 6, 18), 20)
    target.convert(at(2021, 6, 25), 24, reference="t-2", into_existing=True)
    out = rate_subscription(source.events, through=D(2021, 6, 30))[-1]
    into = rate_subscription(target.events, through=D(2021, 6, 30))[-1]
    assert (row(out), row(into)) == (
        ("moveQuantity", "2021-06-25", "2021-07-17", 4, "-7.72", "-30.88"),
        ("moveQuantity", "2021-06-25", "2021-07-17", 4, "4.92", "19.68"),
    )
    assert out.reference_id == into.reference_id == "t-2"


def test_price_is_locked_for_the_term_and_changes_at_renewal_only() -> None:
    """Bought at 10.08 on 18 Jun 2021 (one year, monthly); the price list moves to 11.00 from 1 Jul. A seat
    change on 5 Jul carries today's 11.00, yet it and every cycle of the term bill at 10.08; the renewal on
    18 Jun 2022 bills 11.00."""
    sub = Sub(term=Term.P1Y).buy(at(2021, 6, 18), 10).set_seats(at(2021, 7, 5), 12, price="11.00")
    sub.renew(at(2022, 6, 18, 0, 20), price="11.00")
    rows = rate_subscription(sub.events, through=D(2022, 7, 31))
    by_type = [(r.charge_type.value, r.charge_start, r.unit_price) for r in rows]
    assert by_type[:3] == [
        ("new", D(2021, 6, 18), Decimal("10.08")),
        ("addQuantity", D(2021, 7, 5), Decimal("10.08")),
        ("addQuantity", D(2021, 7, 5), Decimal("10.08")),
    ]
    first_term = [r for r in rows if r.subscription_start.year == 2021]
    cycle_prices = {r.unit_price for r in first_term if r.charge_type is ChargeType.CYCLE_CHARGE}
    assert cycle_prices == {Decimal("10.08")}
    renew, july = rows[-2:]
    assert (renew.charge_type, renew.unit_price, renew.amount) == (
        ChargeType.RENEW, Decimal("11.00"), Decimal("132.00")
    )
    assert (july.charge_type, july.unit_price, july.amount) == (
        ChargeType.CYCLE_CHARGE, Decimal("11.00"), Decimal("132.00")
    )


def test_billing_plan_change_must_fall_on_the_cycle_boundary() -> None:
    """§3.1: a plan switch applies after the current charge cycle; mid-cycle it is not a ledger we accept."""
    sub = Sub("c", price="20", term=Term.P1Y).buy(at(2021, 6, 18), 10)
    sub.change_plan(at(2021, 7, 2), BillingCycle.ANNUAL, "250")
    with pytest.raises(LedgerInconsistent):
        rate_subscription(sub.events, through=D(2021, 7, 31))


def test_after_a_change_to_monthly_the_months_bill_as_cycle_charges() -> None:
    sub = Sub("c", price="250", term=Term.P3Y, cycle=BillingCycle.ANNUAL).buy(at(2021, 6, 18), 10)
    sub.change_plan(at(2022, 6, 18, 0, 5), BillingCycle.MONTHLY, "20")
    rows = rate_subscription(sub.events, through=D(2022, 8, 31))
    assert [(r.charge_type.value, str(r.amount), r.charge_start) for r in rows] == [
        ("new", "2500.00", D(2021, 6, 18)),
        ("changeBillingPlan", "200.00", D(2022, 6, 18)),
        ("cycleCharge", "200.00", D(2022, 7, 18)),
        ("cycleCharge", "200.00", D(2022, 8, 18)),
    ]


def test_suspension_does_not_stop_billing() -> None:
    """New commerce keeps charging a suspended subscription."""
    sub = Sub(term=Term.P1Y).buy(at(2021, 6, 18), 10).suspend(at(2021, 6, 30)).reactivate(at(2021, 8, 2))
    rows = rate_subscription(sub.events, through=D(2021, 8, 31))
    assert [(r.charge_type.value, str(r.amount)) for r in rows] == [
        ("new", "100.80"), ("cycleCharge", "100.80"), ("cycleCharge", "100.80")
    ]


def test_quantity_before_must_follow_on() -> None:
    sub = Sub().buy(at(2021, 6, 18), 10)
    sub.seats = 11  # the ledger lost an event
    sub.set_seats(at(2021, 6, 20), 12)
    with pytest.raises(LedgerInconsistent):
        rate_subscription(sub.events, through=D(2021, 6, 30))


def test_cost_side_is_rated_like_the_sale_side() -> None:
    """Our cost (Microsoft's price to us, 9.07) prorates and rounds with the same rule as the sale price."""
    sub = Sub(cost="9.07").buy(at(2021, 6, 18), 10).set_seats(at(2021, 6, 20), 12)
    _, refund, charge = rate_subscription(sub.events, through=D(2021, 6, 30))
    # 9.07 / 30 x 28 = 8.4653... → 8.46
    assert (refund.effective_unit_cost, refund.cost_amount) == (Decimal("-8.46"), Decimal("-84.60"))
    assert (charge.effective_unit_cost, charge.cost_amount) == (Decimal("8.46"), Decimal("101.52"))
    assert (charge.amount, charge.cost_amount) == (Decimal("112.80"), Decimal("101.52"))


@pytest.mark.parametrize(
    ("mode", "new_amount", "refund"),
    [(RoundingMode.UNIT_PRICE_FIRST, "110.80", "-103.70"), (RoundingMode.LINE_AMOUNT, "110.88", "-103.71")],
    ids=["unit_price_first", "line_amount"],
)
def test_exchange_rate_applies_inside_the_rounding(mode: RoundingMode, new_amount: str, refund: str) -> None:
    """§3.5 with PCToBCExchangeRate 1.1. New: ROUNDDOWN(10.08 x 1.1, 2) x 10 = 11.08 x 10, or
    ROUNDDOWN(100.80 x 1.1, 2) = 110.88. Cancel: ROUNDDOWN(-9.4296... x 1.1, 2) x 10 = -10.37 x 10, or
    ROUNDDOWN(ROUNDDOWN(-94.2967..., 2) x 1.1, 2) = -103.71."""
    sub = Sub().buy(at(2021, 7, 15), 10).cancel(at(2021, 7, 17))
    options = RatingOptions(rounding=mode, exchange_rate=ExchangeRate("GBP", Decimal("1.1")))
    new, cancel = rate_subscription(sub.events, through=D(2021, 7, 31), options=options)
    assert (new.amount, new.currency, new.pricing_currency) == (Decimal(new_amount), "GBP", "EUR")
    assert (cancel.amount, cancel.exchange_rate) == (Decimal(refund), Decimal("1.1"))


def test_usage_formula() -> None:
    """§3.5 usage lines: ROUNDDOWN(ROUNDDOWN(EUP x qty, 2) x rate, 2)."""
    assert usage_subtotal(Decimal("0.0123"), Decimal("1234.5"), exchange_rate=Decimal("0.9")) == Decimal("13.66")


def test_effective_times_count_in_utc_days() -> None:
    """Charge dates are UTC dates: 1 Jul 01:00 in Paris (+02:00) is a 30 Jun event, a month-end purchase
    whose month runs to 30 Jul (§3.2)."""
    from datetime import datetime, timezone

    paris = timezone(timedelta(hours=2))
    sub = Sub().buy(datetime(2021, 7, 1, 1, 0, tzinfo=paris), 10)
    [new] = rate_subscription(sub.events, through=D(2021, 7, 31))
    assert (new.order_at.tzinfo, new.charge_start, new.charge_end) == (UTC, D(2021, 6, 30), D(2021, 7, 30))


def test_naive_effective_time_is_refused() -> None:
    from datetime import datetime

    with pytest.raises(LedgerInconsistent):
        Sub().buy(datetime(2021, 7, 1, 9, 0), 10)  # noqa: DTZ001 - naive on purpose
