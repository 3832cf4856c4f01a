"""Microsoft's price-sheet format: its columns and the rules for their values.

Framework-free (standard library only): the price-sheet reader process (``catalog.pricesheet.worker``) imports it
without loading Django, and the in-process loader (``pricesheet.staging``) and the enumerations (``catalog.choices``)
take their rules from here, so every path accepts and rejects the same rows with the same messages.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache

# internal name -> documented header
COLUMNS: dict[str, str] = {
    "product_title": "ProductTitle",
    "product_code": "ProductId",
    "sku_code": "SkuId",
    "sku_title": "SkuTitle",
    "publisher": "Publisher",
    "sku_description": "SkuDescription",
    "unit_of_measure": "UnitOfMeasure",
    "term_duration": "TermDuration",
    "billing_plan": "BillingPlan",
    "market": "Market",
    "currency": "Currency",
    "unit_price": "UnitPrice",
    "tier_min": "PricingTierRangeMin",
    "tier_max": "PricingTierRangeMax",
    "effective_start": "EffectiveStartDate",
    "effective_end": "EffectiveEndDate",
    "tags": "Tags",
    "erp_price": "ERP Price",
}
_BY_KEY = {header.replace(" ", "").lower(): name for name, header in COLUMNS.items()}
REQUIRED = (
    "product_title", "product_code", "sku_code", "sku_title", "term_duration", "billing_plan", "market", "currency",
    "unit_price", "effective_start", "effective_end", "erp_price",
)
NUM_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
TERM_RE = re.compile(r"^P[0-9]+[MY]$")

#: Price-sheet ``BillingPlan`` values -> billing cycle.
BILLING_PLAN_TO_CYCLE: dict[str, str] = {
    "monthly": "monthly",
    "annual": "annual",
    "yearly": "annual",
    "triennial": "triennial",
    "biennial": "biennial",
    "onetime": "one_time",
    "one_time": "one_time",
    "none": "none",
}

#: ISO 4217 codes Microsoft's price lists use (a row with another code is rejected).
KNOWN_CURRENCIES: frozenset[str] = frozenset(
    {
        "USD", "EUR", "GBP", "CHF", "DKK", "NOK", "SEK", "ISK", "PLN", "CZK", "HUF", "RON", "BGN", "CAD", "AUD",
        "NZD", "JPY", "CNY", "KRW", "TWD", "HKD", "SGD", "INR", "IDR", "MYR", "THB", "PHP", "VND", "BRL", "MXN",
        "ARS", "CLP", "COP", "PEN", "ZAR", "AED", "SAR", "QAR", "ILS", "TRY", "EGP", "NGN", "KES", "UAH",
    }
)

#: Known currencies whose prices are whole numbers (ISO 4217 minor units 0); every other one has 2 decimals.
WHOLE_NUMBER_CURRENCIES: frozenset[str] = frozenset({"JPY", "KRW", "CLP", "ISK", "VND"})

#: A price text that needs no closer look: not negative, at most the currency's decimals (zeros after them are only
#: formatting: ``7.2000``). Anything else goes through ``check_price`` for the verdict and the message.
_PLAIN_PRICE = {0: re.compile(r"^[0-9]+(\.0+)?$"), 2: re.compile(r"^[0-9]+(\.[0-9]{1,2}0*)?$")}

#: Display family of a product by its title: first needle contained in the title wins (API sync and price sheets).
PRODUCT_FAMILIES: tuple[tuple[str, str], ...] = (
    ("Dynamics 365", "Dynamics 365"), ("Office 365", "Office 365"), ("Microsoft Teams", "Teams"),
    ("Copilot", "Copilot"), ("Azure", "Azure"), ("Windows 365", "Windows 365"), ("Power ", "Power Platform"),
    ("Visio", "Visio"), ("Exchange", "Exchange"), ("Entra", "Security & Identity"),
    ("Defender", "Security & Identity"), ("Project", "Project"), ("Microsoft 365", "Microsoft 365"),
)


class SheetFormatError(Exception):
    """A row or the header breaks the format (``catalog.pricesheet.staging.PriceSheetError`` carries it to the user)."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column


def currency_decimals(currency: str) -> int:
    """Decimals a price in ``currency`` may have."""
    return 0 if currency in WHOLE_NUMBER_CURRENCIES else 2


def plain_price_matcher(currency: str) -> Callable[[str], object]:
    """A fast test of a price text in ``currency``: true means valid as it is (false: ask ``check_price``)."""
    return _PLAIN_PRICE[currency_decimals(currency)].match


def check_price_value(value: Decimal, currency: str, *, row: int | None, column: str, text: str | None = None,
                      ) -> Decimal:
    """The price rule: a price is a number, 0 or more (Microsoft lists some SKUs at 0.00), with no more decimals
    than its currency has. Returns ``value``; raises ``SheetFormatError`` naming the row and column."""
    shown = repr(text if text is not None else str(value))
    if not value.is_finite():
        raise SheetFormatError(f"{shown} is not a number", row=row, column=column)
    if value < 0:
        raise SheetFormatError(f"{shown} is negative (a price is 0 or more)", row=row, column=column)
    decimals = currency_decimals(currency)
    exponent = value.normalize().as_tuple().exponent  # an int: the value is finite
    if value != 0 and isinstance(exponent, int) and exponent < -decimals:
        raise SheetFormatError(f"{shown} has more decimals than {currency} allows ({decimals})", row=row,
                               column=column)
    return value


def check_price(raw: str, currency: str, *, row: int | None, column: str) -> str:
    """``check_price_value`` for a price as text: returns the text stripped."""
    text = raw.strip()
    if not text:
        raise SheetFormatError("value is empty", row=row, column=column)
    if not NUM_RE.match(text):
        raise SheetFormatError(f"{text!r} is not a number", row=row, column=column)
    check_price_value(Decimal(text), currency, row=row, column=column, text=text)
    return text


def family_for_title(title: str) -> str:
    for needle, family in PRODUCT_FAMILIES:
        if needle in title:
            return family
    return "Other"


def normalize_header(name: str) -> str:
    return name.strip().strip("\ufeff\"'\u201c\u201d ").strip().replace(" ", "").lower()


def map_header(header: list[str]) -> list[str | None]:
    """Internal column name per position (None for extra columns); raises on a missing required column."""
    names: list[str | None] = []
    for raw in header:
        name = _BY_KEY.get(normalize_header(raw))
        if name is not None and name in names:
            raise SheetFormatError(f"duplicate column {COLUMNS[name]!r}", row=0)
        names.append(name)
    missing = [COLUMNS[c] for c in REQUIRED if c not in names]
    if missing:
        raise SheetFormatError(f"missing column(s) {', '.join(missing)} in the header", column=missing[0])
    return names


@lru_cache(maxsize=4096)
def parse_us_datetime(value: str) -> dt.datetime | None:
    """``2/1/2019 12:00:00 AM`` -> aware UTC datetime; the 9999 end-of-time sentinel -> None (open-ended)."""
    text = value.strip()
    if "/9999 " in text:
        return None
    parsed = dt.datetime.strptime(text.replace("  ", " "), "%m/%d/%Y %I:%M:%S %p")  # noqa: DTZ007 - UTC next line
    return parsed.replace(tzinfo=dt.UTC)

