"""Microsoft's worked examples of new-commerce proration, row by row, to the cent.

Source: partner-center-billing.md §3.3 (Microsoft page "Billing for one-time and recurring purchases in new
commerce"), with the rounding notes of §3.5. Each table row below is one charge row of one example; its id
names the sheet section, the example's number (its row in the §3.3 table, top to bottom) and the row. Amounts
are given for both rounding modes:

- `UNIT_PRICE_FIRST` (our default): Microsoft's documented formula ROUNDDOWN(EUP x rate, 2) x quantity;
- `LINE_AMOUNT`: ROUNDDOWN(EUP x quantity, 2), which Microsoft's seat-change tables follow.

`doc` is the figure Microsoft prints and `doc_mode` the mode that reproduces it; `test_microsoft_figure` asserts
we reproduce every printed figure in the mode it follows, `test_both_modes` pins both modes' results.
The scenario inputs that the sheet leaves implicit (year 2021, P1Y term for the upgrades, P3Y for the
annual→monthly change) are stated in each scenario's docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from billing.rating import (
    BillingCycle,
    Charge,
    ChargeType,
    RatingOptions,
    RoundingMode,
    Term,
    rate_subscription,
)
from tests.billing.builders import Sub, at

UNIT = RoundingMode.UNIT_PRICE_FIRST
LINE = RoundingMode.LINE_AMOUNT
BOTH = None

Scenario = Callable[[RatingOptions], list[Charge]]


def rated(*subs: Sub, through: date, options: RatingOptions) -> list[Charge]:
    rows: list[Charge] = []
    for sub in subs:
        rows.extend(rate_subscription(sub.events, through=through, options=options))
    return rows


# -- the scenarios, in the order of the §3.3 table -------------------------------------------------------------


def ex1_buy_10_on_18_jun(options: RatingOptions) -> list[Charge]:
    """Buy 10 Business Standard (10.08) on 18 Jun 2021, monthly."""
    return rated(Sub().buy(at(2021, 6, 18), 10), through=date(2021, 6, 30), options=options)


def ex2a_renew_p1m(options: RatingOptions) -> list[Charge]:
    """The one-month term of example 1 renews on 18 Jul: `renew` 18 Jul-17 Aug."""
    sub = Sub().buy(at(2021, 6, 18), 10).renew(at(2021, 7, 18, 0, 30))
    return rated(sub, through=date(2021, 7, 31), options=options)[1:]


def ex2b_cycle_charge_p1y_monthly(options: RatingOptions) -> list[Charge]:
    """Annual term, monthly plan, bought 18 Jun 2021: July's cycle bills as `cycleCharge`."""
    sub = Sub(term=Term.P1Y).buy(at(2021, 6, 18), 10)
    return rated(sub, through=date(2021, 7, 31), options=options)[1:]


def ex3_prepaid_annual(options: RatingOptions) -> list[Charge]:
    """Annual term paid upfront: unit price 10.08 x 12 = 120.96 per seat for 18 Jun 2021-17 Jun 2022."""
    sub = Sub(price="120.96", term=Term.P1Y, cycle=BillingCycle.ANNUAL).buy(at(2021, 6, 18), 10)
    return rated(sub, through=date(2021, 6, 30), options=options)


def ex4_add_2_on_20_jun(options: RatingOptions) -> list[Charge]:
    """Example 1, then 2 seats added on 20 Jun: 10.08 / 30 x 28 = 9.408 per seat to 17 Jul."""
    sub = Sub().buy(at(2021, 6, 18), 10).set_seats(at(2021, 6, 20), 12)
    return rated(sub, through=date(2021, 6, 30), options=options)[1:]


def ex5_remove_4_on_20_jun(options: RatingOptions) -> list[Charge]:
    """Example 4's 12 seats, 4 removed later on 20 Jun (inside the 7 days)."""
    sub = Sub().buy(at(2021, 6, 18), 10).set_seats(at(2021, 6, 20), 12).set_seats(at(2021, 6, 20, 15), 8)
    return rated(sub, through=date(2021, 6, 30), options=options)[3:]


