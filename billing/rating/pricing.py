"""Pricing one charge row: the term's locked prices, the proration share, and the rounding options.

Microsoft's proration (facts sheet §3.3): EffectiveUnitPrice = UnitPrice / chargeCycleDays x billingDays, billing
days running from the event's day to the charge cycle's end, inclusive. A change made mid-cycle is co-terminous
with the cycle: its ChargeEndDate is the cycle's end.

Two deliberate choices where the sheet is silent:
- A share never exceeds the whole unit price. After an end-of-month purchase a monthly cycle can be longer than
  the month it started in (28 Feb-30 Mar 2021 is 31 days, February has 28), so the formula alone would refund or
  charge more than the cycle cost; we cap the share at 1.
- An event on the first day of a cycle is a full cycle (share 1), as Microsoft's `new`/`renew` rows are,
  even when the cycle's own length differs from its month's.

The share is an exact `Fraction`: amounts are only rounded once, by `billing.rating.rounding`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from billing.rating.cycles import billing_days, cycle_containing
from billing.rating.rounding import DEFAULT_ROUNDING, RoundingMode, shown_effective_unit_price, subtotal
from billing.rating.types import (
    ONE,
    ZERO,
    BillingCycle,
    Charge,
    ChargeCycle,
    ChargeType,
    ExchangeRate,
    Term,
)

TRIAL_QUALIFIER = "Trial"


@dataclass(frozen=True, slots=True)
class RatingOptions:
    """How amounts are rounded and converted: the rounding variant and the pricing→billing exchange rate.

    Without an exchange rate, amounts are in the pricing currency (rate 1).
    """

    rounding: RoundingMode = DEFAULT_ROUNDING
    exchange_rate: ExchangeRate | None = None


DEFAULT_OPTIONS = RatingOptions()


@dataclass(frozen=True, slots=True)
class Proration:
    """The share of a full charge cycle a row bills: `part` / `whole` (days, or months for a plan change)."""

    part: int
    whole: int

    @property
    def share(self) -> Fraction:
        return min(Fraction(1), Fraction(self.part, self.whole))


FULL_CYCLE = Proration(1, 1)


def day_proration(cycle: ChargeCycle, first_day: date) -> Proration:
    """Share of `cycle` billed from `first_day` to the cycle's end (Microsoft: 10.08 / 30 x 28)."""
    if first_day <= cycle.start and not cycle.partial:
        return FULL_CYCLE
    return Proration(billing_days(first_day, cycle.end), cycle.cycle_days)


@dataclass(frozen=True, slots=True)
class TermPricing:
    """A subscription's state that charges are rated against: its term, current plan and locked prices.

    `plan_since` is the day the current billing plan started: the term start, or the day of a billing-plan
    change; the plan's first cycle then starts on that day (its grid cycle still ends where the grid says).
    """

    subscription_id: str
    term: Term
    billing_cycle: BillingCycle
    term_start: date
    term_end: date
    unit_price: Decimal
    unit_cost: Decimal
    currency: str
    is_trial: bool = False
    plan_since: date | None = field(default=None)

    def cycle_on(self, day: date) -> ChargeCycle:
        """The current plan's charge cycle that contains `day`, starting no earlier than the plan."""
        cycle = cycle_containing(self.term_start, self.term_end, self.term, self.billing_cycle, day)
        if self.plan_since is not None and cycle.start < self.plan_since:
            return ChargeCycle(start=self.plan_since, end=cycle.end, cycle_days=cycle.cycle_days, partial=True)
        return cycle

    @property
    def qualifiers(self) -> tuple[str, ...]:
        return (TRIAL_QUALIFIER,) if self.is_trial else ()


def price_row(
    pricing: TermPricing,
    *,
    charge_type: ChargeType,
    order_at: datetime,
    charge_start: date,
    charge_end: date,
    quantity: int,
    proration: Proration,
    refund: bool,
    reference_id: str,
    options: RatingOptions = DEFAULT_OPTIONS,
) -> Charge:
    """One charge row: the sale side and the cost side prorated and rounded the same way.

    A refund row keeps a positive quantity and carries the negative effective unit price and amount, as
    Microsoft's rows do. Trials are charged 0.
    """
    sign = -1 if refund else 1
    rate = options.exchange_rate.rate if options.exchange_rate else ONE
    billing_currency = options.exchange_rate.billing_currency if options.exchange_rate else pricing.currency
    unit_price = ZERO if pricing.is_trial else pricing.unit_price
    unit_cost = ZERO if pricing.is_trial else pricing.unit_cost
    exact_price = sign * Fraction(unit_price) * proration.share
    exact_cost = sign * Fraction(unit_cost) * proration.share
    mode = options.rounding
    return Charge(
        subscription_id=pricing.subscription_id,
        charge_type=charge_type,
        order_at=order_at,
        charge_start=charge_start,
        charge_end=charge_end,
        quantity=quantity,
        unit_price=unit_price,
        effective_unit_price=shown_effective_unit_price(exact_price, mode),
        amount=subtotal(exact_price, quantity, mode=mode, exchange_rate=rate),
        unit_cost=unit_cost,
        effective_unit_cost=shown_effective_unit_price(exact_cost, mode),
        cost_amount=subtotal(exact_cost, quantity, mode=mode, exchange_rate=rate),
        currency=billing_currency,
        pricing_currency=pricing.currency,
        exchange_rate=rate,
        reference_id=reference_id,
        term=pricing.term,
        billing_cycle=pricing.billing_cycle,
        subscription_start=pricing.term_start,
        subscription_end=pricing.term_end,
        product_qualifiers=pricing.qualifiers,
    )
