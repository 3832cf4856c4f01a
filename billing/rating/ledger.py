"""Rating an event history: the charge rows a subscription's ledger produces, and those of one billing period.

A subscription's charges follow from its events alone: the purchase opens a term and bills its first charge
cycle (`new`), every later cycle of the term bills on its first day at 00:00 UTC (`cycleCharge`), a renewal opens
the next term (`renew`), and mid-cycle events bill their refund/charge rows on the day they happen. The billing
period (a calendar month) only selects which rows land on that month's invoice, by their order date.

Rules enforced here because they change amounts:
- Prices are locked for the term: the price in force is the one set by the event that opened the term (or the
  billing plan); a seat change carrying today's price-list price is still rated at the locked price. A price
  change reaches a subscription only at renewal (facts sheet §3.4).
- Refunds need the 168-hour window: a cancellation within 7 days of the purchase or renewal; a seat reduction
  only of seats added within the last 7 days (per batch, like Partner Center's `refundableQuantity`). Seats
  leave the oldest refundable batch first, keeping the later ones refundable longest (our choice; the sheet
  does not say). Upgrades carry no cancellation window.
- A billing-plan change takes effect at the end of the current charge cycle and must be recorded on that day.
- Suspension does not stop billing (NCE keeps charging a suspended subscription), so it yields no rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time

from billing.rating.charges import (
    REFUND_WINDOW,
    billing_plan_change_charge,
    cancellation_refund,
    conversion_charge,
    cycle_charge,
    ensure_refundable,
    seat_change_charges,
)
from billing.rating.cycles import ONE_DAY
from billing.rating.errors import LedgerInconsistent, RatingError, RefundWindowClosed
from billing.rating.pricing import DEFAULT_OPTIONS, RatingOptions, TermPricing
from billing.rating.types import BillingPeriod, Charge, ChargeType, EventKind, SubscriptionEvent


@dataclass
class _SeatBatch:
    """Seats added at one instant; refundable for 168 hours from then."""

    added_at: datetime
    quantity: int


@dataclass
class _Subscription:
    """The running state of one subscription while its ledger is replayed."""

    pricing: TermPricing
    quantity: int
    charged_through: date
    window_opened_at: datetime | None
    batches: list[_SeatBatch] = field(default_factory=list)
    active: bool = True
    suspended: bool = False

    def refundable_seats(self, at: datetime) -> int:
        return sum(b.quantity for b in self.batches if b.added_at <= at <= b.added_at + REFUND_WINDOW)

    def release_seats(self, at: datetime, quantity: int) -> None:
        """Take `quantity` refundable seats out of their batches, oldest batch first."""
        if quantity > self.refundable_seats(at):
            raise RefundWindowClosed(
                f"{self.pricing.subscription_id}: only {self.refundable_seats(at)} seats were added in the last "
                f"168 hours before {at.isoformat()}, {quantity} cannot be removed"
            )
        for batch in self.batches:
            if quantity == 0:
                break
            if batch.added_at <= at <= batch.added_at + REFUND_WINDOW:
                taken = min(batch.quantity, quantity)
                batch.quantity -= taken
                quantity -= taken
        self.batches = [b for b in self.batches if b.quantity]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _pricing_from(event: SubscriptionEvent) -> TermPricing:
    return TermPricing(
        subscription_id=event.subscription_id,
        term=event.term,
        billing_cycle=event.billing_cycle,
        term_start=event.term_start,
        term_end=event.term_end,
        unit_price=event.unit_price,
        unit_cost=event.unit_cost,
        currency=event.currency,
        is_trial=event.is_trial,
    )


class _Replay:
    """Replays one subscription's events in time order, appending charge rows."""

    def __init__(self, options: RatingOptions, *, since: date | None = None) -> None:
        self.options = options
        self.sub: _Subscription | None = None
        self.charges: list[Charge] = []
        #: Cycles ordered before this day advance the subscription without being priced (nobody reads their rows).
        self.since = _midnight(since) if since is not None else None

    # -- cycles ----------------------------------------------------------------------------------------------

    def bill_cycles(self, *, until: datetime) -> None:
        """`cycleCharge` rows for every cycle of the current term starting at or before `until`."""
        sub = self.sub
        if sub is None or not sub.active:
            return
        while True:
            start = sub.charged_through + ONE_DAY
            if start > sub.pricing.term_end or _midnight(start) > until:
                return
            if self.since is not None and _midnight(start) < self.since:
                # Left out: jump to the last cycle starting before `since` (and by `until`, in the term) at once.
                last = min(self.since.date() - ONE_DAY, until.astimezone(UTC).date(), sub.pricing.term_end)
                jump = sub.pricing.cycle_on(last)
                sub.charged_through = jump.end if jump.start >= start else sub.pricing.cycle_on(start).end
                continue
            cycle = sub.pricing.cycle_on(start)
            # No Partner Center operation stands behind a cycle charge; its reference id is ours, stable per cycle.
            self.charges.append(
                cycle_charge(
                    sub.pricing,
                    charge_type=ChargeType.CYCLE_CHARGE,
                    cycle=cycle,
                    order_at=_midnight(start),
                    quantity=sub.quantity,
                    reference_id=f"{sub.pricing.subscription_id}:cycle:{start.isoformat()}",
                    options=self.options,
                )
            )
            sub.charged_through = cycle.end

    # -- events ----------------------------------------------------------------------------------------------

    def apply(self, event: SubscriptionEvent) -> None:
        handler = {
            EventKind.PURCHASE: self._purchase,
            EventKind.SEAT_CHANGE: self._seat_change,
            EventKind.SUSPEND: self._suspend,
            EventKind.REACTIVATE: self._reactivate,
            EventKind.CANCEL: self._cancel,
            EventKind.RENEW: self._renew,
            EventKind.CONVERT: self._convert,
            EventKind.BILLING_PLAN_CHANGE: self._billing_plan_change,
        }[event.kind]
        handler(event)

    def _active(self, event: SubscriptionEvent) -> _Subscription:
        sub = self.sub
        if sub is None or not sub.active:
            raise LedgerInconsistent(f"{event.kind.value} {event.reference_id}: the subscription is not active")
        if event.quantity_before != sub.quantity:
            raise LedgerInconsistent(
                f"{event.kind.value} {event.reference_id}: quantity before {event.quantity_before}, "
                f"but the subscription has {sub.quantity}"
            )
        if not sub.pricing.term_start <= event.effective_date <= sub.pricing.term_end:
            raise LedgerInconsistent(f"{event.kind.value} {event.reference_id}: outside the current term")
        return sub

    def _open_term(self, event: SubscriptionEvent, charge_type: ChargeType, *, window: bool) -> None:
        """Start a term (purchase, renewal, or a new upgrade/conversion target) and bill its first cycle."""
        pricing = _pricing_from(event)
        day = event.effective_date
        cycle = pricing.cycle_on(day)
        if charge_type is ChargeType.CONVERT:
            first = conversion_charge(
                pricing,
                at=event.effective_at,
                quantity=event.quantity_after,
                reference_id=event.reference_id,
                outgoing=False,
                options=self.options,
            )
        elif self.since is not None and event.effective_at < self.since:
            first = None  # ordered before the rows kept: not priced
        else:
            first = cycle_charge(
                pricing,
                charge_type=charge_type,
                cycle=cycle,
                order_at=event.effective_at,
                quantity=event.quantity_after,
                reference_id=event.reference_id,
                first_day=day,
                options=self.options,
            )
        if first is not None:
            self.charges.append(first)
        self.sub = _Subscription(
            pricing=pricing,
            quantity=event.quantity_after,
            charged_through=cycle.end,
            window_opened_at=event.effective_at if window else None,
            batches=[_SeatBatch(event.effective_at, event.quantity_after)] if window else [],
        )

    def _purchase(self, event: SubscriptionEvent) -> None:
        if self.sub is not None:
            raise LedgerInconsistent(f"purchase {event.reference_id}: the subscription already exists")
        self._open_term(event, ChargeType.NEW, window=True)

    def _renew(self, event: SubscriptionEvent) -> None:
        sub = self.sub
        if sub is None or not sub.active:
            raise LedgerInconsistent(f"renew {event.reference_id}: no active subscription to renew")
        if event.term_start != sub.pricing.term_end + ONE_DAY:
            raise LedgerInconsistent(
                f"renew {event.reference_id}: the new term starts {event.term_start}, "
                f"the day after the term's end is {sub.pricing.term_end + ONE_DAY}"
            )
        self._open_term(event, ChargeType.RENEW, window=True)

    def _seat_change(self, event: SubscriptionEvent) -> None:
        sub = self._active(event)
        if event.quantity_after < event.quantity_before:
            sub.release_seats(event.effective_at, event.quantity_before - event.quantity_after)
        elif event.quantity_after > event.quantity_before:
            sub.batches.append(_SeatBatch(event.effective_at, event.quantity_after - event.quantity_before))
        self.charges.extend(
            seat_change_charges(
                sub.pricing,
                at=event.effective_at,
                quantity_before=event.quantity_before,
                quantity_after=event.quantity_after,
                reference_id=event.reference_id,
                options=self.options,
            )
        )
        sub.quantity = event.quantity_after

    def _cancel(self, event: SubscriptionEvent) -> None:
        sub = self._active(event)
        if not sub.pricing.is_trial:
            # A trial costs nothing: cancelling it refunds nothing and needs no window.
            ensure_refundable(sub.window_opened_at, event.effective_at, f"cancel {event.reference_id}")
            self.charges.append(
                cancellation_refund(
                    sub.pricing,
                    at=event.effective_at,
                    quantity=sub.quantity,
                    reference_id=event.reference_id,
                    options=self.options,
                )
            )
        sub.quantity = 0
        sub.active = False

    def _suspend(self, event: SubscriptionEvent) -> None:
        self._active(event).suspended = True

    def _reactivate(self, event: SubscriptionEvent) -> None:
        self._active(event).suspended = False

    def _convert(self, event: SubscriptionEvent) -> None:
        if event.quantity_after > event.quantity_before and self.sub is None:
            if event.into_existing_subscription:
                raise LedgerInconsistent(f"convert {event.reference_id}: the existing target has no ledger")
            # A new target subscription (upgrade target, or the paid subscription of a trial): its term is
            # co-terminous with the source's (or its own, starting on the conversion day).
            self._open_term(event, ChargeType.CONVERT, window=False)
            return
        sub = self._active(event)
        outgoing = event.quantity_after < event.quantity_before
        self.charges.append(
            conversion_charge(
                sub.pricing,
                at=event.effective_at,
                quantity=abs(event.quantity_before - event.quantity_after),
                reference_id=event.reference_id,
                outgoing=outgoing,
                into_existing_subscription=event.into_existing_subscription,
                options=self.options,
            )
        )
        sub.quantity = event.quantity_after
        if outgoing:
            sub.batches.clear()
        if sub.quantity == 0:
            sub.active = False

    def _billing_plan_change(self, event: SubscriptionEvent) -> None:
        sub = self._active(event)
        day = event.effective_date
        if day != sub.charged_through + ONE_DAY:
            raise LedgerInconsistent(
                f"billing plan change {event.reference_id} on {day}: a plan changes at the end of the current "
                f"charge cycle, i.e. on {sub.charged_through + ONE_DAY}"
            )
        sub.pricing = replace(
            sub.pricing,
            billing_cycle=event.billing_cycle,
            unit_price=event.unit_price,
            unit_cost=event.unit_cost,
            plan_since=day,
        )
        self.charges.append(
            billing_plan_change_charge(
                sub.pricing,
                at=event.effective_at,
                quantity=sub.quantity,
                reference_id=event.reference_id,
                options=self.options,
            )
        )
        sub.charged_through = sub.pricing.cycle_on(day).end