def ex6_buy_15_jul_cancel_17_jul(options: RatingOptions) -> list[Charge]:
    """Buy 10 on 15 Jul 2021, cancel on 17 Jul: refund 10.08 / 31 x 29 per seat."""
    sub = Sub().buy(at(2021, 7, 15), 10).cancel(at(2021, 7, 17))
    return rated(sub, through=date(2021, 7, 31), options=options)


def _upgrade(seats_moved: int, options: RatingOptions) -> list[Charge]:
    """300 Business Standard seats (P1Y, monthly) bought 18 Jun 2021, upgraded on 25 Jun to Office 365 E1 (6.43)
    into a new co-terminous subscription; 25 Jun-17 Jul is 23 of the cycle's 30 days."""
    source = Sub("business-standard", term=Term.P1Y).buy(at(2021, 6, 18), 300)
    source.convert(at(2021, 6, 25), 300 - seats_moved, reference="transition-1")
    target = Sub("office-e1", price="6.43", term=Term.P1Y)
    target.convert(
        at(2021, 6, 25), seats_moved, reference="transition-1", term_start=source.term_start, term_end=source.term_end
    )
    return rated(source, target, through=date(2021, 6, 30), options=options)[1:]


def ex7_full_upgrade_300(options: RatingOptions) -> list[Charge]:
    return _upgrade(300, options)


def ex8_partial_upgrade_100(options: RatingOptions) -> list[Charge]:
    return _upgrade(100, options)


def ex9_trial_to_paid(options: RatingOptions) -> list[Charge]:
    """Dynamics 365 Guides trial, 25 seats, from 1 Jun 2021, converted on 10 Jun to a paid subscription (52.61,
    annual term, monthly plan) whose term starts on the conversion day."""
    trial = Sub("guides-trial", price="0", cycle=BillingCycle.NONE, trial=True).buy(at(2021, 6, 1), 25)
    trial.convert(at(2021, 6, 10), 0, reference="conversion-1")
    paid = Sub("guides", price="52.61", term=Term.P1Y)
    paid.convert(at(2021, 6, 10), 25, reference="conversion-1", term_start=date(2021, 6, 10))
    return rated(trial, paid, through=date(2021, 6, 30), options=options)


def ex10_annual_to_monthly_after_year_1(options: RatingOptions) -> list[Charge]:
    """Dynamics 365 Commerce, 10 seats, three-year term billed annually (250 per seat-year) from 18 Jun 2021;
    the plan becomes monthly (20 per seat-month) at the end of year 1."""
    sub = Sub("commerce", price="250", term=Term.P3Y, cycle=BillingCycle.ANNUAL).buy(at(2021, 6, 18), 10)
    sub.change_plan(at(2022, 6, 18, 0, 5), BillingCycle.MONTHLY, "20")
    return rated(sub, through=date(2022, 6, 30), options=options)


def ex11_monthly_to_annual_after_month_1(options: RatingOptions) -> list[Charge]:
    """Dynamics 365 Commerce, 10 seats, one-year term billed monthly (20) from 18 Jun 2021; the plan becomes
    annual (250 per seat-year) after month 1: the annual charge covers the 11 months to the term's end."""
    sub = Sub("commerce", price="20", term=Term.P1Y).buy(at(2021, 6, 18), 10)
    sub.change_plan(at(2021, 7, 18, 0, 5), BillingCycle.ANNUAL, "250")
    return rated(sub, through=date(2021, 7, 31), options=options)


def march_multi_change(options: RatingOptions) -> list[Charge]:
    """§3.5's March table prints only results (-112.25, 168.38, -150.96, 251.61). Derived inputs that reproduce
    all four: 12.00 per seat-month, 10 seats bought 1 Mar 2021 (31-day cycle), +5 on 3 Mar (29 billing days),
    +10 on 6 Mar (26 billing days)."""
    sub = Sub(price="12.00").buy(at(2021, 3, 1), 10).set_seats(at(2021, 3, 3), 15).set_seats(at(2021, 3, 6), 25)
    return rated(sub, through=date(2021, 3, 31), options=options)[1:]


