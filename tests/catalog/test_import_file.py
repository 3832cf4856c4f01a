"""Price-list file import: first import, idempotent re-import, monthly changes, bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from catalog.choices import ChangeKind, Lifecycle, RunStatus
from catalog.models import CatalogChange, Price, Product, Sku
from catalog.services import pricesheet_import_file
from partnercenter.simulator import catalog_data as cd

JULY = dt.date(2025, 7, 1)
pytestmark = pytest.mark.django_db


def _changes(run, kind):
    return CatalogChange.objects.filter(run=run, kind=kind)


def test_first_import_creates_catalog_and_prices(instance, sheet_file):
    path = sheet_file()
    run = pricesheet_import_file(instance=instance, market="US", path=path)
    assert run.status == RunStatus.SUCCEEDED, run.error
    catalog = cd.catalog_for_market("US")
    priced_products = {k[0] for k in catalog.prices}
    assert set(Product.objects.values_list("product_id", flat=True)) == priced_products
    assert run.added_count == len(priced_products) and run.repriced_count == 0 and run.discontinued_count == 0
    bb = Price.objects.get(sku__product__product_id="CFQ7TTC0LH18", term_duration="P1Y", billing_cycle="annual",
                           currency="USD", is_current=True)
    assert bb.unit_price == Decimal("57.6") and bb.erp_price == Decimal("72")
    assert bb.effective_start == dt.datetime(2025, 1, 1, tzinfo=dt.UTC) and bb.effective_end is None
    assert Price.objects.count() == sum(1 for _ in catalog.prices_in_effect(dt.datetime(2025, 6, 1, tzinfo=dt.UTC)))
    assert Product.objects.get(product_id="SIM0D365SALE").family == "Dynamics 365"


@pytest.mark.parametrize("shortcut", [True, False])
def test_reimport_same_file_changes_nothing(instance, sheet_file, shortcut):
    path = sheet_file()
    pricesheet_import_file(instance=instance, market="US", path=path)
    prices_before = list(Price.objects.order_by("pk").values_list("pk", "unit_price", "is_current"))
    again = pricesheet_import_file(instance=instance, market="US", path=path, allow_shortcut=shortcut)
    assert again.status == RunStatus.SUCCEEDED, again.error
    assert again.change_count == 0 and again.prices_written == 0 and again.shortcut is shortcut
    assert list(Price.objects.order_by("pk").values_list("pk", "unit_price", "is_current")) == prices_before
    assert not Product.objects.filter(lifecycle=Lifecycle.DISCONTINUED).exists()


def test_monthly_update_report_lists_exactly_what_changed(instance, sheet_file):
    catalog = cd.catalog_for_market("US")
    pricesheet_import_file(instance=instance, market="US", path=sheet_file(catalog))
    changes = cd.monthly_update(catalog, seed=11, effective_date=JULY)
    run = pricesheet_import_file(instance=instance, market="US", path=sheet_file(catalog, name="july.csv", at=JULY))
    assert run.status == RunStatus.SUCCEEDED, run.error
    added = set(_changes(run, ChangeKind.ADDED).values_list("product__product_id", flat=True))
    gone = set(_changes(run, ChangeKind.DISCONTINUED).values_list("product__product_id", flat=True))
    repriced = {
        (c.product.product_id, c.sku.sku_id, c.term_duration, c.billing_cycle, c.currency, c.new_erp_price)
        for c in _changes(run, ChangeKind.REPRICED).select_related("product", "sku")
    }
    assert added == set(changes.added_products)
    assert gone == set(changes.discontinued_products)
    assert repriced == {(c.product_id, c.sku_id, c.term_duration, c.billing_cycle, c.currency, c.new_erp_price)
                        for c in changes.repriced}
    for pid in changes.discontinued_products:
        product = Product.objects.get(product_id=pid)
        assert product.lifecycle == Lifecycle.DISCONTINUED and product.discontinued_at is not None
    # old price kept as history, new one current
    c = changes.repriced[0]
    history = Price.objects.filter(sku__product__product_id=c.product_id, sku__sku_id=c.sku_id,
                                   term_duration=c.term_duration, billing_cycle=c.billing_cycle, currency=c.currency)
    assert {(p.erp_price, p.is_current) for p in history} == {(c.old_erp_price, False), (c.new_erp_price, True)}
    # and a re-run of the same month is a no-op
    rerun = pricesheet_import_file(instance=instance, market="US", path=sheet_file(catalog, name="july2.csv", at=JULY),
                                   allow_shortcut=False)
    assert rerun.change_count == 0, list(CatalogChange.objects.filter(run=rerun).values())


def test_european_sheet_six_currencies(instance, sheet_file):
    run = pricesheet_import_file(instance=instance, market="DE", path=sheet_file(market="DE"))
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert set(Price.objects.values_list("currency", flat=True)) == {"EUR", "GBP", "CHF", "DKK", "NOK", "SEK"}


def test_padded_sheet_of_n_rows(instance, sheet_file):
    run = pricesheet_import_file(instance=instance, market="US", path=sheet_file(rows=3000))
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.rows_read == 3000 and Price.objects.count() == 3000
    assert Sku.objects.filter(product__product_id__startswith="SIM9").exists()


def _replace_cell(lines, row, column, value):
    header = [h.strip('"') for h in lines[0].strip().split('","')]
    idx = header.index(column)
    import csv
    import io

    values = next(csv.reader(io.StringIO(lines[row])))
    values[idx] = value
    lines[row] = ",".join(f'"{v}"' for v in values) + "\r\n"
    return lines


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda ls: _replace_cell(ls, 5, "Currency", "XYZ"), "row 5, column Currency"),
        (lambda ls: _replace_cell(ls, 7, "UnitPrice", "12,5"), "row 7, column UnitPrice"),
        (lambda ls: _replace_cell(ls, 3, "EffectiveStartDate", "2025-01-01"), "row 3, column EffectiveStartDate"),
        (lambda ls: _replace_cell(ls, 4, "BillingPlan", "Weekly"), "row 4, column BillingPlan"),
        (lambda ls: _replace_cell(ls, 2, "Market", "DE"), "row 2, column Market"),
        (lambda ls: [ls[0].replace('"Currency",', ""), *ls[1:]], "column Currency"),
        (lambda ls: [*ls[:9], ls[9][: len(ls[9]) // 2]], "row 9"),  # truncated download
        (lambda ls: [*ls[:6], '"a","b"\r\n', *ls[6:]], "row 6"),  # malformed row
        (lambda ls: ls[:1], "no rows"),
    ],
)
def test_bad_input_fails_and_applies_nothing(instance, sheet_file, edit, expected):
    good = pricesheet_import_file(instance=instance, market="US", path=sheet_file())
    snapshot = list(Price.objects.order_by("pk").values_list("pk", "unit_price", "is_current"))
    products = Product.objects.count()
    run = pricesheet_import_file(instance=instance, market="US", path=sheet_file(name="bad.csv", edit=edit),
                                 allow_shortcut=False)
    assert run.status == RunStatus.FAILED
    assert expected in run.error
    assert list(Price.objects.order_by("pk").values_list("pk", "unit_price", "is_current")) == snapshot
    assert Product.objects.count() == products
    assert not Product.objects.filter(lifecycle=Lifecycle.DISCONTINUED).exists()
    assert not CatalogChange.objects.filter(run=run).exists()
    assert good.status == RunStatus.SUCCEEDED
