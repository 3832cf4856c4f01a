"""Manual credit notes: staff correct a final invoice, with a reason (automatic ones come from invoice runs).

A credit note gives back at most what the invoice line billed, minus what earlier credit notes already gave back;
it is final and numbered at once (its issuer's credit-note series), in the transaction that writes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from billing.choices import CreditNoteKind
from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from billing.services.documents import CREDIT_NOTE_SERIES, finalise, set_totals
from billing.services.tax import tax_amount
from bss.exceptions import ApplicationError, PermissionDenied
from bss.models import User
from bss.services.audit import audit_record


def credited_so_far(line: InvoiceLine) -> Decimal:
    return CreditNoteLine.objects.filter(invoice_line=line).aggregate(s=Sum("amount"))["s"] or Decimal(0)


@transaction.atomic
def credit_note_issue(
    *,
    invoice: Invoice,
    reason: str,
    actor: User,
    amounts: Sequence[tuple[InvoiceLine, Decimal]] | None = None,
) -> CreditNote:
    """Credit `amounts` (per invoice line, positive; default: everything not yet credited) of a final invoice."""
    if not actor.is_provider_staff:
        raise PermissionDenied("Only provider staff issue credit notes.")
    if not reason.strip():
        raise ApplicationError("Give the reason for the credit note.", code="reason_required")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if not invoice.is_final:
        raise ApplicationError("Only a final invoice is corrected by a credit note; edit the draft instead.",
                               code="invoice_not_final")
    if amounts is None:
        amounts = [(line, line.amount - credited_so_far(line)) for line in invoice.lines.filter(amount__gt=0)]
    amounts = [(line, amount) for line, amount in amounts if amount]
    if not amounts:
        raise ApplicationError("Nothing is left to credit on this invoice.", code="nothing_to_credit")
    note = CreditNote.objects.create(
        invoice=invoice, issuer=invoice.issuer, party_kind=invoice.party_kind, party_key=invoice.party_key,
        customer=invoice.customer, reseller=invoice.reseller, party_name=invoice.party_name,
        party_country=invoice.party_country, party_vat_id=invoice.party_vat_id, year=invoice.year,
        month=invoice.month, currency=invoice.currency, kind=CreditNoteKind.MANUAL, reason=reason.strip()[:300],
        created_by=actor, legal_mentions=invoice.legal_mentions,
    )
    lines = []
    for line, amount in amounts:
        if line.invoice_id != invoice.pk:
            raise ApplicationError("A line of another invoice cannot be credited here.", code="wrong_invoice")
        left = line.amount - credited_so_far(line)
        if amount < 0 or amount > left:
            raise ApplicationError(f"At most {left} can still be credited on {line.description}.",
                                   code="credit_too_large")
        lines.append(CreditNoteLine(
            credit_note=note, invoice_line=line, end_customer=line.end_customer,
            end_customer_name=line.end_customer_name, subscription=line.subscription,
            pc_subscription_id=line.pc_subscription_id, description=line.description, charge_type=line.charge_type,
            quantity=line.quantity, unit_price=line.unit_price, effective_unit_price=line.effective_unit_price,
            amount=amount, charge_start=line.charge_start, charge_end=line.charge_end, order_at=line.order_at,
            reference_id=line.reference_id, tax_rate=line.tax_rate, tax_name=line.tax_name,
            tax_amount=tax_amount(amount, line.tax_rate) if line.tax_rate is not None else Decimal(0),
        ))
    CreditNoteLine.objects.bulk_create(lines)
    set_totals(note, lines)
    finalise(note, series=CREDIT_NOTE_SERIES)
    note.save()
    audit_record(actor=actor, action="billing.credit_note", obj=note,
                 after={"number": note.number, "invoice": invoice.number, "total": str(note.total), "reason": reason})
    return note
