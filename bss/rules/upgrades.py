"""New-commerce upgrades (Partner Center "transitions"): what Microsoft allows, as plain rules.

- An upgrade moves licences from the source subscription to a higher SKU: all of them (full: the source ends) or
  some (partial: the source keeps the rest), into a new subscription co-terminous with the source or into an
  existing subscription of the target SKU that Partner Center lists as eligible.
- The quantity cannot grow during an upgrade: at most the source's licences move (buy more afterwards).
- An upgrade takes effect immediately: it cannot be dated in the future (a change at renewal does that).
- A promotion on the source is lost: the target is billed at its own price; the user must confirm that.
- Upgrades cannot be undone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

UPGRADE_RULES: tuple[str, ...] = (
    "An upgrade takes effect immediately; it cannot be scheduled for a later date (set a change at renewal instead).",
    "The number of licences cannot grow during an upgrade: move at most the subscription's licences, buy more after.",
    "A promotion on this subscription is lost: the upgraded licences are billed at the target's price.",
    "Upgrades cannot be undone.",
)


@dataclass(frozen=True)
class UpgradeRefusal:
    code: str
    message: str


def upgrade_refusal(
    *,
    quantity: int,
    source_quantity: int,
    effective_on: dt.date | None,
    today: dt.date,
    source_promotion_id: str = "",
    promotion_loss_confirmed: bool = False,
) -> UpgradeRefusal | None:
    """Why this upgrade may not be asked for (None: it may)."""
    if effective_on is not None and effective_on > today:
        return UpgradeRefusal(
            "upgrade_future_dated",
            f"An upgrade cannot be scheduled for {effective_on:%Y-%m-%d}: Partner Center applies upgrades "
            "immediately. Set a change at renewal to change the product when the term ends.",
        )
    if quantity < 1:
        return UpgradeRefusal("upgrade_quantity", "Move at least 1 licence.")
    if quantity > source_quantity:
        return UpgradeRefusal(
            "upgrade_quantity_increase",
            f"The quantity cannot increase during an upgrade: this subscription has {source_quantity} licences, "
            f"so at most {source_quantity} can move (buy the other {quantity - source_quantity} after the upgrade).",
        )
    if source_promotion_id and not promotion_loss_confirmed:
        return UpgradeRefusal(
            "upgrade_promotion_loss",
            f"This subscription has the promotion {source_promotion_id}; the upgrade loses it. Confirm that the "
            "promotion may be lost.",
        )
    return None


def is_full_upgrade(quantity: int, source_quantity: int) -> bool:
    return quantity == source_quantity
