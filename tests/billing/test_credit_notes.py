"""Credit notes: automatic for a refund inside the window after the invoice; manual with a reason."""

from decimal import Decimal

import pytest

from billing.choices import CreditNoteKind, DocumentStatus
from billing.models import CreditNote, Invoice
from billing.services.credit_notes import credit_note_issue
from billing.services.runs import invoice_run_create, invoice_run_execute
from bss.exceptions import ApplicationError
from tests.billing.scenario import at, buy, cancel, change_seats, direct_customer
from tests.factories.bss import StaffUserFactory

pytestmark = pytest.mark.django_db


def finalise(year, month):
    return invoice_run_execute(run_id=invoice_run_create(year=year, month=month, finalise=True).pk)


def test_a_cancellation_inside_the_window_after_the_invoice_is_credited_once(provider, issuer):
    customer = direct_customer(provider, name="Fabrikam SARL")
    sub = buy(customer, at(2025, 6, 29), 10, price="10.08")
    finalise(2025, 6)
    june = Invoice.objects.get(customer=customer)
    assert (june.subtotal, june.status) == (Decimal("100.80"), DocumentStatus.FINAL)

    cancel(sub, at(2025, 7, 2))  # 3 days later: inside the 168 hours
    finalise(2025, 7)
    finalise(2025, 7)  # the same period again

    note = CreditNote.objects.get()
    assert note.invoice == june and note.kind == CreditNoteKind.CANCELLATION and note.status == DocumentStatus.FINAL
    # Cycle 29 Jun - 28 Jul (30 charge-cycle days), 27 days unused: 10.08 / 30 x 27 = 9.072 -> 9.07 a seat.
    assert [(line.charge_type, line.quantity, line.amount) for line in note.lines.all()] == [
        ("cancelImmediate", 10, Decimal("90.70"))]
    assert (note.subtotal, note.tax_total, note.total) == (Decimal("90.70"), Decimal("18.14"), Decimal("108.84"))
    assert note.number == f"CN-{note.finalised_at.year}-000001"
    assert not Invoice.objects.filter(customer=customer, month=7).exists()  # no negative July invoice
    june.refresh_from_db()
    assert june.subtotal == Decimal("100.80")  # the final invoice itself never changes


def test_staff_credit_a_final_invoice_by_hand_with_a_reason_never_more_than_it_billed(provider, issuer):
    customer = direct_customer(provider, name="Northwind")
    buy(customer, at(2025, 6, 3), 4, price="12.00")
    finalise(2025, 6)
    invoice = Invoice.objects.get(customer=customer)
    line = invoice.lines.get()
    staff = StaffUserFactory()

    with pytest.raises(ApplicationError, match="reason"):
        credit_note_issue(invoice=invoice, reason=" ", actor=staff)
    partial = credit_note_issue(invoice=invoice, reason="Goodwill", actor=staff, amounts=[(line, Decimal("8.00"))])
    with pytest.raises(ApplicationError, match=r"At most 40\.00"):
        credit_note_issue(invoice=invoice, reason="Again", actor=staff, amounts=[(line, Decimal("40.01"))])
    rest = credit_note_issue(invoice=invoice, reason="Service not delivered", actor=staff)

    assert (partial.kind, partial.total, partial.number[-6:]) == (CreditNoteKind.MANUAL, Decimal("9.60"), "000001")
    assert (rest.subtotal, rest.total, rest.number[-6:]) == (Decimal("40.00"), Decimal("48.00"), "000002")


def test_a_seat_reduction_inside_the_window_credits_the_old_count_and_invoices_the_new(provider, issuer):
    customer = direct_customer(provider, name="Tailspin")
    sub = buy(customer, at(2025, 6, 28), 10, price="10.08")
    finalise(2025, 6)

    change_seats(sub, at(2025, 7, 1), 8)  # 10.08 / 30 x 27 = 9.072 -> 9.07 a seat for 1-27 Jul
    finalise(2025, 7)

    note = CreditNote.objects.get()
    assert (note.kind, note.invoice.month) == (CreditNoteKind.REFUND, 6)
    assert [(line.charge_type, line.quantity, line.amount) for line in note.lines.all()] == [
        ("removeQuantity", 10, Decimal("90.70"))]
    july = Invoice.objects.get(customer=customer, month=7)
    assert [(line.charge_type, line.quantity, line.amount) for line in july.lines.all()] == [
        ("removeQuantity", 8, Decimal("72.56"))]
