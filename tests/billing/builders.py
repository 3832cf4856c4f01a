"""Ledger events for rating tests, with the defaults of Microsoft's worked examples.

Microsoft's examples (facts sheet §3.3) price Microsoft 365 Business Standard at EUR 10.08 per seat per month;
the builders default to that, to a one-month term on a monthly plan, and to the term Partner Center would give
the event's day (start = the day, end = the grid's last day), so a test only spells what its example varies.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from billing.rating import (
    BillingCycle,
    Charge,
    EventKind,
    SubscriptionEvent,
    Term,
    term_end_for,
)

BUSINESS_STANDARD = Decimal("10.08")


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0, second: int = 0) -> datetime:
    """An instant in UTC (Partner Center's effective times are UTC)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def event(
    kind: EventKind,
    when: datetime,
    *,
    subscription: str = "sub-1",
    reference: str | None = None,
    before: int = 0,
    after: int = 0,
    price: Decimal | str = BUSINESS_STANDARD,
    cost: Decimal | str | None = None,
    term: Term = Term.P1M,
    cycle: BillingCycle = BillingCycle.MONTHLY,
    term_start: date | None = None,
    term_end: date | None = None,
    currency: str = "EUR",
    trial: bool = False,
    into_existing: bool = False,
) -> SubscriptionEvent:
    start = term_start or when.astimezone(UTC).date()
    return SubscriptionEvent(
        subscription_id=subscription,
        kind=kind,
        effective_at=when,
        reference_id=reference or f"{subscription}:{kind.value}:{when.isoformat()}",
        quantity_before=before,
        quantity_after=after,
        unit_price=Decimal(price),
        unit_cost=Decimal(price if cost is None else cost),
        term=term,
        billing_cycle=cycle,
        term_start=start,
        term_end=term_end or term_end_for(start, term),
        currency=currency,
        is_trial=trial,
        into_existing_subscription=into_existing,
    )


class Sub:
    """One subscription's ledger, written the way the sheet tells a scenario ("buy 10 on 18 Jun, add 2 on 20 Jun").

    Events after the purchase inherit the subscription's term, plan and price unless told otherwise.
    """

    def __init__(
        self,
        subscription: str = "sub-1",
        *,
        price: Decimal | str = BUSINESS_STANDARD,
        cost: Decimal | str | None = None,
        term: Term = Term.P1M,
        cycle: BillingCycle = BillingCycle.MONTHLY,
        trial: bool = False,
        currency: str = "EUR",
    ) -> None:
        self.subscription = subscription
        self.price = Decimal(price)
        self.cost = Decimal(price if cost is None else cost)
        self.term = term
        self.cycle = cycle
        self.trial = trial
        self.currency = currency
        self.term_start: date | None = None
        self.term_end: date | None = None
        self.seats = 0
        self.events: list[SubscriptionEvent] = []

    def _add(
        self,
        kind: EventKind,
        when: datetime,
        after: int,
        *,
        price: Decimal | str | None = None,
        cost: Decimal | str | None = None,
        term: Term | None = None,
        cycle: BillingCycle | None = None,
        term_start: date | None = None,
        term_end: date | None = None,
        reference: str | None = None,
        into_existing: bool = False,
    ) -> SubscriptionEvent:
        new_price = self.price if price is None else Decimal(price)
        new_cost = Decimal(cost) if cost is not None else (new_price if price is not None else self.cost)
        made = event(
            kind,
            when,
            subscription=self.subscription,
            reference=reference,
            before=self.seats,
            after=after,
            price=new_price,
            cost=new_cost,
            term=term or self.term,
            cycle=cycle or self.cycle,
            term_start=term_start or self.term_start,
            term_end=term_end or self.term_end,
            currency=self.currency,
            trial=self.trial,
            into_existing=into_existing,
        )
        self.events.append(made)
        self.seats = after
        self.term_start, self.term_end = made.term_start, made.term_end
        return made

    def buy(self, when: datetime, seats: int, *, term_start: date | None = None, term_end: date | None = None) -> Sub:
        """Purchase; the term starts on the purchase day unless given (an upgrade target is co-terminous)."""
        start = term_start or when.astimezone(UTC).date()
        self._add(EventKind.PURCHASE, when, seats, term_start=start, term_end=term_end)
        return self

    def set_seats(self, when: datetime, seats: int, *, price: Decimal | str | None = None) -> Sub:
        """Seat change; `price` is what the event carries (today's price list), which rating must not apply."""
        self._add(EventKind.SEAT_CHANGE, when, seats, price=price)
        return self

    def cancel(self, when: datetime) -> Sub:
        self._add(EventKind.CANCEL, when, 0)
        return self

    def suspend(self, when: datetime) -> Sub:
        self._add(EventKind.SUSPEND, when, self.seats)
        return self

    def reactivate(self, when: datetime) -> Sub:
        self._add(EventKind.REACTIVATE, when, self.seats)
        return self

    def renew(self, when: datetime, seats: int | None = None, *, price: Decimal | str | None = None) -> Sub:
        """Renewal into the next term (same term length), at the price list's price of the day."""
        assert self.term_end is not None
        start = date.fromordinal(self.term_end.toordinal() + 1)
        made = self._add(
            EventKind.RENEW,
            when,
            self.seats if seats is None else seats,
            price=price,
            term_start=start,
            term_end=term_end_for(start, self.term),
        )
        self.price, self.cost = made.unit_price, made.unit_cost
        return self

    def convert(
        self,
        when: datetime,
        seats: int,
        *,
        reference: str,
        term_start: date | None = None,
        term_end: date | None = None,
        into_existing: bool = False,
    ) -> Sub:
        """Seats leave (source) or arrive (target) in an upgrade or trial conversion sharing `reference`."""
        self._add(
            EventKind.CONVERT,
            when,
            seats,
            reference=reference,
            term_start=term_start or self.term_start or when.astimezone(UTC).date(),
            term_end=term_end,
            into_existing=into_existing,
        )
        return self

    def change_plan(self, when: datetime, cycle: BillingCycle, price: Decimal | str) -> Sub:
        made = self._add(EventKind.BILLING_PLAN_CHANGE, when, self.seats, cycle=cycle, price=price)
        self.cycle, self.price, self.cost = cycle, made.unit_price, made.unit_cost
        return self


def row(charge: Charge) -> tuple[str, str, str, int, str, str]:
    """A charge as the sheet prints it: type, charge start, charge end, quantity, effective unit price, amount."""
    return (
        charge.charge_type.value,
        charge.charge_start.isoformat(),
        charge.charge_end.isoformat(),
        charge.quantity,
        str(charge.effective_unit_price),
        str(charge.amount),
    )
