"""First import of a price-list file into an empty catalog.

On PostgreSQL it is streamed straight into the catalog (``pricesheet.firstload``); a sheet that repeats a price key
or lists a SKU's rows apart falls back to staging. Either way the catalog must come out as the staged path
builds it, and a bad row anywhere leaves nothing behind.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import sys
import tempfile
from decimal import Decimal

import pytest
from django.db import connection

from catalog.choices import ChangeKind, RunStatus
from catalog.models import CatalogChange, CatalogSyncRun, Price, Product, Sku
from catalog.selectors import catalog_orphans
from catalog.services import pricesheet_import_file
from tests.factories.bss import PartnerCenterInstanceFactory

pytestmark = pytest.mark.django_db


def _catalog(instance):
    products = set(Product.objects.filter(instance=instance).values_list(
        "product_id", "title", "family", "publisher", "lifecycle"))
    skus = set(Sku.objects.filter(product__instance=instance).values_list(
        "product__product_id", "sku_id", "title", "description", "lifecycle"))
    prices = set(Price.objects.filter(sku__product__instance=instance, is_current=True).values_list(
        "sku__product__product_id", "sku__sku_id", "term_duration", "billing_cycle", "currency", "unit_price",
        "erp_price", "tier_min", "tier_max", "effective_start", "effective_end"))
    return products, skus, prices


def test_first_import_builds_the_same_catalog_as_the_staged_diff(instance, sheet_file):
    path = sheet_file(rows=2500)
    first = pricesheet_import_file(instance=instance, market="US", path=path)
    assert first.status == RunStatus.SUCCEEDED, first.error
    assert first.rows_read == 2500 and first.prices_written == 2500

    # the same sheet into a catalog that is not empty (its first 20 rows) goes through staging + diff
    other = PartnerCenterInstanceFactory(name="other")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = sheet_file(name="start.csv", edit=lambda _: lines[:21])
    assert pricesheet_import_file(instance=other, market="US", path=start).status == RunStatus.SUCCEEDED
    staged = pricesheet_import_file(instance=other, market="US", path=path)
    assert staged.status == RunStatus.SUCCEEDED, staged.error

    assert _catalog(instance) == _catalog(other)
    products, skus, prices = _catalog(instance)
    assert len(prices) == 2500 and len(skus) > 100
    # the change report lists every product as added, once
    added = CatalogChange.objects.filter(run=first, kind=ChangeKind.ADDED)
    assert first.added_count == added.count() == len(products)
    assert added.filter(sku__isnull=False).count() == 0
    assert set(catalog_orphans().values()) == {0}
    # first/last seen (shown on the product page) are set by the database on the direct load
    for model, scope in ((Product, {"instance": instance}), (Sku, {"product__instance": instance})):
        rows = model.objects.filter(**scope)
        assert not rows.filter(first_seen_at__isnull=True).exists()
        assert not rows.filter(last_seen_at__isnull=True).exists()
        assert rows.filter(first_seen_run=first, last_seen_run=first).count() == rows.count()


def test_repeated_price_key_keeps_the_latest_row(instance, sheet_file):
    def repeat_with_later_start(lines):
        row = lines[1].replace('"1/1/2025 12:00:00 AM"', '"5/1/2025 12:00:00 AM"')
        assert row != lines[1]
        values = row.split('","')
        values[11] = "99.5"  # UnitPrice
        return [*lines, '","'.join(values)]

    run = pricesheet_import_file(instance=instance, market="US", path=sheet_file(edit=repeat_with_later_start))
    assert run.status == RunStatus.SUCCEEDED, run.error
    price = Price.objects.get(sku__product__product_id="CFQ7TTC0LH18", sku__sku_id="0001", term_duration="P1M",
                              billing_cycle="monthly", currency="USD", is_current=True)
    assert price.unit_price == Decimal("99.5")
    assert price.effective_start == dt.datetime(2025, 5, 1, tzinfo=dt.UTC)


def test_sku_listed_again_further_down_is_one_sku(instance, sheet_file):
    def move_second_row_to_the_end(lines):
        return [lines[0], lines[1], *lines[3:], lines[2]]

    run = pricesheet_import_file(instance=instance, market="US", path=sheet_file(edit=move_second_row_to_the_end))
    assert run.status == RunStatus.SUCCEEDED, run.error
    sku = Sku.objects.get(product__product_id="CFQ7TTC0LH18", sku_id="0001")
    assert {(p.term_duration, p.billing_cycle) for p in sku.prices.filter(is_current=True)} >= {
        ("P1M", "monthly"), ("P1Y", "monthly")}
    assert Product.objects.filter(product_id="CFQ7TTC0LH18").count() == 1
    assert run.rows_read == Price.objects.count()


def test_bad_row_after_thousands_written_leaves_nothing(instance, sheet_file):
    def bad_currency_at_row_25000(lines):
        lines[25000] = lines[25000].replace('"USD"', '"XYZ"')
        return lines

    run = pricesheet_import_file(instance=instance, market="US",
                                 path=sheet_file(rows=26000, edit=bad_currency_at_row_25000))
    assert run.status == RunStatus.FAILED
    assert "row 25000, column Currency" in run.error and "XYZ" in run.error
    assert not Product.objects.exists() and not Sku.objects.exists() and not Price.objects.exists()
    assert not CatalogChange.objects.exists()
    # fixed file: the next run is a first import again
    again = pricesheet_import_file(instance=instance, market="US", path=sheet_file(name="fixed.csv", rows=26000))
    assert again.status == RunStatus.SUCCEEDED, again.error
    assert Price.objects.count() == 26000


def test_orphan_check_finds_a_price_whose_sku_is_gone(instance, sheet_file):
    pricesheet_import_file(instance=instance, market="US", path=sheet_file(rows=50))
    assert set(catalog_orphans().values()) == {0}
    price = Price.objects.first()
    Price.objects.filter(pk=price.pk).update(sku_id=Sku.objects.order_by("-pk").first().pk + 1000)
    assert catalog_orphans()["prices without SKU"] == 1


def test_sheet_saved_with_other_quoting_builds_the_same_catalog(instance, sheet_file):
    """A sheet re-saved by a spreadsheet (values quoted only where needed), with quotes, commas and line breaks
    inside values: the first import and the staged path read every row as Python's csv module does."""

    def resave(lines):
        rows = list(csv.reader(io.StringIO("".join(lines))))
        other_sku = next(row[1:3] for row in rows[1:] if row[1:3] != rows[1][1:3])
        for row in rows[1:]:
            if row[1] == rows[1][1]:
                row[0] = 'Microsoft 365 "Business" Basic, promo'  # ProductTitle: quote and comma
            if row[1:3] == rows[1][1:3]:
                row[5] = "Line one\nline two\r\nline three"  # SkuDescription spanning lines
            elif row[1:3] == other_sku:
                row[5] = "Tab\tand back\\slash"  # COPY's own escapes
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerows(rows[:200])
        quoted = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        quoted.writerows(rows[200:])  # the rest as Microsoft writes it
        return [out.getvalue()]

    path = sheet_file(rows=400, edit=resave)
    first = pricesheet_import_file(instance=instance, market="US", path=path)
    assert first.status == RunStatus.SUCCEEDED, first.error
    assert first.rows_read == 400

    other = PartnerCenterInstanceFactory(name="other")
    text = path.read_text(encoding="utf-8")
    header, last = text.splitlines(keepends=True)[0], text.splitlines(keepends=True)[-1]
    seed = sheet_file(name="seed.csv", edit=lambda _: [header, last])  # a catalog that is not empty: staged
    assert pricesheet_import_file(instance=other, market="US", path=seed).status == RunStatus.SUCCEEDED
    staged = pricesheet_import_file(instance=other, market="US", path=path)
    assert staged.status == RunStatus.SUCCEEDED, staged.error
    assert _catalog(instance) == _catalog(other)
    with open(path, encoding="utf-8", newline="") as fh:
        expected = {(r["ProductId"], r["SkuId"], r["TermDuration"], Decimal(r["UnitPrice"]), Decimal(r["ERP Price"]))
                    for r in csv.DictReader(fh)}
    _, _, prices = _catalog(instance)
    assert {(p[0], p[1], p[2], p[5], p[6]) for p in prices} == expected
    product = Product.objects.get(instance=instance, product_id="CFQ7TTC0LH18")
    assert product.title == 'Microsoft 365 "Business" Basic, promo'
    assert product.skus.get(sku_id="0001").description == "Line one\nline two\r\nline three"


