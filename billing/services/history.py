"""A subscription's licence ledger as rating's input: `LicenseLedgerEntry` rows → `billing.rating.SubscriptionEvent`.

The same history is priced for two audiences: the customer (the sale price locked on the ledger) and the reseller
that buys it from the provider (Microsoft's cost locked on the ledger plus the provider's wholesale rule). A
price-setting event without a locked price takes the catalog's price in force when its term started
(`billing.services.prices.known_price`); without one, the subscription cannot be billed: `HistoryProblem`, which the
invoice run reports — never a charge at zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from billing.rating import BillingCycle, EventKind, SubscriptionEvent, Term, term_end_for
from billing.services.prices import KnownPrice, known_price, wholesale_unit_price
from bss.choices import LEDGER_PRICE_SETTING_KINDS
from bss.models import LicenseLedgerEntry, Reseller, Subscription

ZERO = Decimal(0)
#: Subscriptions without a term or a licence billing cycle (Azure plan, usage) are billed from usage, not here.
NOT_RATED_HERE_CYCLES = frozenset({"none", ""})
_TERM_OPENING = frozenset({EventKind.PURCHASE, EventKind.RENEW, EventKind.CONVERT})


class HistoryProblem(Exception):
    """The subscription's history cannot be priced or rated as it stands (reported by the run)."""


class Audience(StrEnum):
    CUSTOMER = "customer"
    RESELLER = "reseller"


@dataclass
class PricedHistory:
    """The events of one subscription for one audience, and whether our cost was known throughout."""

    events: list[SubscriptionEvent]
    cost_known: bool = True
    notes: list[str] = field(default_factory=list)


def is_rated_here(subscription: Subscription) -> bool:
    return bool(subscription.term_duration) and (subscription.billing_cycle or "") not in NOT_RATED_HERE_CYCLES


def _term(value: str) -> Term:
    try:
        return Term(value)
    except ValueError:
        raise HistoryProblem(f"term {value or '(none)'} cannot be rated yet") from None


def _cycle(value: str) -> BillingCycle:
    try:
        return BillingCycle(value)
    except ValueError:
        raise HistoryProblem(f"billing cycle {value or '(none)'} cannot be rated yet") from None


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


class PriceLookups:
    """The catalog reads a batch of subscriptions share (an invoice run keeps one per batch): the known price per
    marketplace, product, SKU, term, billing cycle and day, and the wholesale price per reseller, SKU and cost. Each
    answer depends only on its key, so subscriptions of the same product ask the catalog once."""

    def __init__(self) -> None:
        self._known: dict[tuple[object, ...], KnownPrice | None] = {}
        self._wholesale: dict[tuple[object, ...], Decimal] = {}

    def known(self, subscription: Subscription, term_start: dt.date) -> KnownPrice | None:
        key = (subscription.customer.marketplace_id, subscription.pc_product_id, subscription.pc_sku_id,
               subscription.term_duration, subscription.billing_cycle, term_start)
        if key not in self._known:
            self._known[key] = known_price(subscription=subscription, at=_midnight(term_start))
        return self._known[key]

    def wholesale(self, reseller: Reseller, subscription: Subscription, unit_cost: Decimal) -> Decimal:
        key = (reseller.pk, subscription.customer.marketplace_id, subscription.pc_product_id,
               subscription.pc_sku_id, unit_cost)
        if key not in self._wholesale:
            self._wholesale[key] = wholesale_unit_price(reseller=reseller, subscription=subscription,
                                                        unit_cost=unit_cost)
        return self._wholesale[key]


class _Prices:
    """Locked prices of the entries, the catalog's known price where the ledger has none (cached per term)."""

    def __init__(self, subscription: Subscription, lookups: PriceLookups) -> None:
        self.subscription = subscription
        self.lookups = lookups

    def known(self, term_start: dt.date) -> KnownPrice | None:
        return self.lookups.known(self.subscription, term_start)


