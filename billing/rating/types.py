"""The vocabulary of rating: Microsoft's charge types, terms and billing cycles, the ledger event, the charge row.

Values are spelled exactly as Microsoft spells them (`cycleCharge`, `P1Y`, `monthly`) so that a charge we
compute can be compared with a reconciliation line by plain string equality, without a mapping table that could
drift. Money is `Decimal` everywhere; quantities are whole licences.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

from billing.rating.errors import LedgerInconsistent

ZERO = Decimal(0)
ONE = Decimal(1)


class ChargeType(StrEnum):
    """Microsoft's NCE reconciliation `ChargeType`, one to one (facts sheet §3.1).

    Rating produces all of them except `customerCredit` and `extendTerm`, which only Microsoft issues (credits,
    trial extensions); they are here so that reconciliation lines parse into the same type.
    """

    NEW = "new"
    RENEW = "renew"
    CYCLE_CHARGE = "cycleCharge"
    ADD_QUANTITY = "addQuantity"
    REMOVE_QUANTITY = "removeQuantity"
    CANCEL_IMMEDIATE = "cancelImmediate"
    CONVERT = "convert"
    MOVE_QUANTITY = "moveQuantity"
    CHANGE_BILLING_PLAN = "changeBillingPlan"
    CUSTOMER_CREDIT = "customerCredit"
    EXTEND_TERM = "extendTerm"


class Term(StrEnum):
    """Commitment length (ISO 8601 duration, as Partner Center's `termDuration`)."""

    P1M = "P1M"
    P1Y = "P1Y"
    P3Y = "P3Y"

    @property
    def months(self) -> int:
        return {Term.P1M: 1, Term.P1Y: 12, Term.P3Y: 36}[self]


class BillingCycle(StrEnum):
    """Billing plan (Partner Center's `billingCycle`): how often a charge cycle bills within the term.

    `one_time` bills the whole term once (charge dates = subscription dates); `none` is the plan of NCE trials,
    which are charged 0.
    """

    MONTHLY = "monthly"
    ANNUAL = "annual"
    TRIENNIAL = "triennial"
    ONE_TIME = "one_time"
    NONE = "none"

    def months_in(self, term: Term) -> int:
        """Length of one charge cycle of this plan in a term of `term`; upfront plans span the whole term."""
        fixed = {BillingCycle.MONTHLY: 1, BillingCycle.ANNUAL: 12, BillingCycle.TRIENNIAL: 36}
        months = fixed.get(self, term.months)
        if months > term.months:
            # Partner Center answers 900270 for a billing cycle longer than the term.
            raise LedgerInconsistent(f"billing cycle {self.value} is longer than the term {term.value}")
        return months


class EventKind(StrEnum):
    """What happened to a subscription, as our ledger records it from Partner Center."""

    PURCHASE = "purchase"
    SEAT_CHANGE = "seat_change"
    SUSPEND = "suspend"
    REACTIVATE = "reactivate"
    CANCEL = "cancel"
    RENEW = "renew"
    CONVERT = "convert"
    BILLING_PLAN_CHANGE = "billing_plan_change"


@dataclass(frozen=True, slots=True)
class SubscriptionEvent:
    """One entry of a subscription's ledger: the input of rating.

    - `effective_at`: when Partner Center applied the change (timezone-aware; normalised to UTC, because
      Microsoft's charge dates are UTC dates).
    - `quantity_before` / `quantity_after`: licences before and after the event (a purchase starts from 0;
      a cancellation ends at 0; a convert on the source goes down, on the target up).
    - `unit_price` / `unit_cost`: sale price to our customer and Microsoft's price to us, per licence for one
      full charge cycle of `billing_cycle` (Microsoft's `UnitPrice`: the monthly amount for a monthly plan, the
      year for annual, the three years for triennial). Locked for the term: only events that open a term or a
      billing plan (purchase, renew, convert into a subscription, billing-plan change) set them; on other events
      they are informational and the locked price wins.
    - `term_start` / `term_end`: the term's first and last day (Partner Center's `effectiveStartDate`,
      `commitmentEndDate`, both inclusive).
    - `currency`: the pricing currency of the prices.
    - `reference_id`: Partner Center's id of the operation (order, transition). It becomes the `ReferenceId` of
      every charge row the event produces, pairing refund and charge rows, also across the source and target
      subscriptions of an upgrade.
    - `into_existing_subscription`: a convert whose target already existed is billed as `moveQuantity`.
    - `is_trial`: the subscription is an NCE trial (charged 0, rows qualified `["Trial"]`).
    """

    subscription_id: str
    kind: EventKind
    effective_at: datetime
    reference_id: str
    quantity_before: int
    quantity_after: int
    unit_price: Decimal
    unit_cost: Decimal
    term: Term
    billing_cycle: BillingCycle
    term_start: date
    term_end: date
    currency: str
    is_trial: bool = False
    into_existing_subscription: bool = False

    def __post_init__(self) -> None:
        if self.effective_at.tzinfo is None or self.effective_at.utcoffset() is None:
            raise LedgerInconsistent(f"event {self.reference_id}: effective_at must be timezone-aware (UTC)")
        object.__setattr__(self, "effective_at", self.effective_at.astimezone(UTC))
        if self.quantity_before < 0 or self.quantity_after < 0:
            raise LedgerInconsistent(f"event {self.reference_id}: negative quantity")
        if self.term_end < self.term_start:
            raise LedgerInconsistent(f"event {self.reference_id}: term ends before it starts")
        if not isinstance(self.unit_price, Decimal) or not isinstance(self.unit_cost, Decimal):
            raise LedgerInconsistent(f"event {self.reference_id}: prices must be Decimal, never float")

    @property
    def effective_date(self) -> date:
        """The UTC calendar day the event counts from (billing days include it)."""
        return self.effective_at.date()


@dataclass(frozen=True, slots=True)
class Charge:
    """One charge row, shaped like a line of Microsoft's NCE invoice reconciliation (facts sheet §2.6).

    The sale side (`unit_price`, `effective_unit_price`, `amount`) is what we bill the customer; the cost side
    (`unit_cost`, `effective_unit_cost`, `cost_amount`) is what Microsoft bills us for the same row, rated the
    same way so that margin per row is exact. Refund rows carry a positive `quantity` and negative effective
    unit price and amount, as Microsoft's do. `effective_unit_price` is in the pricing currency; `amount` and
    `cost_amount` are the subtotals (before tax) in the billing `currency`, rounded per `billing.rating.rounding`.
    """

    subscription_id: str
    charge_type: ChargeType
    order_at: datetime
    charge_start: date
    charge_end: date
    quantity: int
    unit_price: Decimal
    effective_unit_price: Decimal
    amount: Decimal
    unit_cost: Decimal
    effective_unit_cost: Decimal
    cost_amount: Decimal
    currency: str
    pricing_currency: str
    exchange_rate: Decimal
    reference_id: str
    term: Term
    billing_cycle: BillingCycle
    subscription_start: date
    subscription_end: date
    product_qualifiers: tuple[str, ...] = ()

    @property
    def is_refund(self) -> bool:
        return self.effective_unit_price < ZERO or self.amount < ZERO


@dataclass(frozen=True, slots=True)
class ChargeCycle:
    """One charge cycle: `start`..`end` inclusive; `cycle_days` is the denominator of day proration.

    `cycle_days` is Microsoft's "charge cycle days": for a monthly plan the days of the month the cycle started
    (not the cycle's own length, which differs after an end-of-month purchase), otherwise the cycle's length
    (365/366 for annual, 1095/1096 for triennial). `partial` marks a cycle cut short at its start because a
    billing plan began inside it (it bills a share, never a full cycle).
    """

    start: date
    end: date
    cycle_days: int
    partial: bool = False


@dataclass(frozen=True, slots=True)
class BillingPeriod:
    """A calendar month: Microsoft's billing period (charges are invoiced by the month of their order date)."""

    year: int
    month: int

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True, slots=True)
class ExchangeRate:
    """Microsoft's `PCToBCExchangeRate`: pricing currency → billing currency, applied in the rounding formula."""

    billing_currency: str
    rate: Decimal
