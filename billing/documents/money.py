"""How money, unit prices, quantities, tax rates and dates are written on a document.

Amounts are printed with the currency's minor units (2 decimals; 0 for the yen, the won and the other ISO 4217
currencies without minor units), half-up, with a thousands separator: "1,234.50", "JPY 12,345". Unit prices keep
up to 6 decimals when they have them (usage is priced in fractions of a cent), never fewer than the currency's.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 currencies whose minor unit is 0.
ZERO_DECIMAL_CURRENCIES = frozenset({
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF",
    "XPF",
})
UNIT_PRICE_MAX_DECIMALS = 6
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December",
)  # not strftime's %B: that follows the process locale
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(UNIT_PRICE_MAX_DECIMALS + 1)}


def currency_decimals(currency: str) -> int:
    return 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2


def _fixed(value: Decimal, places: int) -> str:
    quantized = value.quantize(_QUANTA[places], rounding=ROUND_HALF_UP)
    if not quantized:
        quantized = abs(quantized)  # never "-0.00"
    return f"{quantized:,.{places}f}"


def format_money(amount: Decimal, currency: str) -> str:
    """The amount with the currency's decimals: "1,234.50" (EUR), "12,345" (JPY)."""
    return _fixed(amount, currency_decimals(currency))


def format_unit_price(price: Decimal, currency: str) -> str:
    """A unit price: the currency's decimals, or more (up to 6) when the price has them: "0.0125"."""
    exponent = price.normalize().as_tuple().exponent
    own = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return _fixed(price, max(currency_decimals(currency), min(own, UNIT_PRICE_MAX_DECIMALS)))


def format_quantity(quantity: int | Decimal) -> str:
    if isinstance(quantity, int):
        return f"{quantity:,}"
    if quantity == quantity.to_integral_value():
        return f"{quantity.to_integral_value():,}"
    return f"{quantity.normalize():,f}"


def format_rate(rate: Decimal | None) -> str:
    """A tax rate in percent: "20 %", "8.5 %"; a dash when no rate applies."""
    if rate is None:
        return "\u2013"
    if rate == rate.to_integral_value():
        return f"{rate.to_integral_value()} %"
    return f"{rate.normalize():f} %"


def format_date(day: date | None) -> str:
    """A date in the table: ISO (unambiguous in every country we bill)."""
    return day.isoformat() if day else ""


def format_long_date(day: date) -> str:
    """A date in the header: "7 December 2026"."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
