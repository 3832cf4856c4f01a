"""New-commerce seat windows: each addition of licences is refundable for 168 hours; removals take the newest
seats first; Partner Center's refundableQuantity, when read, is authoritative."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bss.models import LicenseLedgerEntry
from bss.services.subscriptions import subscription_decrease_check
from partnercenter.types import RefundableQuantity, RefundableQuantityDetail
from storefront.workspace import services
from tests.factories.bss import SubscriptionFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def ledger(sub, *rows):
    """rows: (hours ago, before, after)."""
    for hours_ago, before, after in rows:
        entry = LicenseLedgerEntry.objects.create(subscription=sub, quantity_before=before, quantity_after=after,
                                                  reason="test")
        LicenseLedgerEntry.objects.filter(pk=entry.pk).update(created_at=NOW - dt.timedelta(hours=hours_ago))


def test_each_addition_has_its_own_deadline():
    sub = SubscriptionFactory(quantity=17)
    ledger(sub, (24 * 40, 0, 10), (100, 10, 15), (2, 15, 17))

    seats = services.subscription_seat_windows(sub, now=NOW)

    assert [(w.quantity, w.allowed_until) for w in seats.windows] == [
        (5, NOW - dt.timedelta(hours=100) + services.NCE_WINDOW),
        (2, NOW - dt.timedelta(hours=2) + services.NCE_WINDOW),
    ]
    assert (seats.refundable, seats.lowest_quantity, seats.source) == (7, 10, "ledger")
    assert seats.next_deadline == NOW + dt.timedelta(hours=68)


def test_removals_take_the_newest_seats_first_and_old_windows_close():
    sub = SubscriptionFactory(quantity=13)
    ledger(sub, (150, 0, 10), (5, 10, 15), (1, 15, 13))

    seats = services.subscription_seat_windows(sub, now=NOW)
    assert [w.quantity for w in seats.windows] == [10, 3]

    later = services.subscription_seat_windows(sub, now=NOW + dt.timedelta(hours=20))  # 170 h after the purchase
    assert [w.quantity for w in later.windows] == [3]
    assert later.lowest_quantity == 10


def test_closed_window_message_names_the_deadline():
    sub = SubscriptionFactory(quantity=5)
    ledger(sub, (24 * 9, 0, 5))

    problem = subscription_decrease_check(subscription=sub, quantity=4, now=NOW).problem

    deadline = NOW - dt.timedelta(days=9) + services.NCE_WINDOW
    assert "no licences of this subscription can be removed now" in problem
    assert f"closed on {deadline.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC" in problem
    assert subscription_decrease_check(subscription=sub, quantity=6, now=NOW).problem == ""


def test_partner_center_refundable_quantity_wins():
    sub = SubscriptionFactory(quantity=12)
    ledger(sub, (1, 0, 12))
    until = NOW + dt.timedelta(hours=30)
    pc = RefundableQuantity(total_quantity=4, details=(
        RefundableQuantityDetail(quantity=4, allowed_until=until),
        RefundableQuantityDetail(quantity=3, allowed_until=NOW - dt.timedelta(hours=1)),  # expired
    ))

    seats = services.subscription_seat_windows(sub, now=NOW, pc_refundable=pc)

    assert [(w.quantity, w.allowed_until) for w in seats.windows] == [(4, until)]
    assert (seats.refundable, seats.lowest_quantity, seats.source) == (4, 8, "partner_center")
