"""New-commerce windows: licences may be removed, and a subscription cancelled, within 168 hours (7 days) of being
added (purchase, renewal, or a later increase).

Partner Center states each window as a deadline (`cancellationAllowedUntilDate`, `refundableQuantity.details[]
.allowedUntilDateTime`, `refundOptions[].expiresAt`): the action is allowed *until* that instant, inclusive. So a
window opened at `t` is open at `now` when `now <= t + 168 hours`; one second later it is closed. That single
comparison is `window_is_open`; every other check in the project goes through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

NCE_WINDOW_HOURS: Final = 168
NCE_WINDOW: Final = timedelta(hours=NCE_WINDOW_HOURS)


def window_deadline(opened_at: datetime) -> datetime:
    """The last instant of the window opened at `opened_at` (a purchase, a renewal, an addition of licences)."""
    return opened_at + NCE_WINDOW


def window_is_open(deadline: datetime, now: datetime) -> bool:
    """Whether an action allowed until `deadline` is still allowed at `now` (inclusive: at the deadline itself)."""
    return now <= deadline


def window_earliest_open_start(now: datetime) -> datetime:
    """The oldest opening instant whose window is still open at `now` (for a database pre-filter: `>=` this)."""
    return now - NCE_WINDOW


@dataclass(frozen=True)
class SeatBatch:
    """One addition of licences: `added` at `added_at`, of which `remaining` can still be removed until
    `allowed_until`."""

    added_at: datetime
    added: int
    remaining: int

    @property
    def allowed_until(self) -> datetime:
        return window_deadline(self.added_at)


def seat_batches(changes: Iterable[tuple[datetime, int]], *, now: datetime) -> tuple[SeatBatch, ...]:
    """The additions of licences still refundable at `now`, oldest first, from the licence changes
    `(at, quantity_after - quantity_before)` in the order they happened.

    Each addition opens its own window; a removal inside the windows takes licences from the newest open addition
    first (as Partner Center does). Batches with nothing left are left out.
    """
    opened: list[tuple[datetime, int]] = []  # (added_at, added)
    left: list[int] = []  # what each opened batch still holds
    for at, delta in changes:
        if not window_is_open(window_deadline(at), now):
            continue
        if delta > 0:
            opened.append((at, delta))
            left.append(delta)
            continue
        to_remove = -delta
        for i in reversed(range(len(left))):
            taken = min(left[i], to_remove)
            left[i] -= taken
            to_remove -= taken
            if not to_remove:
                break
    return tuple(
        SeatBatch(added_at=at, added=added, remaining=remaining)
        for (at, added), remaining in zip(opened, left, strict=True)
        if remaining > 0
    )


def refundable_quantity(batches: Iterable[SeatBatch], *, current_quantity: int) -> int:
    """Licences that can still be removed now: what the open batches hold, never more than the subscription has."""
    return max(0, min(sum(b.remaining for b in batches), current_quantity))


def cancellation_allowed(cancellation_allowed_until: datetime | None, now: datetime) -> bool:
    """Whether a subscription may be cancelled now. Without a deadline (legacy offers, not yet read from Partner
    Center) there is no new-commerce window to enforce here; Partner Center decides."""
    return cancellation_allowed_until is None or window_is_open(cancellation_allowed_until, now)