# -- the table ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    id: str
    scenario: Scenario
    index: int
    charge_type: str
    start: str
    end: str
    quantity: int
    eup_unit_first: str
    amount_unit_first: str
    eup_line: str
    amount_line: str
    doc: str  # Microsoft's printed amount ("" when the sheet prints none for the row)
    doc_mode: RoundingMode | None  # the mode reproducing `doc`; None = both modes agree


ROWS = [
    # §3.3 ex1: `new` 18 Jun-17 Jul, EUP 10.08 x 10 = 100.80
    Row("§3.3-ex1-buy-10-row1-new", ex1_buy_10_on_18_jun, 0, "new", "2021-06-18", "2021-07-17", 10,
        "10.08", "100.80", "10.08", "100.80", "100.80", BOTH),
    # §3.3 ex2: `renew` 18 Jul-17 Aug, 100.80; annual term/monthly plan → `cycleCharge` 100.80
    Row("§3.3-ex2-renew-row1-renew", ex2a_renew_p1m, 0, "renew", "2021-07-18", "2021-08-17", 10,
        "10.08", "100.80", "10.08", "100.80", "100.80", BOTH),
    Row("§3.3-ex2-renew-row2-cycleCharge", ex2b_cycle_charge_p1y_monthly, 0, "cycleCharge", "2021-07-18",
        "2021-08-17", 10, "10.08", "100.80", "10.08", "100.80", "100.80", BOTH),
    # §3.3 ex3: `new` 18 Jun 2021-17 Jun 2022, EUP 120.96 x 10 = 1,209.60
    Row("§3.3-ex3-prepaid-annual-row1-new", ex3_prepaid_annual, 0, "new", "2021-06-18", "2022-06-17", 10,
        "120.96", "1209.60", "120.96", "1209.60", "1209.60", BOTH),
    # §3.3 ex4: `addQuantity` EUP -9.408 x 10; `addQuantity` EUP 9.408 x 12 (10.08/30x28); §3.5: 112.89
    Row("§3.3-ex4-add-2-row1-refund", ex4_add_2_on_20_jun, 0, "addQuantity", "2021-06-20", "2021-07-17", 10,
        "-9.40", "-94.00", "-9.408", "-94.08", "", LINE),
    Row("§3.3-ex4-add-2-row2-charge", ex4_add_2_on_20_jun, 1, "addQuantity", "2021-06-20", "2021-07-17", 12,
        "9.40", "112.80", "9.408", "112.89", "112.89", LINE),
    # §3.3 ex5: `removeQuantity` -9.408 x 12; `removeQuantity` 9.408 x 8; §3.5: 75.26
    Row("§3.3-ex5-remove-4-row1-refund", ex5_remove_4_on_20_jun, 0, "removeQuantity", "2021-06-20", "2021-07-17",
        12, "-9.40", "-112.80", "-9.408", "-112.89", "", LINE),
    Row("§3.3-ex5-remove-4-row2-charge", ex5_remove_4_on_20_jun, 1, "removeQuantity", "2021-06-20", "2021-07-17",
        8, "9.40", "75.20", "9.408", "75.26", "75.26", LINE),
    # §3.3 ex6: `new` 100.80; `cancelImmediate` EUP -9.42 x 10 = -94.20 (10.08/31x29)
    Row("§3.3-ex6-cancel-row1-new", ex6_buy_15_jul_cancel_17_jul, 0, "new", "2021-07-15", "2021-08-14", 10,
        "10.08", "100.80", "10.08", "100.80", "100.80", BOTH),
    Row("§3.3-ex6-cancel-row2-cancelImmediate", ex6_buy_15_jul_cancel_17_jul, 1, "cancelImmediate", "2021-07-17",
        "2021-08-14", 10, "-9.42", "-94.20", "-9.429677", "-94.29", "-94.20", UNIT),
    # §3.3 ex7: `convert` -7.72 x 300 = -2,316; `convert` 4.92 x 300 = 1,476 (same ReferenceId)
    Row("§3.3-ex7-full-upgrade-row1-source", ex7_full_upgrade_300, 0, "convert", "2021-06-25", "2021-07-17", 300,
        "-7.72", "-2316.00", "-7.728", "-2318.40", "-2316.00", UNIT),
    Row("§3.3-ex7-full-upgrade-row2-target", ex7_full_upgrade_300, 1, "convert", "2021-06-25", "2021-07-17", 300,
        "4.92", "1476.00", "4.929666", "1478.90", "1476.00", UNIT),
    # §3.3 ex8: `convert` -772 on source; `convert` 492 on a new target subscription
    Row("§3.3-ex8-partial-upgrade-row1-source", ex8_partial_upgrade_100, 0, "convert", "2021-06-25", "2021-07-17",
        100, "-7.72", "-772.00", "-7.728", "-772.80", "-772.00", UNIT),
    Row("§3.3-ex8-partial-upgrade-row2-target", ex8_partial_upgrade_100, 1, "convert", "2021-06-25", "2021-07-17",
        100, "4.92", "492.00", "4.929666", "492.96", "492.00", UNIT),
    # §3.3 ex9: `new` 0 ["Trial"]; `convert` 0 ["Trial"]; `convert` 52.61 x 25 = 1,315.25
    Row("§3.3-ex9-trial-row1-new", ex9_trial_to_paid, 0, "new", "2021-06-01", "2021-06-30", 25,
        "0.00", "0.00", "0.00", "0.00", "0.00", BOTH),
    Row("§3.3-ex9-trial-row2-convert-trial", ex9_trial_to_paid, 1, "convert", "2021-06-10", "2021-06-30", 25,
        "0.00", "0.00", "0.00", "0.00", "0.00", BOTH),
    Row("§3.3-ex9-trial-row3-convert-paid", ex9_trial_to_paid, 2, "convert", "2021-06-10", "2021-07-09", 25,
        "52.61", "1315.25", "52.61", "1315.25", "1315.25", BOTH),
    # §3.3 ex10: `new` 2,500 (Annual); `changeBillingPlan` 200 (Monthly, 20/seat)
    Row("§3.3-ex10-annual-to-monthly-row1-new", ex10_annual_to_monthly_after_year_1, 0, "new", "2021-06-18",
        "2022-06-17", 10, "250.00", "2500.00", "250.00", "2500.00", "2500.00", BOTH),
    Row("§3.3-ex10-annual-to-monthly-row2-changeBillingPlan", ex10_annual_to_monthly_after_year_1, 1,
        "changeBillingPlan", "2022-06-18", "2022-07-17", 10, "20.00", "200.00", "20.00", "200.00", "200.00", BOTH),
    # §3.3 ex11: `new` 200; `changeBillingPlan` EUP 229.16 x 10 = 2,291.60 (Annual, to term end)
    Row("§3.3-ex11-monthly-to-annual-row1-new", ex11_monthly_to_annual_after_month_1, 0, "new", "2021-06-18",
        "2021-07-17", 10, "20.00", "200.00", "20.00", "200.00", "200.00", BOTH),
    Row("§3.3-ex11-monthly-to-annual-row2-changeBillingPlan", ex11_monthly_to_annual_after_month_1, 1,
        "changeBillingPlan", "2021-07-18", "2022-06-17", 10, "229.16", "2291.60", "229.166666", "2291.66",
        "2291.60", UNIT),
    # §3.5 March multi-change table (derived inputs, see the scenario): -112.25, 168.38, -150.96, 251.61
    Row("§3.5-march-table-row1-refund", march_multi_change, 0, "addQuantity", "2021-03-03", "2021-03-31", 10,
        "-11.22", "-112.20", "-11.225806", "-112.25", "-112.25", LINE),
    Row("§3.5-march-table-row2-charge", march_multi_change, 1, "addQuantity", "2021-03-03", "2021-03-31", 15,
        "11.22", "168.30", "11.225806", "168.38", "168.38", LINE),
    Row("§3.5-march-table-row3-refund", march_multi_change, 2, "addQuantity", "2021-03-06", "2021-03-31", 15,
        "-10.06", "-150.90", "-10.064516", "-150.96", "-150.96", LINE),
    Row("§3.5-march-table-row4-charge", march_multi_change, 3, "addQuantity", "2021-03-06", "2021-03-31", 25,
        "10.06", "251.50", "10.064516", "251.61", "251.61", LINE),
]


