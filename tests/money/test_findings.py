"""What our books get wrong, found by the match against Microsoft's bill (served by the simulator): a charge we did
not invoice (billed to the customer), one Microsoft did not charge (accepted with a reason), a cent of rounding,
a charge Microsoft made a month later; a re-run after settling finds nothing new."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.models import InvoiceLine
from bss.exceptions import ApplicationError
from bss.models import AuditEvent
from reconciliation.money.choices import Cause, Outcome, Resolution
from reconciliation.money.models import ChargeMatch
from reconciliation.money.selectors import findings, rollup_by_customer, rollup_by_subscription
from reconciliation.money.services.matching import match_run
from reconciliation.money.services.resolutions import finding_accept, finding_bill
from tests.factories.bss import StaffUserFactory
from tests.money.conftest import import_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed(sim):
    """Microsoft's lines of the closed periods, by period (YYYYMM)."""
    by_period: dict[str, list[dict]] = {}
    for line in sim.control.billing_lines():
        if line["invoiceNumber"]:
            by_period.setdefault(line["period"], []).append(line)
    return by_period


def _two_line_period(billed) -> str:
    return next(period for period, lines in sorted(billed.items()) if len(lines) >= 2)


def _run(books, period: str):
    return match_run(instance=books.estate.instance, year=int(period[:4]), month=int(period[4:]))


def _open(books, period: str) -> list[ChargeMatch]:
    return list(findings(books.estate.instance, int(period[:4]), int(period[4:])))


def test_a_charge_we_did_not_invoice_is_leakage_billed_to_the_customer_and_a_rerun_finds_nothing_new(books, billed):
    period = _two_line_period(billed)
    missed, *rest = billed[period]
    for p, lines in billed.items():
        books.bill_all(rest if p == period else lines)
    import_all(books.estate.instance)

    run = _run(books, period)

    [leak] = _open(books, period)
    assert (leak.outcome, leak.pc_subscription_id) == (Outcome.LEAKAGE, missed["subscriptionId"])
    assert leak.difference == leak.microsoft_amount == Decimal(str(missed["subtotal"]))
    assert run.counts["new"] == 1
    [row] = [r for r in rollup_by_subscription(books.estate.instance, leak.year, leak.month) if r["leakage"]]
    assert row["leakage_total"] == leak.difference
    [customer] = rollup_by_customer(books.estate.instance, leak.year, leak.month)
    assert (customer["customer"], customer["leakage"]) == (books.customer.pk, 1)

    staff = StaffUserFactory()
    finding_bill(match_id=leak.pk, actor=staff)

    leak.refresh_from_db()
    assert leak.resolution == Resolution.BILLED
    assert leak.billed_line_id is not None
    charge = InvoiceLine.objects.get(pk=leak.billed_line_id)
    assert charge.amount == leak.microsoft_amount and charge.subscription == leak.subscription
    assert not charge.invoice.is_final
    assert AuditEvent.objects.filter(action="money.finding_bill", object_id=str(leak.pk), actor=staff).exists()
    rerun = _run(books, period)
    assert (rerun.counts["findings"], rerun.counts["new"]) == (0, 0)
    later = _run(books, f"{charge.invoice.year}{charge.invoice.month:02d}")
    assert not ChargeMatch.objects.filter(invoice_line=charge).exists()  # the charge answers the finding
    assert later.counts["new"] == later.counts["findings"]
    with pytest.raises(ApplicationError):
        finding_bill(match_id=leak.pk, actor=staff)


def test_a_charge_microsoft_did_not_make_is_accepted_only_with_a_reason(books, billed):
    for lines in billed.values():
        books.bill_all(lines)
    period = sorted(billed)[-1]
    extra = books.bill(billed[period][0], charge_type="addQuantity", quantity=2, cost_amount=Decimal("12.34"))
    import_all(books.estate.instance)

    _run(books, period)

    [gap] = _open(books, period)
    assert (gap.outcome, gap.invoice_line_id, gap.difference) == (Outcome.NOT_CHARGED, extra.pk, Decimal("-12.34"))
    with pytest.raises(ApplicationError) as refused:
        finding_accept(match_id=gap.pk, actor=StaffUserFactory(), reason="  ")
    assert refused.value.code == "reason_required"
    staff = StaffUserFactory()
    finding_accept(match_id=gap.pk, actor=staff, reason="Goodwill seats, agreed with the customer")
    event = AuditEvent.objects.get(action="money.finding_accept", object_id=str(gap.pk))
    assert (event.actor, event.before["resolution"], event.after["resolution"]) == (staff, "open", "accepted")
    rerun = _run(books, period)
    assert (rerun.counts["findings"], rerun.counts["new"]) == (0, 0)
    assert ChargeMatch.objects.get(pk=gap.pk).resolution == Resolution.ACCEPTED