def priced_history(
    subscription: Subscription,
    entries: Sequence[LicenseLedgerEntry],
    *,
    audience: Audience,
    reseller: Reseller | None = None,
    lookups: PriceLookups | None = None,
) -> PricedHistory:
    """The subscription's events priced for `audience` (`reseller`: who buys at wholesale, for that audience;
    `lookups`: catalog answers shared with other subscriptions)."""
    lookups = lookups if lookups is not None else PriceLookups()
    prices = _Prices(subscription, lookups)
    history = PricedHistory(events=[])
    for entry in entries:
        term_start = entry.term_start or (
            subscription.effective_start_date.date() if subscription.effective_start_date else None
        )
        term_end = entry.term_end or subscription.commitment_end_date
        if term_start is None or term_end is None:
            raise HistoryProblem("the term's dates are unknown")
        kind = EventKind(entry.kind)
        price_setting = entry.kind in LEDGER_PRICE_SETTING_KINDS
        unit_price, unit_cost, currency = entry.unit_price, entry.unit_cost, entry.currency
        if price_setting and (unit_price is None or unit_cost is None):
            known = prices.known(term_start)
            if known is not None:
                unit_price = known.unit_price if unit_price is None else unit_price
                unit_cost = known.unit_cost if unit_cost is None else unit_cost
                currency = currency or known.currency
        if price_setting:
            if audience is Audience.CUSTOMER and unit_price is None:
                raise HistoryProblem(f"no known price ({entry.get_kind_display().lower()} on {term_start})")
            if audience is Audience.RESELLER and unit_cost is None:
                raise HistoryProblem(f"no known cost for the wholesale price ({entry.get_kind_display().lower()})")
            if unit_cost is None:
                history.cost_known = False
        if audience is Audience.RESELLER and unit_cost is not None and reseller is not None:
            unit_price = lookups.wholesale(reseller, subscription, unit_cost)
        effective_at = entry.effective_at or entry.created_at
        history.events.append(
            SubscriptionEvent(
                subscription_id=str(subscription.pk),
                kind=kind,
                effective_at=effective_at,
                reference_id=entry.reference_id or f"ledger-{entry.pk}",
                quantity_before=entry.quantity_before,
                quantity_after=entry.quantity_after,
                unit_price=unit_price if unit_price is not None else ZERO,
                unit_cost=unit_cost if unit_cost is not None else ZERO,
                term=_term(entry.term_duration or subscription.term_duration),
                billing_cycle=_cycle(entry.billing_cycle or subscription.billing_cycle),
                term_start=term_start,
                term_end=term_end,
                currency=currency or subscription.customer.marketplace.currency,
                # Seats converted into a subscription that already had some: Microsoft's `moveQuantity`.
                into_existing_subscription=(
                    kind is EventKind.CONVERT and 0 < entry.quantity_before < entry.quantity_after
                ),
            )
        )
    _add_confirmed_renewals(subscription, history, prices, audience, reseller)
    return history


def _add_confirmed_renewals(
    subscription: Subscription,
    history: PricedHistory,
    prices: _Prices,
    audience: Audience,
    reseller: Reseller | None,
) -> None:
    """Renewals Partner Center confirmed (the subscription's commitment end moved past the ledger's last term) that
    no ledger entry records: each next term starts the day after the last one ends, at the catalog's price then
    (a price change reaches a subscription at renewal), else at the last term's locked price."""
    events = history.events
    if not events or any(e.kind is EventKind.CANCEL for e in events) or subscription.commitment_end_date is None:
        return
    if any(e.kind is EventKind.RENEW for e in events):
        return  # the BSS records the renewals it observes (`bss.services.renewals`): infer only without them
    opening = [e for e in events if (e.kind in _TERM_OPENING and e.quantity_before == 0) or e.kind is EventKind.RENEW]
    last = max(opening, key=lambda e: e.term_end, default=None)
    if last is None:
        return
    while last.term_end < subscription.commitment_end_date:
        start = last.term_end + dt.timedelta(days=1)
        known = prices.known(start)
        unit_price, unit_cost = last.unit_price, last.unit_cost
        if known is not None:
            unit_cost = known.unit_cost
            unit_price = known.unit_price
            if audience is Audience.RESELLER and reseller is not None:
                unit_price = prices.lookups.wholesale(reseller, subscription, unit_cost)
        before = [e for e in events if e.effective_at < _midnight(start)]
        quantity = max(before, key=lambda e: e.effective_at).quantity_after if before else last.quantity_after
        last = SubscriptionEvent(
            subscription_id=last.subscription_id,
            kind=EventKind.RENEW,
            effective_at=_midnight(start),
            reference_id=f"renewal-{subscription.pk}-{start.isoformat()}",
            quantity_before=quantity,
            quantity_after=quantity,
            unit_price=unit_price,
            unit_cost=unit_cost,
            term=last.term,
            billing_cycle=_cycle(subscription.billing_cycle),
            term_start=start,
            term_end=term_end_for(start, last.term),
            currency=last.currency,
        )
        events.append(last)
    events.sort(key=lambda e: e.effective_at)