def _in_time_order(events: Iterable[SubscriptionEvent]) -> list[SubscriptionEvent]:
    return sorted(events, key=lambda e: e.effective_at)


def rate_subscription(
    events: Iterable[SubscriptionEvent],
    *,
    through: date,
    options: RatingOptions = DEFAULT_OPTIONS,
    since: date | None = None,
) -> list[Charge]:
    """Every charge row of one subscription's history up to the end of `through` (UTC), in time order.

    Events after `through` are ignored; cycles starting after it are not billed yet. With `since`, the cycle
    charges ordered before that day are left out (replayed, not priced: a billing period's rating skips the
    months it drops anyway); event rows are all kept. Raises `RatingError` (`RefundWindowClosed`,
    `LedgerInconsistent`) for a history Partner Center would not have produced.
    """
    ordered = _in_time_order(events)
    if len({e.subscription_id for e in ordered}) > 1:
        raise RatingError("rate_subscription rates one subscription; use rate_billing_period for several")
    replay = _Replay(options, since=since)
    end = _midnight(through + ONE_DAY)
    for event in ordered:
        if event.effective_at >= end:
            break
        # Cycles that started before the event bill first (00:00 UTC of their first day); a plan change or
        # renewal replaces the cycle that would have started on its own day.
        replaces_cycle = event.kind in (EventKind.BILLING_PLAN_CHANGE, EventKind.RENEW)
        replay.bill_cycles(until=_midnight(event.effective_date) - ONE_DAY if replaces_cycle else event.effective_at)
        replay.apply(event)
    replay.bill_cycles(until=_midnight(through))
    return replay.charges


def _by_subscription(events: Iterable[SubscriptionEvent]) -> Iterator[list[SubscriptionEvent]]:
    groups: dict[str, list[SubscriptionEvent]] = {}
    for event in events:
        groups.setdefault(event.subscription_id, []).append(event)
    yield from groups.values()


def rate_billing_period(
    events: Iterable[SubscriptionEvent], period: BillingPeriod, *, options: RatingOptions = DEFAULT_OPTIONS
) -> list[Charge]:
    """The charge rows of a billing period (calendar month, UTC) for the given events of any subscriptions.

    Each subscription's whole history is replayed (a July cycle charge depends on June's seat changes), then
    the rows whose order date falls in the period are kept, in time order.
    """
    rows: list[Charge] = []
    for history in _by_subscription(events):
        rows.extend(
            c
            for c in rate_subscription(history, through=period.last_day, options=options, since=period.first_day)
            if period.contains(c.order_at.date())
        )
    return sorted(rows, key=lambda c: (c.order_at, c.subscription_id))
