"""Reads of a subscription's new-commerce lifecycle facts: the price after its promotion (for the renewal planner)
and its add-ons."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet

from bss.models import Subscription


def subscription_price_after_promotion(*, subscription: Subscription, on: dt.date) -> Decimal | None:
    """The unit price (per licence per billing period) the subscription is billed on `on`: the promotional price
    while its promotion lasts (through its end date), then the price without it. None when the BSS does not know
    the price (a subscription bought before prices were recorded: use the current price list)."""
    sub = subscription
    if sub.promotion_id and sub.promotion_unit_price is not None and (
        sub.promotion_ends_on is None or on <= sub.promotion_ends_on
    ):
        return sub.promotion_unit_price
    return sub.regular_unit_price


def subscription_addons(*, subscription: Subscription) -> QuerySet[Subscription]:
    return subscription.addons.order_by("name", "id")