def _rate_row(row: Row, mode: RoundingMode) -> Charge:
    return row.scenario(RatingOptions(rounding=mode))[row.index]


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
@pytest.mark.parametrize("mode", [UNIT, LINE], ids=["unit_price_first", "line_amount"])
def test_both_modes(row: Row, mode: RoundingMode) -> None:
    charge = _rate_row(row, mode)
    eup, amount = (row.eup_unit_first, row.amount_unit_first) if mode is UNIT else (row.eup_line, row.amount_line)
    assert (
        charge.charge_type.value,
        charge.charge_start.isoformat(),
        charge.charge_end.isoformat(),
        charge.quantity,
        charge.effective_unit_price,
        charge.amount,
    ) == (row.charge_type, row.start, row.end, row.quantity, Decimal(eup), Decimal(amount))


PRINTED = [r for r in ROWS if r.doc]


@pytest.mark.parametrize("row", PRINTED, ids=[r.id for r in PRINTED])
def test_microsoft_figure(row: Row) -> None:
    """Every amount Microsoft prints is reproduced to the cent, in the mode its example follows."""
    modes = [UNIT, LINE] if row.doc_mode is None else [row.doc_mode]
    for mode in modes:
        assert _rate_row(row, mode).amount == Decimal(row.doc), mode


