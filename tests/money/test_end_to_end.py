"""Microsoft's bill end to end against the simulator, every kind of finding in one period: December closes with a
price Microsoft changed, a charge on a subscription the BSS never saw (both planted through the control API) and a
charge we forgot to invoice (Microsoft 365 E3's). The match finds exactly those three, each of the right kind and
cause; the leakage is billed to the customer, the other two are accepted with a reason; a re-run finds nothing, new
or open."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.models import InvoiceLine
from reconciliation.money.choices import Cause, Outcome, Resolution
from reconciliation.money.models import ChargeMatch
from reconciliation.money.selectors import findings
from reconciliation.money.services.matching import match_run
from reconciliation.money.services.resolutions import finding_accept, finding_bill
from tests.factories.bss import StaffUserFactory
from tests.money.conftest import import_all

pytestmark = pytest.mark.django_db


def _same_charge(line):
    return (line["subscriptionId"], line["referenceId"], line["chargeType"], str(line["subtotal"]).startswith("-"))


def test_each_planted_drift_and_a_missed_charge_are_found_once_then_settled_and_a_rerun_finds_nothing(sim, books):
    estate = books.estate
    price_sub = estate.pc["business_basic_new"].id
    forgotten_sub = estate.pc["m365_e3_old"].id
    before = sim.control.billing_lines()
    books.bill_all(line for line in before if line["invoiceNumber"])
    open_before = {_same_charge(line): line for line in before if not line["invoiceNumber"]}

    [priced] = sim.control.plant_drift("price", subscriptionId=price_sub, unitPrice=66.00)
    [unknown] = sim.control.plant_drift("unknown_charge", customerId=sim.control.seeded["customer_mca"], quantity=3)
    sim.control.set_clock("2027-01-01T00:00:01Z")
    sim.control.billing_close()
    december = [line for line in sim.control.billing_lines() if line["period"] == "202612"]
    forgotten = [line for line in december if line["subscriptionId"] == forgotten_sub]
    assert len(forgotten) == 1, december  # the Microsoft 365 E3 subscription's charge of the month
    for line in december:
        if line["subscriptionId"] != forgotten_sub:
            books.bill(open_before.get(_same_charge(line), line), period="202612")
    import_all(estate.instance)

    run = match_run(instance=estate.instance, year=2026, month=12)

    found = sorted(findings(estate.instance, 2026, 12), key=lambda f: f.outcome)
    assert [(f.outcome, f.cause, f.pc_subscription_id) for f in found] == sorted([
        (Outcome.LEAKAGE, Cause.NONE, forgotten_sub.lower()),
        (Outcome.UNKNOWN_SUBSCRIPTION, Cause.NONE, unknown["subscriptionId"].lower()),
        (Outcome.VARIANCE, Cause.PRICE, price_sub.lower()),
    ])
    assert (run.counts["findings"], run.counts["new"]) == (3, 3)
    by_outcome = {f.outcome: f for f in found}
    assert by_outcome[Outcome.LEAKAGE].difference == Decimal(str(forgotten[0]["subtotal"]))
    assert by_outcome[Outcome.VARIANCE].microsoft_amount == Decimal(str(priced["subtotal"]))
    assert by_outcome[Outcome.UNKNOWN_SUBSCRIPTION].microsoft_amount == Decimal(str(unknown["subtotal"]))

    staff = StaffUserFactory()
    billed = finding_bill(match_id=by_outcome[Outcome.LEAKAGE].pk, actor=staff)
    finding_accept(match_id=by_outcome[Outcome.VARIANCE].pk, actor=staff, reason="Microsoft's new price from January")
    finding_accept(match_id=by_outcome[Outcome.UNKNOWN_SUBSCRIPTION].pk, actor=staff,
                   reason="Trial bought in Partner Center directly; to be imported")

    charge = billed.billed_line
    assert isinstance(charge, InvoiceLine)
    assert (charge.amount, charge.subscription.pc_subscription_id) == (billed.microsoft_amount, forgotten_sub.lower())
    rerun = match_run(instance=estate.instance, year=2026, month=12)
    assert (rerun.counts["findings"], rerun.counts["new"]) == (0, 0)
    assert list(findings(estate.instance, 2026, 12)) == []
    settled = ChargeMatch.objects.filter(instance=estate.instance, year=2026, month=12).exclude(
        resolution=Resolution.OPEN)
    assert sorted(settled.values_list("resolution", flat=True)) == sorted(
        [Resolution.BILLED, Resolution.ACCEPTED, Resolution.ACCEPTED])
