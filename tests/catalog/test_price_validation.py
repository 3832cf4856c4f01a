"""Prices of a price sheet and of markup rules: never negative, never more precise than their currency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bss.exceptions import ApplicationError
from catalog.choices import MarkupKind, RunStatus
from catalog.models import CatalogChange, MarkupRule, Price, Product
from catalog.pricesheet import format as sheetformat
from catalog.pricesheet.reader import SheetReader
from catalog.pricesheet.staging import PriceSheetError, Stager
from catalog.services import markup_rule_set, pricesheet_import_file
from partnercenter.types import PriceSheetRow
from tests.catalog.test_import_file import _replace_cell

pytestmark = pytest.mark.django_db
BASIC = ("CFQ7TTC0LH18", "0001")  # Microsoft 365 Business Basic


def _prices():
    return list(Price.objects.order_by("pk").values_list("pk", "unit_price", "erp_price", "is_current"))


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("UnitPrice", "-5", "row 7, column UnitPrice: '-5' is negative"),
        ("ERP Price", "-0.01", "row 7, column ERP Price: '-0.01' is negative"),
        ("UnitPrice", "5.125", "row 7, column UnitPrice: '5.125' has more decimals than USD allows (2)"),
    ],
)
def test_bad_price_fails_the_import_names_the_row_and_applies_nothing(instance, sheet_file, column, value,
                                                                       expected):
    good = pricesheet_import_file(instance=instance, market="US", path=sheet_file())
    before = _prices()
    bad = sheet_file(name="bad.csv", edit=lambda ls: _replace_cell(ls, 7, column, value))
    run = pricesheet_import_file(instance=instance, market="US", path=bad, allow_shortcut=False)
    assert run.status == RunStatus.FAILED and expected in run.error, run.error
    assert _prices() == before and not CatalogChange.objects.filter(run=run).exists()
    assert not Price.objects.filter(unit_price__lt=0).exists()
    # the corrected sheet imports (nothing of the failed run is left in the way)
    retry = pricesheet_import_file(instance=instance, market="US", path=sheet_file(name="fixed.csv"),
                                   allow_shortcut=False)
    assert good.status == retry.status == RunStatus.SUCCEEDED, retry.error


def test_negative_price_in_a_first_import_leaves_an_empty_catalog(instance, sheet_file):
    bad = sheet_file(name="bad.csv", edit=lambda ls: _replace_cell(ls, 30, "UnitPrice", "-5"))
    run = pricesheet_import_file(instance=instance, market="US", path=bad)
    assert run.status == RunStatus.FAILED and "row 30, column UnitPrice" in run.error
    assert not Product.objects.exists() and not Price.objects.exists()


def test_zero_and_trailing_zeros_import(instance, sheet_file):
    def edit(lines):
        lines = _replace_cell(lines, 1, "UnitPrice", "0.00")
        return _replace_cell(lines, 1, "ERP Price", "7.2000")

    run = pricesheet_import_file(instance=instance, market="US", path=sheet_file(edit=edit))
    assert run.status == RunStatus.SUCCEEDED, run.error
    price = Price.objects.get(sku__product__product_id=BASIC[0], sku__sku_id=BASIC[1], term_duration="P1M",
                              billing_cycle="monthly")
    assert price.unit_price == 0 and price.erp_price == Decimal("7.2")


def _reader_error(path) -> dict:
    """What the price-sheet reader process (used on PostgreSQL) reports for the file at ``path``."""
    with SheetReader() as reader:
        reader.start({"mode": "stage", "path": str(path), "market": "US"})
        for message in reader.messages():
            if "batch" in message:
                reader.send({"ack": message["batch"]})
                continue
            return message
    raise AssertionError("no answer")


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("UnitPrice", "-5", "'-5' is negative (a price is 0 or more)"),
        ("ERP Price", "72.001", "'72.001' has more decimals than USD allows (2)"),
    ],
)
def test_reader_process_refuses_the_same_prices(sheet_file, column, value, message):
    bad = sheet_file(name="bad.csv", edit=lambda ls: _replace_cell(ls, 12, column, value))
    answer = _reader_error(bad)
    assert answer == {"error": {"message": message, "row": 12, "column": column}}
    assert _reader_error(sheet_file(name="good.csv")) == {"done": 82}


def _client_row(**changes) -> PriceSheetRow:
    values = {
        "product_id": BASIC[0], "sku_id": BASIC[1], "product_title": "Microsoft 365 Business Basic",
        "sku_title": "Microsoft 365 Business Basic", "term_duration": "P1M", "billing_plan": "Monthly",
        "market": "US", "currency": "USD", "unit_price": Decimal("5.76"), "erp_price": Decimal("7.2"),
        "effective_start_date": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        "effective_end_date": dt.datetime(9999, 12, 31, tzinfo=dt.UTC),
    }
    return PriceSheetRow(**{**values, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"unit_price": Decimal("-5")}, "row 2, column UnitPrice: '-5' is negative (a price is 0 or more)"),
        ({"erp_price": Decimal("7.205")}, "row 2, column ERP Price: '7.205' has more decimals than USD allows (2)"),
        ({"currency": "JPY", "unit_price": Decimal("750.5")},
         "row 2, column UnitPrice: '750.5' has more decimals than JPY allows (0)"),
    ],
)
def test_partner_center_rows_are_held_to_the_same_rule(changes, message):
    stager = Stager(market="US")
    with pytest.raises(PriceSheetError) as caught:
        stager.load_rows([_client_row(), _client_row(**changes)])
    stager.drop()
    assert caught.value.message == message


def test_rule_in_the_format_module():
    check = sheetformat.check_price
    assert check("0", "USD", row=1, column="UnitPrice") == "0"
    assert check(" 12.50 ", "EUR", row=1, column="UnitPrice") == "12.50"
    assert check("750", "JPY", row=1, column="UnitPrice") == "750"
    assert check("750.00", "JPY", row=1, column="UnitPrice") == "750.00"
    for text, currency in (("-5", "USD"), ("1.001", "EUR"), ("750.5", "JPY"), ("", "USD"), ("1e3", "USD")):
        with pytest.raises(sheetformat.SheetFormatError):
            check(text, currency, row=1, column="UnitPrice")
    assert sheetformat.currency_decimals("JPY") == 0 and sheetformat.currency_decimals("USD") == 2


# --- markup rules ----------------------------------------------------------------------------------------


@pytest.fixture
def imported(instance, sheet_file):
    pricesheet_import_file(instance=instance, market="US", path=sheet_file())


@pytest.mark.parametrize(
    ("kind", "percent", "fixed", "message"),
    [
        (MarkupKind.PERCENT_OVER_COST, Decimal("-100"), None, "at 0.00"),
        (MarkupKind.PERCENT_OVER_COST, Decimal("-99.99"), None, "at 0.00"),
        (MarkupKind.FIXED_PRICE, None, Decimal("0"), "at 0.00"),
        (MarkupKind.FIXED_PRICE, None, Decimal("0.001"), "at 0.00"),
        (MarkupKind.PERCENT_OVER_COST, Decimal("-150"), None, "at least -100"),
        (MarkupKind.FIXED_PRICE, None, Decimal("-1"), "0 or more"),
    ],
)
def test_markup_that_sells_at_zero_or_below_is_refused(marketplace, imported, kind, percent, fixed, message):
    with pytest.raises(ApplicationError) as caught:
        markup_rule_set(marketplace=marketplace, kind=kind, percent=percent, fixed_monthly_price=fixed, actor=None)
    assert caught.value.code == "catalog_markup_invalid" and message in caught.value.message
    assert not MarkupRule.objects.exists()


def test_markup_discount_that_stays_above_zero_is_kept(marketplace, imported):
    # Below cost: kept only when confirmed (issue "back office" item 5; tests/journeys/test_shop_below_cost.py).
    rule = markup_rule_set(marketplace=marketplace, kind=MarkupKind.PERCENT_OVER_COST, percent=Decimal("-50"),
                           actor=None, allow_below_cost=True)
    assert rule.percent == Decimal("-50")
