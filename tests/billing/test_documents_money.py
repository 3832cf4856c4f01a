"""How amounts, unit prices, quantities and rates are written on invoices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.documents.money import format_money, format_quantity, format_rate, format_unit_price


@pytest.mark.parametrize(
    ("amount", "currency", "printed"),
    [
        ("1234.5", "EUR", "1,234.50"),
        ("0.005", "EUR", "0.01"),  # half up
        ("-0.001", "EUR", "0.00"),  # never "-0.00"
        ("-42.10", "USD", "-42.10"),
        ("123456.5", "JPY", "123,457"),
        ("999", "KRW", "999"),
    ],
)
def test_money_has_the_currency_decimals(amount: str, currency: str, printed: str) -> None:
    assert format_money(Decimal(amount), currency) == printed


@pytest.mark.parametrize(
    ("price", "currency", "printed"),
    [
        ("10.080000", "EUR", "10.08"),
        ("0.012500", "EUR", "0.0125"),
        ("5", "EUR", "5.00"),
        ("1613.000000", "JPY", "1,613"),
        ("0.1234567", "EUR", "0.123457"),
    ],
)
def test_unit_prices_keep_their_fractions_of_a_cent(price: str, currency: str, printed: str) -> None:
    assert format_unit_price(Decimal(price), currency) == printed


def test_quantities_and_rates() -> None:
    assert format_quantity(1200) == "1,200"
    assert format_quantity(Decimal("2.50")) == "2.5"
    assert format_quantity(Decimal("3.000")) == "3"
    assert format_rate(Decimal("20.000")) == "20 %"
    assert format_rate(Decimal("5.5")) == "5.5 %"
    assert format_rate(None) == "\u2013"
