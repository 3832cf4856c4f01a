"""Pure sale-price arithmetic (Decimal, no ORM)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from bss.rules.cycles import months_per_billing_cycle
from catalog.choices import MarkupKind

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount:.2f} {self.currency}"


@dataclass(frozen=True, slots=True)
class Markup:
    kind: str
    percent: Decimal | None = None
    fixed_monthly_price: Decimal | None = None


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def billing_period_months(billing_cycle: str) -> int:
    """Months in one billing period (`bss.rules.cycles`, the one table)."""
    return months_per_billing_cycle(billing_cycle)


def sale_price(*, cost: Decimal, erp: Decimal, billing_cycle: str, markup: Markup | None) -> Decimal:
    """Sale price per unit per billing period.

    No rule: the estimated retail price (ERP). Percentage: cost x (1 + p/100). Fixed: the fixed monthly price x the
    months of one billing period (12 for annual, 36 for triennial).
    """
    if markup is None:
        return round_money(erp)
    if markup.kind == MarkupKind.PERCENT_OVER_COST:
        if markup.percent is None:
            raise ValueError("percentage markup without a percentage")
        return round_money(cost * (1 + markup.percent / HUNDRED))
    if markup.kind == MarkupKind.FIXED_PRICE:
        if markup.fixed_monthly_price is None:
            raise ValueError("fixed-price markup without a price")
        return round_money(markup.fixed_monthly_price * billing_period_months(billing_cycle))
    raise ValueError(f"unknown markup kind {markup.kind!r}")


def markup_refusal(markup: Markup, *, smallest_cost: Decimal | None) -> str | None:
    """Why ``markup`` may not be used, or None: a rule never sells below zero, nor at zero what costs more.

    ``smallest_cost``: the smallest cost above zero (per unit per billing period) among the prices the rule is for;
    None when none of them costs anything (a rule at 0.00 is then allowed).
    """
    if markup.kind == MarkupKind.PERCENT_OVER_COST:
        if markup.percent is None or markup.percent < -HUNDRED:
            return "Give a percentage of at least -100."
        if smallest_cost is not None:
            sale = sale_price(cost=smallest_cost, erp=smallest_cost, billing_cycle="monthly", markup=markup)
            if sale <= 0:
                return (f"A markup of {markup.percent} % sells what costs {smallest_cost} at {sale:.2f}; "
                        "a sale price is above 0 for anything that costs more than 0.")
        return None
    if markup.kind == MarkupKind.FIXED_PRICE:
        if markup.fixed_monthly_price is None or markup.fixed_monthly_price < 0:
            return "Give a fixed price of 0 or more."
        if smallest_cost is not None and round_money(markup.fixed_monthly_price) <= 0:
            return (f"A fixed price of {markup.fixed_monthly_price} sells at 0.00 what costs {smallest_cost} or more; "
                    "a sale price is above 0 for anything that costs more than 0.")
        return None
    return f"Unknown markup kind {markup.kind!r}."


@dataclass(frozen=True, slots=True)
class BelowCostPlan:
    term_duration: str
    billing_cycle: str
    cost: Decimal
    sale: Decimal


class _PriceRow(Protocol):
    term_duration: str
    billing_cycle: str
    unit_price: Decimal
    erp_price: Decimal


def below_cost(markup: Markup, prices: Iterable[_PriceRow]) -> list[BelowCostPlan]:
    """The plans ``markup`` would sell below their cost (``unit_price``), worst loss first."""
    under = []
    for price in prices:
        sale = sale_price(cost=price.unit_price, erp=price.erp_price, billing_cycle=price.billing_cycle,
                          markup=markup)
        if sale < price.unit_price:
            under.append(BelowCostPlan(price.term_duration, price.billing_cycle, price.unit_price, sale))
    return sorted(under, key=lambda p: p.sale - p.cost)


def margin(*, cost: Decimal, sale: Decimal) -> Decimal:
    return round_money(sale - cost)


def margin_percent(*, cost: Decimal, sale: Decimal) -> Decimal | None:
    if sale == 0:
        return None
    return round_money((sale - cost) / sale * HUNDRED)


def monthly_equivalent(*, amount: Decimal, billing_cycle: str) -> Decimal:
    return round_money(amount / billing_period_months(billing_cycle))
