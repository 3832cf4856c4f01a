"""Licence quantities: the bounds of a SKU, and how far new commerce lets a quantity go down now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bss.rules.windows import SeatBatch, refundable_quantity

#: Partner Center's product id of the Azure plan: billed by usage, no licence quantity, no term.
AZURE_PLAN_PRODUCT_ID = "DZH318Z0BPS6"


def is_azure_plan(product_id: str, offer_id: str = "") -> bool:
    """Whether a subscription of this product (or catalog offer id "product:sku:...") is an Azure plan."""
    return (product_id or "").upper() == AZURE_PLAN_PRODUCT_ID or (offer_id or "").upper().startswith(
        AZURE_PLAN_PRODUCT_ID
    )


AZURE_PLAN_NO_QUANTITY = (
    "An Azure plan is billed by usage and has no licence quantity; manage its Azure subscriptions in the Azure "
    "portal."
)
AZURE_PLAN_NO_RENEWAL = "An Azure plan has no term and does not renew."


@dataclass(frozen=True)
class QuantityBounds:
    """A SKU's quantity limits: at least `minimum` (never below 1), at most `maximum` (None = no known maximum)."""

    minimum: int = 1
    maximum: int | None = None

    @classmethod
    def of_sku(cls, min_quantity: int | None, max_quantity: int | None) -> QuantityBounds:
        """From the catalog's columns, where a maximum of 0 means "not documented"."""
        return cls(minimum=max(min_quantity or 1, 1), maximum=max_quantity or None)

    def describe(self) -> str:
        return f"between {self.minimum} and {self.maximum}" if self.maximum else f"at least {self.minimum}"


NO_BOUNDS = QuantityBounds()


def quantity_bounds_problem(quantity: int, bounds: QuantityBounds) -> str:
    """Why `quantity` is outside the SKU's bounds, or "" when it is inside."""
    if quantity < bounds.minimum:
        return f"The minimum quantity is {bounds.minimum}."
    if bounds.maximum is not None and quantity > bounds.maximum:
        return f"The maximum quantity is {bounds.maximum}."
    return ""


def _when(value: datetime) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class DecreaseCheck:
    """What new commerce allows now: `refundable` licences can be removed, so the quantity can go down to
    `lowest_quantity`; `problem` is "" when the requested quantity is allowed."""

    refundable: int
    lowest_quantity: int
    problem: str


def quantity_decrease_check(
    *,
    current_quantity: int,
    requested: int,
    batches: Sequence[SeatBatch] = (),
    refundable: int | None = None,
    last_deadline: datetime | None = None,
) -> DecreaseCheck:
    """Whether the quantity may go from `current_quantity` down to `requested` now. The refundable licences are
    those of the open `batches` (from the licence ledger), or `refundable` when Partner Center's own figure is
    known; `last_deadline` (when the window of the latest addition closed) is shown when nothing is refundable."""
    can_remove = refundable_quantity(batches, current_quantity=current_quantity) if refundable is None else max(
        0, min(refundable, current_quantity)
    )
    lowest = current_quantity - can_remove
    if requested >= lowest:
        return DecreaseCheck(refundable=can_remove, lowest_quantity=lowest, problem="")
    if can_remove == 0:
        closed = f" The window for the last licences added closed on {_when(last_deadline)}." if last_deadline else ""
        problem = (
            "Only licences added in the last 7 days (168 hours) can be removed, and no licences of this "
            f"subscription can be removed now, so its quantity cannot go below {current_quantity}.{closed} "
            "Turn auto-renew off (or lower the renewal quantity) instead."
        )
    else:
        listed = "; ".join(f"{b.remaining} until {_when(b.allowed_until)}" for b in batches)
        detail = f" ({listed})" if listed else ""
        problem = (
            f"Only licences added in the last 7 days (168 hours) can be removed: {can_remove} now{detail}. "
            f"The lowest possible quantity is {lowest}."
        )
    return DecreaseCheck(refundable=can_remove, lowest_quantity=lowest, problem=problem)