def test_a_cent_per_licence_is_rounding_and_the_tolerance_absorbs_it(books, billed, settings):
    period = _two_line_period(billed)
    first, *rest = billed[period]
    books.bill(first, cost_amount=Decimal(str(first["subtotal"])) - Decimal("0.01"))
    books.bill_all(rest)
    import_all(books.estate.instance)

    _run(books, period)
    [variance] = _open(books, period)
    assert (variance.outcome, variance.cause, variance.difference) == (Outcome.VARIANCE, Cause.ROUNDING,
                                                                       Decimal("0.01"))

    settings.MONEY_MATCH_TOLERANCE = "0.01"
    rerun = _run(books, period)
    assert rerun.counts["findings"] == 0 and rerun.counts["matched"] == len(billed[period])


def test_a_charge_microsoft_makes_a_month_after_our_invoice_is_one_timing_variance(books, billed):
    periods = sorted(billed)
    late_period = _two_line_period(billed)
    before = periods[periods.index(late_period) - 1]
    late, *rest = billed[late_period]
    books.bill_all(billed[before])
    books.bill(late, period=before)  # we invoiced it a month before Microsoft charged it
    books.bill_all(rest)
    import_all(books.estate.instance)

    _run(books, before)
    [early] = _open(books, before)
    assert early.outcome == Outcome.NOT_CHARGED
    _run(books, late_period)

    [timing] = _open(books, late_period)
    assert (timing.outcome, timing.cause, timing.difference) == (Outcome.VARIANCE, Cause.TIMING, Decimal(0))
    assert timing.invoice_line_id == early.invoice_line_id
    assert _open(books, before) == []
    assert _run(books, before).counts["findings"] == 0  # re-running the earlier month does not find it again
    assert _run(books, late_period).counts["new"] == 0
    [still] = _open(books, late_period)
    assert (still.outcome, still.cause, still.invoice_line_id) == (Outcome.VARIANCE, Cause.TIMING,
                                                                   early.invoice_line_id)


def test_a_subscription_known_by_its_order_only_is_found_through_the_customer_tenant(books, billed):
    period = sorted(billed)[-1]
    line = billed[period][0]
    sub = books.subscription(line["subscriptionId"])
    for lines in billed.values():
        books.bill_all(lines)
    sub.pc_subscription_id = None  # e.g. imported before Partner Center gave it an id
    sub.pc_order_id, sub.pc_product_id, sub.pc_sku_id = line["orderId"], line["productId"], line["skuId"]
    sub.save()
    import_all(books.estate.instance)

    run = _run(books, period)

    assert run.counts["findings"] == 0
    matched = ChargeMatch.objects.get(instance=books.estate.instance, pc_subscription_id=line["subscriptionId"],
                                      year=int(period[:4]), month=int(period[4:]))
    assert matched.subscription == sub and matched.microsoft_line.matched_by == "tenant_order"


def test_a_charge_invoiced_in_another_currency_is_a_variance_caused_by_the_exchange_rate(books, billed):
    period = sorted(billed)[-1]
    first, *rest = billed[period]
    invoice = books.invoice(period)
    invoice.currency = "EUR"
    invoice.save()
    books.bill(first, cost_amount=(Decimal(str(first["subtotal"])) * Decimal("0.92")).quantize(Decimal("0.01")))
    books.bill_all(rest)
    import_all(books.estate.instance)

    _run(books, period)

    [variance] = _open(books, period)
    assert (variance.outcome, variance.cause) == (Outcome.VARIANCE, Cause.FX)


def test_a_refund_we_credited_on_a_credit_note_matches_microsofts_refund(sim, books):
    import uuid

    from bss.partner_center import get_client
    from reconciliation.money.services.imports import unbilled_request
    from tests.factories.billing import CreditNoteFactory, CreditNoteLineFactory
    from tests.money.conftest import import_until_done

    estate = books.estate
    sub = estate.pc["business_basic_new"]
    get_client(estate.instance).subscriptions.cancel(
        customer_id=estate.tenant.pc_customer_id, subscription_id=sub.id, request_id=str(uuid.uuid4()))
    open_lines = [line for line in sim.control.billing_lines() if not line["invoiceNumber"]]
    [charge] = [line for line in open_lines if line["chargeType"] == "new"]
    [refund] = [line for line in open_lines if line["chargeType"] == "cancelImmediate"]
    books.bill(charge)
    refunded = books.bill(refund)  # the shape of our refund row, moved onto a credit note below
    assert refunded is not None
    note = CreditNoteFactory(invoice=books.invoice("202611"), issuer=books.issuer, customer=books.customer,
                             currency="USD", year=2026, month=11)
    credit = CreditNoteLineFactory(
        credit_note=note, subscription=refunded.subscription, charge_type="cancelImmediate",
        quantity=refunded.quantity, amount=abs(refunded.amount), cost_amount=abs(refunded.cost_amount),
        unit_cost=refunded.unit_cost, charge_start=refunded.charge_start, charge_end=refunded.charge_end,
        order_at=refunded.order_at, effective_unit_price=abs(refunded.effective_unit_price))
    refunded.delete()
    unbilled = import_until_done(unbilled_request(instance=estate.instance, currency="USD"))

    run = match_run(instance=estate.instance, year=unbilled.year, month=unbilled.month)

    assert run.counts["findings"] == 0, list(findings(estate.instance, unbilled.year, unbilled.month))
    assert ChargeMatch.objects.get(credit_note_line=credit).outcome == Outcome.MATCHED