def test_malformed_quoting_names_the_row(instance, sheet_file):
    def stray_quote_in_row_7(lines):
        lines[7] = lines[7].replace('","', '"x","', 1)
        return lines

    run = pricesheet_import_file(instance=instance, market="US", path=sheet_file(rows=50, edit=stray_quote_in_row_7))
    assert run.status == RunStatus.FAILED
    assert "row 7" in run.error and not Product.objects.exists()


@pytest.fixture
def spool_root(tmp_path, monkeypatch):
    """Temporary folders (the reader's spool) go here, so a test can see what is left behind."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def test_failed_first_import_leaves_no_spool_behind(instance, sheet_file, spool_root):
    def bad_price_at_row_3000(lines):
        values = lines[3000].split('","')
        values[11] = "12,5"  # UnitPrice with a decimal comma
        lines[3000] = '","'.join(values)
        return lines

    run = pricesheet_import_file(instance=instance, market="US",
                                 path=sheet_file(rows=5000, edit=bad_price_at_row_3000))
    assert run.status == RunStatus.FAILED
    assert "row 3000, column UnitPrice" in run.error and "'12,5' is not a number" in run.error
    assert not Product.objects.exists()
    assert list(spool_root.iterdir()) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the reader process serves the PostgreSQL load only")
def test_reader_process_that_dies_fails_the_run_and_applies_nothing(instance, sheet_file, spool_root, monkeypatch):
    path = sheet_file(rows=100)
    with monkeypatch.context() as patch:
        patch.setattr(sys, "executable", shutil.which("false"))  # the reader exits at once, saying nothing
        with pytest.raises(RuntimeError, match="reader stopped"):
            pricesheet_import_file(instance=instance, market="US", path=path)
    run = CatalogSyncRun.objects.get(instance=instance)
    assert run.status == RunStatus.FAILED and "price-sheet reader stopped (exit code 1)" in run.error
    assert not Product.objects.exists() and list(spool_root.iterdir()) == []
    again = pricesheet_import_file(instance=instance, market="US", path=path)  # retried: a first import again
    assert again.status == RunStatus.SUCCEEDED and Price.objects.count() == 100


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the reader process serves the PostgreSQL load only")
def test_reader_process_that_cannot_start_fails_the_run(instance, sheet_file, spool_root, monkeypatch):
    path = sheet_file(rows=10)
    with monkeypatch.context() as patch:
        patch.setattr(sys, "executable", str(spool_root / "no-such-python"))
        run = pricesheet_import_file(instance=instance, market="US", path=path)
    assert run.status == RunStatus.FAILED and "no-such-python" in run.error
    assert not Product.objects.exists() and list(spool_root.iterdir()) == []
