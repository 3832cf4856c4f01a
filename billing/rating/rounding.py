"""Microsoft's rounding of a charge row's subtotal, and the variant its own worked examples follow.

Microsoft documents one formula for licence lines (facts sheet §3.5, the reconciliation file's Subtotal row):

    Subtotal = ROUNDDOWN(EffectiveUnitPrice x PCToBCExchangeRate, 2) x BillableQuantity

where ROUNDDOWN truncates toward zero. Its own worked examples are not all consistent with it: the cancellation
and upgrade rows follow it (the unit price is truncated to cents first: -9.42 x 10 = -94.20), but the seat-change
tables (112.89, 75.26, and the March table) are `ROUNDDOWN(EffectiveUnitPrice x quantity, 2)` — the shape of
Microsoft's documented usage formula. Both are offered; the documented licence formula is the default, and a
reconciliation can re-rate with the other when Microsoft's lines turn out to follow it.

Proration ratios are kept as exact fractions until this module truncates, so no binary float and no Decimal
context precision ever decides a cent.
"""

from __future__ import annotations

import math
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from billing.rating.types import ONE

CENT_PLACES = 2
# Precision at which a line-mode effective unit price is shown (Microsoft prints e.g. 9.408); amounts are
# always computed from the exact value, never from this display.
UNIT_PRICE_DISPLAY_PLACES = 6


class RoundingMode(StrEnum):
    """Which truncation produces a licence line's subtotal."""

    # Microsoft's documented licence formula: truncate the unit price (in billing currency) to cents, then
    # multiply by the quantity. Followed by the doc's cancel and upgrade examples.
    UNIT_PRICE_FIRST = "unit_price_first"
    # Truncate the line (unit price x quantity) to cents, then convert and truncate again: Microsoft's usage
    # formula, which its seat-change examples (112.89, 75.26, -112.25, …) follow.
    LINE_AMOUNT = "line_amount"


DEFAULT_ROUNDING = RoundingMode.UNIT_PRICE_FIRST


def truncate(value: Fraction | Decimal, places: int = CENT_PLACES) -> Decimal:
    """ROUNDDOWN(value, places): truncation toward zero, exact for fractions (-112.896 → -112.89)."""
    scaled = Fraction(value) * 10**places
    return Decimal(math.trunc(scaled)).scaleb(-places)


def subtotal(
    effective_unit_price: Fraction | Decimal,
    quantity: int,
    *,
    mode: RoundingMode = DEFAULT_ROUNDING,
    exchange_rate: Decimal = ONE,
) -> Decimal:
    """A line's subtotal in the billing currency from its exact (signed) effective unit price."""
    eup = Fraction(effective_unit_price)
    rate = Fraction(exchange_rate)
    if mode is RoundingMode.UNIT_PRICE_FIRST:
        return truncate(eup * rate) * quantity
    return truncate(Fraction(truncate(eup * quantity)) * rate)


def shown_effective_unit_price(
    effective_unit_price: Fraction | Decimal, mode: RoundingMode = DEFAULT_ROUNDING
) -> Decimal:
    """The effective unit price as the row shows it: truncated to cents when the formula truncates it
    (Microsoft shows -9.42, 7.72), else at display precision (Microsoft shows 9.408)."""
    if mode is RoundingMode.UNIT_PRICE_FIRST:
        return truncate(effective_unit_price)
    shown = truncate(effective_unit_price, UNIT_PRICE_DISPLAY_PLACES)
    for places in range(CENT_PLACES, UNIT_PRICE_DISPLAY_PLACES):
        # Drop trailing zeros beyond the cents (9.408000 → 9.408) without ever showing fewer than two places.
        shorter = truncate(effective_unit_price, places)
        if shorter == shown:
            return shorter
    return shown


def usage_subtotal(
    effective_unit_price: Decimal, billable_quantity: Decimal, *, exchange_rate: Decimal = ONE
) -> Decimal:
    """Microsoft's usage-line formula, ROUNDDOWN(ROUNDDOWN(EUP x qty, 2) x rate, 2), for fractional quantities."""
    line = truncate(Fraction(effective_unit_price) * Fraction(billable_quantity))
    return truncate(Fraction(line) * Fraction(exchange_rate))
