"""The simulator's seeded catalog, its monthly update, and the streamed price sheet (pure Python, no Django)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from partnercenter.simulator import catalog_data as cd
from partnercenter.simulator.pricesheet import (
    PRICESHEET_COLUMNS,
    format_us_datetime,
    iter_pricesheet_chunks,
    iter_pricesheet_lines,
    iter_pricesheet_rows,
)

JUNE = dt.date(2025, 6, 1)
JULY = dt.date(2025, 7, 1)


def _parse(lines: list[str]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(lines))))


# --- catalog shape ---------------------------------------------------------------------------------------


def test_us_catalog_has_documented_ids_and_prices() -> None:
    cat = cd.catalog_for_market("US")
    assert cat.default_currency == "USD" and cat.currencies == ("USD",)
    basic = cat.availability("CFQ7TTC0LH18", "0001")
    assert basic.catalog_item_id == "CFQ7TTC0LH18:0001:CFQ7TTC0K971"
    assert cat.availability("DZH318Z0BPS6", "0001").catalog_item_id == "DZH318Z0BPS6:0001:DZH318Z0BML6"
    assert cat.product("DZH318Z0BPS6").product_type == cd.AZURE
    assert cat.product("CFQ7TTC0LH18").product_type == cd.ONLINE_SERVICES_NCE
    assert cat.skus[("CFQ7TTC0LH18", "0001")].max_quantity == 300
    # Business Basic: ERP 6.00 -> P1Y annual 72 (unit 57.6), P1Y monthly 6.30, P1M 7.20
    assert cat.price("CFQ7TTC0LH18", "0001", "P1Y", cd.ANNUAL).erp_price == Decimal("72.00")
    assert cat.price("CFQ7TTC0LH18", "0001", "P1Y", cd.ANNUAL).unit_price == Decimal("57.60")
    assert cat.price("CFQ7TTC0LH18", "0001", "P1Y", cd.MONTHLY).erp_price == Decimal("6.30")
    assert cat.price("CFQ7TTC0LH18", "0001", "P1M", cd.MONTHLY).erp_price == Decimal("7.20")
    assert cat.price("CFQ7TTC0LH18", "0001", "P1M", cd.MONTHLY).unit_price == Decimal("5.76")
    # the Azure plan has no licence price
    assert cat.price("DZH318Z0BPS6", "0001", "", cd.MONTHLY) is None
    families = {p.family for p in cat.products.values()}
    assert {"Microsoft 365", "Office 365", "Dynamics 365", "Teams", "Azure"} <= families


def test_terms_offer_the_documented_billing_cycles() -> None:
    cat = cd.catalog_for_market("US")
    d365 = cat.availability("SIM0D365SALE", "0001")
    assert d365.durations == ("P1M", "P1Y", "P3Y")
    assert d365.billing_cycles_for("P1M") == (cd.MONTHLY,)
    assert d365.billing_cycles_for("P1Y") == (cd.MONTHLY, cd.ANNUAL)
    assert d365.billing_cycles_for("P3Y") == (cd.MONTHLY, cd.ANNUAL, cd.TRIENNIAL)
    assert cat.price("SIM0D365SALE", "0001", "P3Y", cd.TRIENNIAL).erp_price == Decimal("3780.00")
    copilot = cat.availability("CFQ7TTC0MM8R", "0002")
    assert copilot.durations == ("P1Y",)
    for av in cat.availabilities.values():
        for term in av.terms:
            if term.duration:
                assert term.billing_cycle in cd.TERM_BILLING_CYCLES[term.duration] + (cd.NONE,)


def test_addons_carry_prerequisites_and_segments() -> None:
    cat = cd.catalog_for_market("US")
    copilot = cat.skus[("CFQ7TTC0MM8R", "0002")]
    assert copilot.is_addon and cat.product("CFQ7TTC0MM8R").is_addon
    assert "CFQ7TTC0LFLX:0001" in copilot.prerequisite_skus
    for sku in cat.skus.values():
        for prereq in sku.prerequisite_skus:
            assert tuple(prereq.split(":")) in cat.skus
    assert cat.skus[("SIM0M365A3FA", "0001")].segment == cd.EDUCATION
    assert cat.skus[("CFQ7TTC0LCHC", "0003")].is_trial
    # every Dynamics id is obviously synthetic
    assert all(p.id.startswith("SIM") for p in cat.products.values() if p.family == "Dynamics 365")


def test_json_shapes_match_partner_center() -> None:
    cat = cd.catalog_for_market("US")
    product = cat.product_json("CFQ7TTC0LH18")
    assert set(product) >= {"id", "title", "description", "productType", "isMicrosoftProduct", "publisherName",
                            "links"}
    assert product["productType"] == {"id": "OnlineServicesNCE", "displayName": "OnlineServicesNCE"}
    sku = cat.sku_json("CFQ7TTC0MM8R", "0002")
    assert sku["dynamicAttributes"]["isAddon"] is True
    assert "CFQ7TTC0LFLX/0001" in sku["dynamicAttributes"]["prerequisiteSkus"]
    assert set(sku) >= {"id", "productId", "title", "minimumQuantity", "maximumQuantity", "isTrial",
                        "supportedBillingCycles", "purchasePrerequisites", "provisioningVariables", "links"}
    av = cat.availability_json("CFQ7TTC0LH18", "0001")
    assert av["catalogItemId"] == "CFQ7TTC0LH18:0001:CFQ7TTC0K971"
    assert av["defaultCurrency"] == {"code": "USD", "symbol": "$"}
    assert {(t["duration"], t["billingCycle"]) for t in av["terms"]} == {
        ("P1M", "Monthly"), ("P1Y", "Monthly"), ("P1Y", "Annual")}
    assert av["terms"][0]["cancellationPolicies"][0]["refundOptions"][0]["expiresAfter"] == "P7D"
    assert cat.availability_json("DZH318Z0BPS6", "0001")["terms"] == []


@pytest.mark.parametrize(("market", "currency"), [("US", "USD"), ("GB", "GBP"), ("DE", "EUR"), ("FR", "EUR"),
                                                  ("CN", "CNY"), ("SE", "SEK"), ("CH", "CHF")])
def test_markets(market: str, currency: str) -> None:
    cat = cd.catalog_for_market(market)
    assert cat.market == market and cat.default_currency == currency
    assert currency in cat.currencies
    assert cat.price("CFQ7TTC0LH18", "0001", "P1Y", cd.ANNUAL, currency) is not None


def test_european_markets_carry_six_currencies() -> None:
    assert len(cd.EU_MARKETS) == 27
    for market in ("DE", "FR", "GB", *cd.EU_MARKETS):
        assert cd.catalog_for_market(market).currencies == ("EUR", "GBP", "CHF", "DKK", "NOK", "SEK")
    de = cd.catalog_for_market("DE")
    assert de.price("CFQ7TTC0LH18", "0001", "P1M", cd.MONTHLY, "EUR").erp_price == Decimal("6.77")  # 6*0.94*1.2
    with pytest.raises(ValueError, match="unknown market"):
        cd.catalog_for_market("XX")


def test_china_catalog_is_a_subset() -> None:
    cn = cd.catalog_for_market("CN")
    assert "CFQ7TTC0MM8R" not in cn.products and "SIM0D365SALE" not in cn.products
    assert "CFQ7TTC0LF8R" in cn.products


def test_catalog_is_deterministic_and_fresh() -> None:
    a, b = cd.catalog_for_market("US"), cd.catalog_for_market("US")
    assert a == b
    cd.monthly_update(a, seed=1, effective_date=JULY)
    assert a != b and cd.catalog_for_market("US") == b


# --- monthly update --------------------------------------------------------------------------------------


def test_monthly_update_returns_exactly_what_changed() -> None:
    cat = cd.catalog_for_market("US")
    before = {p.id for p in cat.active_products()}
    before_prices = {p.key: p for p in cat.prices_in_effect(dt.datetime(2025, 6, 30, tzinfo=dt.UTC))}
    changes = cd.monthly_update(cat, seed=42, effective_date=JULY)
    after = {p.id for p in cat.active_products()}
    assert len(changes.added_products) == 2 and len(changes.discontinued_products) == 1
    assert len(changes.repriced_skus) == 3
    assert after == (before - set(changes.discontinued_products)) | set(changes.added_products)
    for pid in changes.discontinued_products:
        product = cat.product(pid)
        assert product.lifecycle == cd.DISCONTINUED and product.discontinued_on == JULY
        assert all(not cat.availability(pid, s.id).is_purchasable for s in cat.skus_of(pid))
    # price rows in effect on July 1st differ from June's exactly in the reported changes
    at_july = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
    after_prices = {p.key: p for p in cat.prices_in_effect(at_july)}
    changed = {k for k in before_prices.keys() & after_prices.keys()
               if (before_prices[k].unit_price, before_prices[k].erp_price)
               != (after_prices[k].unit_price, after_prices[k].erp_price)}
    assert changed == {(c.product_id, c.sku_id, c.term_duration, c.billing_cycle, c.currency)
                       for c in changes.repriced}
    assert {k[0] for k in after_prices.keys() - before_prices.keys()} == set(changes.added_products)
    assert {k[0] for k in before_prices.keys() - after_prices.keys()} == set(changes.discontinued_products)
    for c in changes.repriced:
        assert c.old_erp_price != c.new_erp_price and c.effective_start == at_july
        assert c.new_unit_price == (c.new_erp_price * Decimal("0.8")).quantize(Decimal("0.01"))
    assert changes.to_dict()["addedProducts"] == list(changes.added_products)


def test_monthly_update_is_deterministic() -> None:
    a, b = cd.catalog_for_market("DE"), cd.catalog_for_market("DE")
    assert cd.monthly_update(a, seed=7, effective_date=JULY) == cd.monthly_update(b, seed=7, effective_date=JULY)
    assert a == b
    second_a = cd.monthly_update(a, seed=7, effective_date=dt.date(2025, 8, 1))
    assert second_a.added_products and not set(second_a.added_products) & set(b.products)


def test_monthly_update_explicit_discontinue_and_protect() -> None:
    cat = cd.catalog_for_market("US")
    changes = cd.monthly_update(cat, seed=3, effective_date=JULY, discontinue=["CFQ7TTC0LH18"], add=0,
                                reprice=2, protect=["CFQ7TTC0LDPB"])
    assert changes.discontinued_products == ("CFQ7TTC0LH18",)
    assert changes.added_products == ()
    assert "CFQ7TTC0LDPB" not in changes.repriced_products
    assert "CFQ7TTC0LH18" not in changes.repriced_products
    with pytest.raises(ValueError, match="CFQ7TTC0LH18 is not an active product"):
        cd.monthly_update(cat, seed=3, effective_date=JULY, discontinue=["CFQ7TTC0LH18"])


# --- price sheet -----------------------------------------------------------------------------------------


def test_pricesheet_header_is_exactly_the_18_columns() -> None:
    lines = list(iter_pricesheet_lines(cd.catalog_for_market("US"), effective_date=JUNE))
    assert len(PRICESHEET_COLUMNS) == 18
    assert lines[0] == ",".join(f'"{c}"' for c in PRICESHEET_COLUMNS) + "\r\n"
    for line in lines:
        assert line.startswith('"') and line.endswith('"\r\n')


def test_pricesheet_rows_match_catalog_and_doc_format() -> None:
    cat = cd.catalog_for_market("US")
    rows = _parse(list(iter_pricesheet_lines(cat, effective_date=JUNE)))
    assert len(rows) == sum(1 for _ in cat.prices_in_effect(dt.datetime(2025, 6, 1, tzinfo=dt.UTC)))
    basic = [r for r in rows if r["ProductId"] == "CFQ7TTC0LH18"]
    annual = next(r for r in basic if r["TermDuration"] == "P1Y" and r["BillingPlan"] == "Annual")
    assert annual["UnitPrice"] == "57.6" and annual["ERP Price"] == "72"
    assert annual["EffectiveStartDate"] == "1/1/2025 12:00:00 AM"
    assert annual["EffectiveEndDate"] == "12/31/9999 11:59:59 PM"
    assert annual["Tags"] == "License" and annual["Market"] == "US" and annual["Currency"] == "USD"
    assert annual["Publisher"] == "Microsoft Corporation"
    assert not any(r["ProductId"] == "DZH318Z0BPS6" for r in rows)  # Azure is usage-based
    assert format_us_datetime(dt.datetime(2021, 2, 4, 20, 35, 31, tzinfo=dt.UTC)) == "2/4/2021 8:35:31 PM"


def test_pricesheet_multi_currency_for_european_market() -> None:
    rows = _parse(list(iter_pricesheet_lines(cd.catalog_for_market("DE"), effective_date=JUNE)))
    assert {r["Currency"] for r in rows} == {"EUR", "GBP", "CHF", "DKK", "NOK", "SEK"}
    assert {r["Market"] for r in rows} == {"DE"}
    only = _parse(list(iter_pricesheet_lines(cd.catalog_for_market("DE"), effective_date=JUNE,
                                             currencies=["EUR"])))
    assert {r["Currency"] for r in only} == {"EUR"} and len(only) * 6 == len(rows)


@pytest.mark.parametrize("n", [0, 5, 1000, 25_000])
def test_pricesheet_has_exactly_n_rows(n: int) -> None:
    lines = list(iter_pricesheet_lines(cd.catalog_for_market("GB"), rows=n, effective_date=JUNE))
    rows = _parse(lines)
    assert len(lines) == n + 1 and len(rows) == n
    assert all(len(r) == 18 and None not in r for r in rows)
    if n == 25_000:
        keys = [(r["ProductId"], r["SkuId"], r["TermDuration"], r["BillingPlan"], r["Currency"]) for r in rows]
        assert len(set(keys)) == len(keys)  # no duplicate price rows in padding
        assert {r["Currency"] for r in rows} == set(cd.EUROPE_SHEET_CURRENCIES)


def test_pricesheet_is_deterministic_and_streams() -> None:
    cat = cd.catalog_for_market("US")
    first = list(iter_pricesheet_lines(cat, rows=3000, effective_date=JUNE))
    assert first == list(iter_pricesheet_lines(cat, rows=3000, effective_date=JUNE))
    # a bigger sheet starts with the smaller one (rows are generated one by one)
    bigger = iter_pricesheet_lines(cat, rows=200_000, effective_date=JUNE)
    assert [next(bigger) for _ in range(3001)] == first
    chunks = list(iter_pricesheet_chunks(cat, rows=3000, effective_date=JUNE, chunk_size=4096))
    assert b"".join(chunks).decode() == "".join(first)
    assert sum(1 for _ in iter_pricesheet_rows(cat, rows=3000, effective_date=JUNE)) == 3000


def test_pricesheet_reflects_monthly_update() -> None:
    cat = cd.catalog_for_market("US")
    changes = cd.monthly_update(cat, seed=5, effective_date=JULY)
    june = _parse(list(iter_pricesheet_lines(cat, effective_date=JUNE)))
    july = _parse(list(iter_pricesheet_lines(cat, effective_date=JULY)))
    june_ids, july_ids = {r["ProductId"] for r in june}, {r["ProductId"] for r in july}
    assert july_ids - june_ids == set(changes.added_products)
    assert june_ids - july_ids == set(changes.discontinued_products)
    repriced = changes.repriced[0]
    row = next(r for r in july if (r["ProductId"], r["SkuId"], r["TermDuration"], r["Currency"])
               == (repriced.product_id, repriced.sku_id, repriced.term_duration, repriced.currency)
               and r["BillingPlan"].lower() == repriced.billing_cycle)
    assert Decimal(row["ERP Price"]) == repriced.new_erp_price
    assert row["EffectiveStartDate"] == "7/1/2025 12:00:00 AM"


def test_unknown_currency_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown currency"):
        list(iter_pricesheet_lines(cd.catalog_for_market("US"), currencies=["XYZ"], effective_date=JUNE))
