"""The rules themselves, as plain functions (no database): windows, permissions, cycles, quantities, and Partner
Center's error message."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from bss.choices import BillingCycle, TermDuration, UserRole
from bss.partner_center import pc_error_message
from bss.rules import cycles, permissions, quantities, windows
from bss.rules.permissions import Role, SubscriptionAction
from partnercenter.errors import PartnerCenterError

T0 = dt.datetime(2026, 3, 4, 10, 17, 12, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)


# --- windows --------------------------------------------------------------------------------------------------------


def test_the_window_is_168_hours_and_includes_its_deadline():
    deadline = windows.window_deadline(T0)

    assert deadline - T0 == dt.timedelta(hours=168) == dt.timedelta(days=7)
    assert windows.window_is_open(deadline, deadline - SECOND)
    assert windows.window_is_open(deadline, deadline)  # "allowed until": the deadline itself still counts
    assert not windows.window_is_open(deadline, deadline + SECOND)
    assert windows.cancellation_allowed(None, T0)
    assert not windows.cancellation_allowed(T0, T0 + SECOND)


def test_each_addition_has_its_own_window_and_removals_take_the_newest_first():
    changes = [(T0, 10), (T0 + dt.timedelta(hours=100), 5), (T0 + dt.timedelta(hours=101), -2)]

    inside = windows.seat_batches(changes, now=T0 + dt.timedelta(hours=102))
    assert [(b.added, b.remaining, b.allowed_until) for b in inside] == [
        (10, 10, T0 + windows.NCE_WINDOW),
        (5, 3, T0 + dt.timedelta(hours=268)),
    ]
    assert windows.refundable_quantity(inside, current_quantity=13) == 13

    later = windows.seat_batches(changes, now=T0 + windows.NCE_WINDOW + SECOND)
    assert [(b.added, b.remaining) for b in later] == [(5, 3)]
    assert windows.refundable_quantity(later, current_quantity=2) == 2  # never more than the subscription has


# --- permissions ----------------------------------------------------------------------------------------------------


@dataclass
class FakeUser:
    role: str
    customer_id: int | None = None
    reseller_id: int | None = None
    is_staff: bool = False
    is_superuser: bool = False
    is_active: bool = True
    is_authenticated: bool = True
    perms: set[str] = field(default_factory=set)

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_superuser or perm in self.perms


def _refusal(user, action, customer_id=1, reseller_id=7):
    return permissions.subscription_action_refusal(
        permissions.actor_facts(user), action, customer_id=customer_id, reseller_id=reseller_id
    )


def test_the_roles_are_the_user_roles():
    assert {r.value for r in Role} == set(UserRole.values)


def test_a_customer_user_adds_licences_and_toggles_auto_renew_only():
    customer = FakeUser(role="customer", customer_id=1)

    allowed = {a for a in SubscriptionAction if _refusal(customer, a) is None}

    assert allowed == {SubscriptionAction.INCREASE, SubscriptionAction.AUTO_RENEW}
    assert _refusal(customer, SubscriptionAction.CANCEL).code == "reseller_only"
    assert _refusal(customer, SubscriptionAction.INCREASE, customer_id=2).code == "not_your_subscription"


def test_a_reseller_does_everything_to_its_own_customers_only():
    reseller = FakeUser(role="reseller", reseller_id=7)

    assert all(_refusal(reseller, a) is None for a in SubscriptionAction)
    assert _refusal(reseller, SubscriptionAction.SUSPEND, reseller_id=8).code == "not_your_customer"


def test_staff_need_the_tool_permission():
    bare = FakeUser(role="staff", is_staff=True)
    tooled = FakeUser(role="staff", is_staff=True, perms={permissions.STAFF_CHANGE_PERMISSION})

    assert {_refusal(bare, a).code for a in SubscriptionAction} == {"staff_permission_required"}
    assert permissions.allowed_subscription_actions(permissions.actor_facts(bare)) == frozenset()
    assert all(_refusal(tooled, a) is None for a in SubscriptionAction)
    assert _refusal(FakeUser(role="customer", is_superuser=True), SubscriptionAction.CANCEL) is None


def test_nobody_else_may_act():
    for user in (FakeUser(role="reseller", reseller_id=7, is_authenticated=False),
                 FakeUser(role="reseller", reseller_id=7, is_active=False),
                 FakeUser(role="staff", is_staff=False, perms={permissions.STAFF_CHANGE_PERMISSION})):
        assert _refusal(user, SubscriptionAction.INCREASE) is not None


# --- cycles ---------------------------------------------------------------------------------------------------------


def test_one_vocabulary_for_billing_cycles_and_terms():
    assert set(BillingCycle.values) == set(cycles.BILLING_CYCLES)
    assert set(TermDuration.values) == set(cycles.TERM_DURATIONS)


@pytest.mark.parametrize(("cycle", "months"), [
    ("monthly", 1), ("annual", 12), ("biennial", 24), ("triennial", 36), ("one_time", 1), ("none", 1), ("", 1),
    ("Annual", 12),
])
def test_months_per_billing_cycle(cycle, months):
    assert cycles.months_per_billing_cycle(cycle) == months


def test_term_arithmetic():
    assert cycles.term_months("P5Y") == 60 and cycles.term_months("") is None
    assert cycles.billing_periods_per_term("P3Y", "annual") == 3
    assert cycles.billing_periods_per_term("P1M", "annual") is None  # a cycle longer than the term
    assert cycles.term_end(dt.date(2025, 3, 4), "P1Y") == dt.date(2026, 3, 3)
    assert cycles.add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)


# --- quantities -----------------------------------------------------------------------------------------------------


def test_sku_bounds():
    bounds = quantities.QuantityBounds.of_sku(min_quantity=0, max_quantity=0)  # catalog: 0 = not documented
    assert bounds == quantities.NO_BOUNDS
    sku = quantities.QuantityBounds.of_sku(min_quantity=5, max_quantity=300)
    assert quantities.quantity_bounds_problem(4, sku) == "The minimum quantity is 5."
    assert quantities.quantity_bounds_problem(301, sku) == "The maximum quantity is 300."
    assert quantities.quantity_bounds_problem(300, sku) == ""


def test_decrease_names_what_can_go_and_until_when():
    batch = windows.SeatBatch(added_at=T0, added=3, remaining=3)

    allowed = quantities.quantity_decrease_check(current_quantity=8, requested=5, batches=[batch])
    refused = quantities.quantity_decrease_check(current_quantity=8, requested=4, batches=[batch])
    closed = quantities.quantity_decrease_check(current_quantity=8, requested=7, last_deadline=T0)

    assert allowed.problem == "" and allowed.lowest_quantity == 5
    assert "The lowest possible quantity is 5" in refused.problem
    assert "3 until 2026-03-11 10:17 UTC" in refused.problem
    assert "no licences of this subscription can be removed now" in closed.problem
    assert "closed on 2026-03-04 10:17 UTC" in closed.problem
    assert quantities.quantity_decrease_check(current_quantity=8, requested=6, refundable=2).problem == ""


# --- Partner Center's error message ---------------------------------------------------------------------------------


def test_one_partner_center_error_message():
    exc = PartnerCenterError("Bad request", http_status=400, code=900214, correlation_id="c-1",
                             description="Seats can only be reduced within 168 hours")

    assert pc_error_message(exc) == (
        "Seats can only be reduced within 168 hours (Partner Center code 900214, HTTP 400, correlation id c-1)"
    )
    assert pc_error_message(PartnerCenterError("Timed out")) == "Timed out"
    assert len(pc_error_message(PartnerCenterError("x" * 900))) == 500