def test_default_mode_is_microsofts_documented_formula() -> None:
    """Without options, rows follow ROUNDDOWN(EUP, 2) x quantity: the cancel example's -94.20."""
    sub = Sub().buy(at(2021, 7, 15), 10).cancel(at(2021, 7, 17))
    refund = rate_subscription(sub.events, through=date(2021, 7, 31))[1]
    assert (refund.effective_unit_price, refund.amount) == (Decimal("-9.42"), Decimal("-94.20"))


@pytest.mark.parametrize(
    "scenario", [ex4_add_2_on_20_jun, ex5_remove_4_on_20_jun, ex7_full_upgrade_300, ex8_partial_upgrade_100]
)
def test_refund_and_charge_rows_share_the_reference_id(scenario: Scenario) -> None:
    """§3.1/§3.3: the two rows of a seat change or an upgrade carry one ReferenceId (also across subscriptions)."""
    refund, charge = scenario(RatingOptions())[:2]
    assert refund.reference_id == charge.reference_id
    assert refund.is_refund and not charge.is_refund


def test_upgrade_rows_sit_on_source_and_target() -> None:
    """§3.3 ex8: the partial upgrade refunds on the source and charges on a new target subscription."""
    source_row, target_row = ex8_partial_upgrade_100(RatingOptions())
    assert (source_row.subscription_id, target_row.subscription_id) == ("business-standard", "office-e1")


def test_trial_rows_are_qualified_trial() -> None:
    """§3.3 ex9: the trial's rows carry ["Trial"]; the paid conversion does not."""
    rows = ex9_trial_to_paid(RatingOptions())
    assert [r.product_qualifiers for r in rows] == [("Trial",), ("Trial",), ()]
    assert [r.charge_type for r in rows] == [ChargeType.NEW, ChargeType.CONVERT, ChargeType.CONVERT]


def test_plan_change_keeps_the_term_dates() -> None:
    """§3.2: changing the billing plan doesn't move the subscription dates; the plan's label changes."""
    new, change = ex11_monthly_to_annual_after_month_1(RatingOptions())
    assert (new.subscription_start, new.subscription_end) == (change.subscription_start, change.subscription_end)
    assert (new.billing_cycle, change.billing_cycle) == (BillingCycle.MONTHLY, BillingCycle.ANNUAL)
