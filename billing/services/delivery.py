"""Invoices and credit notes as printed documents, and their delivery by e-mail to the billing contact.

`invoice_document` / `credit_note_document` map the billing models to `billing.documents.InvoiceDocument` (the
mapping described in its docstring); `document_pdf` renders either. `invoice_deliver` is what the worker runs when an
invoice is finalised (`billing.delivery_tasks`): it renders the PDF and mails it to the billed party's billing
contact. A PDF that cannot be rendered leaves the invoice as it is and records why (audit event
`billing.invoice_delivery_failed`); a mail server that is down raises `DeliveryRetry` so the task tries again.
A delivery is recorded once (`billing.invoice_delivered`): running it again sends nothing.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from billing.choices import PartyKind
from billing.documents.document import DocumentKind, DocumentLine, InvoiceDocument, Party, TaxRow, Totals
from billing.documents.pdf import render_pdf
from billing.models import CreditNote, Invoice
from bss.models import AuditEvent
from bss.services.audit import audit_record

logger = logging.getLogger(__name__)

DELIVERED = "billing.invoice_delivered"
DELIVERY_FAILED = "billing.invoice_delivery_failed"
PAYMENT_DAYS = 30

CHARGE_LABELS = {
    "new": "New purchase", "renew": "Renewal", "cycleCharge": "Cycle fee", "addQuantity": "Seats added",
    "removeQuantity": "Seats removed", "cancelImmediate": "Cancellation", "convert": "Conversion",
    "moveQuantity": "Seats moved", "changeBillingPlan": "Billing plan change", "customerCredit": "Credit",
    "extendTerm": "Term extension",
}


class DeliveryRetry(Exception):
    """The e-mail could not be handed to the mail server: worth another try later."""


def _issue_date(document: Invoice | CreditNote) -> dt.date:
    return timezone.localdate(document.finalised_at) if document.finalised_at else timezone.localdate()


def _period(document: Invoice | CreditNote) -> tuple[dt.date, dt.date]:
    last = calendar.monthrange(document.year, document.month)[1]
    return dt.date(document.year, document.month, 1), dt.date(document.year, document.month, last)


def _billed_address(document: Invoice | CreditNote) -> tuple[str, ...]:
    customer = document.customer if document.party_kind == PartyKind.CUSTOMER else None
    if customer is None:
        return ()
    town = " ".join(part for part in (customer.postal_code, customer.city) if part)
    return tuple(part for part in (customer.address_line1, town, customer.state) if part)


def _common(document: Invoice | CreditNote) -> dict[str, object]:
    issuer = document.issuer
    start, end = _period(document)
    lines = [
        DocumentLine(
            description=line.description,
            customer_name=line.end_customer_name,
            pc_subscription_id=line.pc_subscription_id,
            charge_type=CHARGE_LABELS.get(line.charge_type, line.charge_type),
            charge_start=line.charge_start,
            charge_end=line.charge_end,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            tax_rate=line.tax_rate,
        )
        for line in document.lines.all()
    ]
    return {
        "number": document.number,
        "issue_date": _issue_date(document),
        "period_start": start,
        "period_end": end,
        "issuer": Party(issuer.name, tuple(x for x in issuer.address.splitlines() if x.strip()), issuer.country,
                        issuer.vat_id),
        "billed": Party(document.party_name, _billed_address(document), document.party_country,
                        document.party_vat_id),
        "currency": document.currency,
        "lines": lines,
        "tax_summary": [
            TaxRow(rate=Decimal(str(row["rate"])), base=Decimal(str(row["base"])), tax=Decimal(str(row["tax"])),
                   name=str(row.get("name", "")))
            for row in document.tax_summary
        ],
        "totals": Totals(subtotal=document.subtotal, tax=document.tax_total, total=document.total),
        "notes": [str(note) for note in document.legal_mentions],
    }


def invoice_document(invoice: Invoice) -> InvoiceDocument:
    common = _common(invoice)
    due = common["issue_date"] + dt.timedelta(days=PAYMENT_DAYS) if invoice.is_final else None  # type: ignore[operator]
    return InvoiceDocument(kind=DocumentKind.INVOICE, due_date=due, **common)  # type: ignore[arg-type]


def credit_note_document(note: CreditNote) -> InvoiceDocument:
    invoice = note.invoice
    return InvoiceDocument(
        kind=DocumentKind.CREDIT_NOTE,
        credited_invoice_number=invoice.number or str(invoice),
        credited_invoice_date=_issue_date(invoice),
        reason=note.reason,
        **_common(note),  # type: ignore[arg-type]
    )


def document_pdf(document: Invoice | CreditNote) -> bytes:
    if isinstance(document, CreditNote):
        return render_pdf(credit_note_document(document))
    return render_pdf(invoice_document(document))


def pdf_filename(document: Invoice | CreditNote) -> str:
    name = document.number or f"draft-{document.year}-{document.month:02d}-{document.pk}"
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name) + ".pdf"


def billing_contact(invoice: Invoice) -> str:
    """Where the invoice goes: the customer's contact e-mail, or the reseller's e-mail."""
    if invoice.party_kind == PartyKind.CUSTOMER and invoice.customer is not None:
        return invoice.customer.contact_email
    if invoice.reseller is not None:
        return invoice.reseller.email
    return ""


def delivery_state(invoice: Invoice) -> AuditEvent | None:
    """The last delivery outcome recorded for the invoice (delivered or failed), if any."""
    return (
        AuditEvent.objects.filter(action__in=[DELIVERED, DELIVERY_FAILED], object_type=_object_type(invoice),
                                  object_id=str(invoice.pk))
        .order_by("-id")
        .first()
    )


def _object_type(invoice: Invoice) -> str:
    return invoice._meta.label


def delivery_failed_record(*, invoice_id: int, reason: str) -> None:
    """Record that the invoice was not delivered, and why (the invoice itself is left as it is)."""
    invoice = Invoice.objects.get(pk=invoice_id)
    audit_record(actor=None, action=DELIVERY_FAILED, obj=invoice, actor_label="billing",
                 after={"number": invoice.number, "reason": reason})


def invoice_deliver(*, invoice_id: int) -> str:
    """Render the final invoice's PDF and e-mail it to the billing contact. Returns the outcome."""
    invoice = Invoice.objects.select_related("issuer", "customer", "reseller").get(pk=invoice_id)
    if not invoice.is_final:
        return "draft"
    if AuditEvent.objects.filter(action=DELIVERED, object_type=_object_type(invoice),
                                 object_id=str(invoice.pk)).exists():
        return "already_delivered"
    recipient = billing_contact(invoice)
    if not recipient:
        delivery_failed_record(invoice_id=invoice.pk, reason="The billed party has no billing e-mail address.")
        return "no_recipient"
    try:
        pdf = document_pdf(invoice)
    except Exception as exc:  # any failure to lay out or draw: the invoice stays, the reason is recorded
        logger.exception("invoice %s: PDF not rendered", invoice.pk)
        delivery_failed_record(invoice_id=invoice.pk, reason=f"The PDF could not be rendered: {exc}")
        return "render_failed"
    message = EmailMessage(
        subject=f"Invoice {invoice.number} from {invoice.issuer.name}",
        body=(f"Please find attached invoice {invoice.number} for {invoice.year}-{invoice.month:02d}, "
              f"total {invoice.total} {invoice.currency}.\n\n{invoice.issuer.name}"),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
    )
    message.attach(pdf_filename(invoice), pdf, "application/pdf")
    try:
        message.send()
    except OSError as exc:  # smtplib errors are OSErrors: the server is down or refused for now
        raise DeliveryRetry(str(exc)) from exc
    audit_record(actor=None, action=DELIVERED, obj=invoice, actor_label="billing",
                 after={"number": invoice.number, "to": recipient})
    return "delivered"
