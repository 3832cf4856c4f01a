"""Microsoft's bill, end to end against the simulator: import every invoice, match it with our invoices; then
plant each kind of drift on Microsoft's side and find exactly it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reconciliation.money.choices import Cause, ImportStatus, Outcome
from reconciliation.money.models import ChargeMatch, MicrosoftChargeLine
from reconciliation.money.services.matching import match_run
from tests.money.conftest import import_all, period_of

pytestmark = pytest.mark.django_db


def findings(instance, year, month):
    return list(ChargeMatch.objects.filter(instance=instance, year=year, month=month)
                .exclude(outcome=Outcome.MATCHED))


def test_every_closed_period_imports_and_matches_without_a_variance(sim, books):
    instance = books.estate.instance
    lines = sim.control.billing_lines()
    billed = [line for line in lines if line["invoiceNumber"]]
    books.bill_all(billed)

    invoices = import_all(instance)

    assert {i.invoice_id for i in invoices} == {line["invoiceNumber"] for line in billed}
    assert all(i.status == ImportStatus.IMPORTED for i in invoices)
    assert MicrosoftChargeLine.objects.current().count() == len(billed)
    for year, month in {period_of(line) for line in billed}:
        run = match_run(instance=instance, year=year, month=month)
        assert findings(instance, year, month) == []
        assert run.counts["findings"] == 0
    assert ChargeMatch.objects.filter(outcome=Outcome.MATCHED).count() == len(billed)


# -- drift planted on Microsoft's side ----------------------------------------------------------------------------

def _same_charge(line):
    return (line["subscriptionId"], line["referenceId"], line["chargeType"], str(line["subtotal"]).startswith("-"))


def _close_december_with(sim, books, plant):
    """Our books bill every closed period and the open one as Microsoft rated it before `plant` changed Microsoft's
    side; then the period closes and its invoice is imported. Returns the period and what `plant` returned."""
    before = sim.control.billing_lines()
    books.bill_all(line for line in before if line["invoiceNumber"])
    open_before = {_same_charge(line): line for line in before if not line["invoiceNumber"]}
    planted = plant()
    sim.control.set_clock("2027-01-01T00:00:01Z")
    issued = sim.control.billing_close()
    after = sim.control.billing_lines()
    period = "202612"
    assert any(line["period"] == period and line["invoiceNumber"] for line in after), issued
    for line in after:
        if line["period"] == period:
            books.bill(open_before.get(_same_charge(line), line), period=period)
    import_all(books.estate.instance)
    run = match_run(instance=books.estate.instance, year=2026, month=12)
    return run, planted


def test_a_charge_on_a_subscription_the_bss_never_saw_is_one_unknown_subscription(sim, books):
    seeded = sim.control.seeded
    run, planted = _close_december_with(
        sim, books, lambda: sim.control.plant_drift("unknown_charge", customerId=seeded["customer_mca"], quantity=3))

    found = findings(books.estate.instance, 2026, 12)
    assert [(f.outcome, f.pc_subscription_id) for f in found] == [
        (Outcome.UNKNOWN_SUBSCRIPTION, planted[0]["subscriptionId"].lower())]
    assert found[0].customer == books.customer
    assert found[0].microsoft_amount == Decimal(str(planted[0]["subtotal"]))
    assert run.counts["new"] == 1


def test_a_price_microsoft_changed_is_one_variance_caused_by_the_price(sim, books):
    sub = books.estate.pc["business_basic_new"].id
    _run, planted = _close_december_with(
        sim, books, lambda: sim.control.plant_drift("price", subscriptionId=sub, unitPrice=66.00))

    found = findings(books.estate.instance, 2026, 12)
    assert [(f.outcome, f.cause, f.pc_subscription_id) for f in found] == [(Outcome.VARIANCE, Cause.PRICE, sub)]
    assert found[0].difference == found[0].microsoft_amount - found[0].our_amount != 0
    assert found[0].microsoft_amount == Decimal(str(planted[0]["subtotal"]))


def test_a_promotion_is_one_variance_caused_by_the_promotion(sim, books):
    sub = books.estate.pc["business_basic_new"].id
    _close_december_with(
        sim, books, lambda: sim.control.plant_drift("promotion", subscriptionId=sub, discountPercent=20))

    found = findings(books.estate.instance, 2026, 12)
    assert [(f.outcome, f.cause) for f in found] == [(Outcome.VARIANCE, Cause.PROMOTION)]
    assert found[0].difference < 0
    assert found[0].microsoft_line.promotion_id
