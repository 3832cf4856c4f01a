"""The renewal planner: subscriptions that renew in the next N days, with what the renewal will cost.

A new-commerce term locks its price; at renewal the subscription takes the price list in force then (Microsoft's
current price list, with the marketplace's markup), and a promotion that ends before the renewal no longer
applies. The planner shows, per subscription due: the seats now, the change at renewal the BSS keeps (if any),
the quantity it will renew with, a proposed quantity, the price per licence and the amount at renewal, and the
renewal reminders already sent for that term end. Scoped to the user (`bss.selectors.subscription_list_for_user`).
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from billing.services.prices import KnownPrice, known_price
from bss import selectors as bss_selectors
from bss.choices import SubscriptionStatus
from bss.models import LicenseLedgerEntry, NextTermInstruction, Subscription, User
from bss.selectors_lifecycle import subscription_price_after_promotion

DEFAULT_DAYS = 60
MAX_DAYS = 366
MAX_ROWS = 2000


@dataclass
class PlannerRow:
    subscription: Subscription
    renews_on: dt.date
    days_left: int
    seats: int
    instruction: NextTermInstruction | None
    quantity_at_renewal: int
    proposed_quantity: int
    term_at_renewal: str
    billing_cycle_at_renewal: str
    price_now: Decimal | None
    price_at_renewal: Decimal | None
    currency: str
    promotion_note: str = ""
    reminders: list[Any] = field(default_factory=list)

    @property
    def amount_at_renewal(self) -> Decimal | None:
        if self.price_at_renewal is None:
            return None
        return self.price_at_renewal * self.quantity_at_renewal

    @property
    def price_change(self) -> Decimal | None:
        if self.price_at_renewal is None or self.price_now is None:
            return None
        return self.price_at_renewal - self.price_now


def _renewed_as(sub: Subscription, instruction: NextTermInstruction | None) -> Subscription:
    """An unsaved copy of the subscription as it will renew (the instruction's term, billing cycle and SKU)."""
    if instruction is None:
        return sub
    renewed = copy.copy(sub)
    renewed.term_duration = instruction.term_duration or sub.term_duration
    renewed.billing_cycle = instruction.billing_cycle or sub.billing_cycle
    if instruction.pc_product_id and instruction.pc_sku_id:
        renewed.pc_product_id, renewed.pc_sku_id = instruction.pc_product_id, instruction.pc_sku_id
    return renewed


def _promotion_note(sub: Subscription, renews_on: dt.date) -> str:
    if not sub.promotion_id:
        return ""
    if sub.promotion_ends_on is not None and sub.promotion_ends_on >= renews_on:
        return f"Promotion {sub.promotion_id} runs until {sub.promotion_ends_on:%Y-%m-%d}: it still applies."
    when = f" on {sub.promotion_ends_on:%Y-%m-%d}" if sub.promotion_ends_on else ""
    return f"Promotion {sub.promotion_id} ends{when}: the renewal is at the price list's price."


def _price_now(sub: Subscription, today: dt.date) -> Decimal | None:
    """What a licence costs this billing period: the promotional price while it lasts, else the sale price locked
    for the current term (the latest price-setting ledger entry's)."""
    promotional = subscription_price_after_promotion(subscription=sub, on=today) if sub.promotion_id else None
    if promotional is not None:
        return promotional
    for entry in sub.planner_ledger:  # type: ignore[attr-defined]  # prefetched, newest first
        if entry.unit_price is not None:
            return entry.unit_price
    return None


class _PriceList:
    """Today's price-list prices, once per marketplace, SKU, term and billing cycle (many rows share them)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[object, ...], KnownPrice | None] = {}

    def price(self, sub: Subscription) -> KnownPrice | None:
        key = (sub.customer.marketplace_id, sub.pc_product_id, sub.pc_sku_id, sub.term_duration, sub.billing_cycle)
        if key not in self._cache:
            self._cache[key] = known_price(subscription=sub, at=None)
        return self._cache[key]


def renewal_plan_for_user(
    *, user: User, days: int = DEFAULT_DAYS, today: dt.date | None = None, customer_id: int | None = None,
    reseller_id: int | None = None,
) -> list[PlannerRow]:
    """The subscriptions of `user`'s scope whose term ends within `days` (auto-renew on: they will renew), soonest
    first, at most MAX_ROWS."""
    today = today or timezone.localdate()
    days = max(1, min(int(days), MAX_DAYS))
    subs = (
        bss_selectors.subscription_list_for_user(user=user)
        .filter(
            status__in=(SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED),
            auto_renew=True,
            commitment_end_date__gte=today,
            commitment_end_date__lt=today + dt.timedelta(days=days),
        )
        .select_related("customer__marketplace", "customer__reseller", "tenant", "next_term_instruction")
        .prefetch_related(
            "renewal_reminders",
            Prefetch(
                "ledger",
                queryset=LicenseLedgerEntry.objects.filter(unit_price__isnull=False).order_by("-effective_at", "-id"),
                to_attr="planner_ledger",
            ),
        )
        .order_by("commitment_end_date", "customer__company_name", "name", "id")
    )
    if customer_id:
        subs = subs.filter(customer_id=customer_id)
    if reseller_id:
        subs = subs.filter(customer__reseller_id=reseller_id)
    rows = []
    price_list = _PriceList()
    for sub in subs[:MAX_ROWS]:
        assert sub.commitment_end_date is not None  # filtered
        instruction = getattr(sub, "next_term_instruction", None)
        if instruction is not None and instruction.term_end != sub.commitment_end_date:
            instruction = None  # meant for a term that is over
        renews_on = sub.commitment_end_date + dt.timedelta(days=1)
        renewed = _renewed_as(sub, instruction)
        price = price_list.price(renewed)
        unit_price = price.unit_price if price is not None else None
        if sub.promotion_id and sub.promotion_ends_on is not None and sub.promotion_ends_on >= renews_on:
            unit_price = subscription_price_after_promotion(subscription=sub, on=renews_on) or unit_price
        quantity = instruction.quantity if instruction is not None and instruction.quantity else sub.quantity
        rows.append(
            PlannerRow(
                subscription=sub,
                renews_on=renews_on,
                days_left=(sub.commitment_end_date - today).days,
                seats=sub.quantity,
                instruction=instruction,
                quantity_at_renewal=quantity,
                proposed_quantity=quantity,
                term_at_renewal=renewed.term_duration,
                billing_cycle_at_renewal=renewed.billing_cycle,
                price_now=_price_now(sub, today),
                price_at_renewal=unit_price,
                currency=price.currency if price is not None else sub.customer.marketplace.currency,
                promotion_note=_promotion_note(sub, renews_on),
                reminders=[r for r in sub.renewal_reminders.all() if r.term_end == sub.commitment_end_date],
            )
        )
    return rows


PLANNER_CSV_HEADER = (
    "Renews on", "Days left", "Customer", "Reseller", "Subscription", "Partner Center id", "Seats now",
    "Change at renewal", "Quantity at renewal", "Term at renewal", "Billing cycle at renewal", "Price now",
    "Price at renewal", "Amount at renewal", "Currency", "Promotion", "Reminders sent",
)


def planner_csv_rows(rows: list[PlannerRow]) -> list[list[object]]:
    """The planner's rows as the CSV export writes them (same order as PLANNER_CSV_HEADER)."""
    return [
        [
            r.renews_on, r.days_left, r.subscription.customer.company_name,
            r.subscription.customer.reseller.name if r.subscription.customer.reseller_id else "",
            r.subscription.name, r.subscription.pc_subscription_id or "", r.seats,
            r.instruction.describe() if r.instruction else "", r.quantity_at_renewal, r.term_at_renewal,
            r.billing_cycle_at_renewal, r.price_now, r.price_at_renewal, r.amount_at_renewal, r.currency,
            r.promotion_note, "; ".join(f"{m.sent_at:%Y-%m-%d}" for m in r.reminders),
        ]
        for r in rows
    ]
