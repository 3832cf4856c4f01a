"""The charge rows of each kind of event, as Microsoft writes them (facts sheet §3.1, §3.3).

Each function prices one event against a subscription's locked `TermPricing` and returns Microsoft-shaped rows:
- a cycle (`new`, `renew`, `cycleCharge`) bills one charge cycle at the full unit price;
- a seat change is a *pair* sharing the event's reference id: a refund of the old count and a charge of the new
  count, both from the event's day to the cycle's end (`addQuantity` / `removeQuantity`);
- a cancellation refunds the unused days of the current cycle (`cancelImmediate`);
- an upgrade refunds the moved seats on the source and charges them on the target, both rows with the
  transition's reference id (`convert` into a new target, `moveQuantity` into an existing one);
- a billing-plan change bills the new plan from the end of the old plan's cycle (`changeBillingPlan`), by
  whole months: monthly→annual after month 1 of a year bills 11/12 of the annual price (Microsoft: 229.16).

Refunds are only possible inside Microsoft's 168-hour window (7 days) after the purchase, renewal or seat
addition; the window is closed strictly after 168 hours (at exactly 168 hours it is still open), matching
Partner Center's `cancellationAllowedUntilDate` = purchase + 7 days.

These functions are the ones the simulator and reconciliation should call for a single row; `ledger` strings
them together over a whole event history.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from billing.rating.cycles import ONE_DAY, month_index
from billing.rating.errors import LedgerInconsistent, RefundWindowClosed
from billing.rating.pricing import (
    DEFAULT_OPTIONS,
    FULL_CYCLE,
    Proration,
    RatingOptions,
    TermPricing,
    day_proration,
    price_row,
)
from billing.rating.types import Charge, ChargeCycle, ChargeType

REFUND_WINDOW = timedelta(hours=168)


def refund_window_closes(opened_at: datetime) -> datetime:
    """The last instant a refund is allowed for something bought/renewed/added at `opened_at`."""
    return opened_at + REFUND_WINDOW


def is_refundable(opened_at: datetime, at: datetime) -> bool:
    """Inside the 168-hour window: at most 168 hours after `opened_at` (the boundary instant included)."""
    return opened_at <= at <= refund_window_closes(opened_at)


def ensure_refundable(opened_at: datetime | None, at: datetime, what: str) -> None:
    if opened_at is None or not is_refundable(opened_at, at):
        closes = "no refund window" if opened_at is None else f"window closed {refund_window_closes(opened_at)}"
        raise RefundWindowClosed(f"{what} at {at.isoformat()}: {closes}")


def cycle_charge(
    pricing: TermPricing,
    *,
    charge_type: ChargeType,
    cycle: ChargeCycle,
    order_at: datetime,
    quantity: int,
    reference_id: str,
    first_day: date | None = None,
    options: RatingOptions = DEFAULT_OPTIONS,
) -> Charge:
    """A cycle's charge (`new`, `renew`, `cycleCharge`): the cycle from `first_day` (default its start) to its end.

    Starting on the cycle's first day it is the full unit price; a purchase starting later in a cycle (an add-on
    aligned to its base) is prorated by days like any mid-cycle change.
    """
    start = first_day or cycle.start
    return price_row(
        pricing,
        charge_type=charge_type,
        order_at=order_at,
        charge_start=start,
        charge_end=cycle.end,
        quantity=quantity,
        proration=day_proration(cycle, start),
        refund=False,
        reference_id=reference_id,
        options=options,
    )


def seat_change_charges(
    pricing: TermPricing,
    *,
    at: datetime,
    quantity_before: int,
    quantity_after: int,
    reference_id: str,
    options: RatingOptions = DEFAULT_OPTIONS,
) -> list[Charge]:
    """A mid-cycle seat change: refund of the old count + charge of the new count, co-terminous with the cycle.

    Microsoft, 10 seats at 10.08 bought 18 Jun, 2 added 20 Jun: `addQuantity` -9.408 x 10 and 9.408 x 12.
    """
    if quantity_after == quantity_before:
        return []
    charge_type = ChargeType.ADD_QUANTITY if quantity_after > quantity_before else ChargeType.REMOVE_QUANTITY
    day = at.date()
    cycle = pricing.cycle_on(day)
    proration = day_proration(cycle, day)
    rows: list[Charge] = []
    for quantity, refund in ((quantity_before, True), (quantity_after, False)):
        if quantity:
            rows.append(
                price_row(
                    pricing,
                    charge_type=charge_type,
                    order_at=at,
                    charge_start=day,
                    charge_end=cycle.end,
                    quantity=quantity,
                    proration=proration,
                    refund=refund,
                    reference_id=reference_id,
                    options=options,
                )
            )
    return rows


def cancellation_refund(
    pricing: TermPricing,
    *,
    at: datetime,
    quantity: int,
    reference_id: str,
    options: RatingOptions = DEFAULT_OPTIONS,
) -> Charge:
    """`cancelImmediate`: refund of the days from the cancellation's day to the cycle's end.

    Microsoft: 10 seats at 10.08 bought 15 Jul, cancelled 17 Jul → -9.42 x 10 = -94.20 (10.08 / 31 x 29).
    The caller checks the refund window (`ensure_refundable`).
    """
    day = at.date()
    cycle = pricing.cycle_on(day)
    return price_row(
        pricing,
        charge_type=ChargeType.CANCEL_IMMEDIATE,
        order_at=at,
        charge_start=day,
        charge_end=cycle.end,
        quantity=quantity,
        proration=day_proration(cycle, day),
        refund=True,
        reference_id=reference_id,
        options=options,
    )


def conversion_charge(
    pricing: TermPricing,
    *,
    at: datetime,
    quantity: int,
    reference_id: str,
    outgoing: bool,
    into_existing_subscription: bool = False,
    options: RatingOptions = DEFAULT_OPTIONS,
) -> Charge:
    """One side of an upgrade or trial conversion, prorated from the day of the transition to the cycle's end.

    `outgoing` is the source's refund of the moved seats, else the target's charge. The charge type is `convert`,
    or `moveQuantity` when the target subscription already existed (facts sheet §3.1, §6.1).
    """
    day = at.date()
    cycle = pricing.cycle_on(day)
    return price_row(
        pricing,
        charge_type=ChargeType.MOVE_QUANTITY if into_existing_subscription else ChargeType.CONVERT,
        order_at=at,
        charge_start=day,
        charge_end=cycle.end,
        quantity=quantity,
        proration=day_proration(cycle, day),
        refund=outgoing,
        reference_id=reference_id,
        options=options,
    )


def upgrade_charges(
    source: TermPricing,
    target: TermPricing,
    *,
    at: datetime,
    quantity: int,
    reference_id: str,
    into_existing_subscription: bool = False,
    options: RatingOptions = DEFAULT_OPTIONS,
) -> tuple[Charge, Charge]:
    """Both rows of an upgrade of `quantity` seats, sharing `reference_id`: (source refund, target charge).

    Microsoft, 300 seats of Business Standard (10.08) bought 18 Jun, upgraded 25 Jun to E1 (6.43):
    `convert` -7.72 x 300 = -2,316.00 and `convert` 4.92 x 300 = 1,476.00. A partial upgrade moves fewer seats
    into a co-terminous target.
    """
    return (
        conversion_charge(
            source,
            at=at,
            quantity=quantity,
            reference_id=reference_id,
            outgoing=True,
            into_existing_subscription=into_existing_subscription,
            options=options,
        ),
        conversion_charge(
            target,
            at=at,
            quantity=quantity,
            reference_id=reference_id,
            outgoing=False,
            into_existing_subscription=into_existing_subscription,
            options=options,
        ),
    )


def billing_plan_change_charge(
    pricing: TermPricing,
    *,
    at: datetime,
    quantity: int,
    reference_id: str,
    options: RatingOptions = DEFAULT_OPTIONS,
) -> Charge:
    """`changeBillingPlan`: the new plan's first cycle, from the change (a cycle boundary) to that cycle's end.

    `pricing` is already on the new plan (`plan_since` = the change's day, prices of the new plan). The share is
    counted in whole months, as Microsoft's example shows: monthly→annual after month 1 of a P1Y term bills
    11/12 of the annual price (250 x 11 / 12 = 229.16…); annual→monthly bills one full month.
    """
    day = at.date()
    cycle = pricing.cycle_on(day)
    months = month_index(pricing.term_start, cycle.end + ONE_DAY) - month_index(pricing.term_start, day)
    whole = pricing.billing_cycle.months_in(pricing.term)
    if months <= 0:
        raise LedgerInconsistent(f"billing plan change on {day} leaves no cycle to bill")
    proration = FULL_CYCLE if months == whole else Proration(months, whole)
    return price_row(
        pricing,
        charge_type=ChargeType.CHANGE_BILLING_PLAN,
        order_at=at,
        charge_start=day,
        charge_end=cycle.end,
        quantity=quantity,
        proration=proration,
        refund=False,
        reference_id=reference_id,
        options=options,
    )
