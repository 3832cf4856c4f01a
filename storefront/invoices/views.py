"""Storefront invoices: a customer's invoices and credit notes (and their PDFs); a reseller's own invoices and, for a
tenant reseller, the invoices it issues to its customers. Scoped by `billing.selectors_doors`: a foreign document is
a 404."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from billing import selectors_doors
from billing.choices import PartyKind
from billing.models import CreditNote, Invoice
from billing.services.delivery import document_pdf, pdf_filename
from bss.choices import UserRole
from bss.http import AuthenticatedHttpRequest
from storefront.access import storefront_user_required


def _pdf(document: Invoice | CreditNote) -> HttpResponse:
    response = HttpResponse(document_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(document)}"'
    return response


@storefront_user_required
@require_GET
def invoice_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    invoices = selectors_doors.invoice_list_for_user(user=user)
    credit_notes = selectors_doors.credit_note_list_for_user(user=user)
    if user.role == UserRole.RESELLER and user.reseller_id is not None:
        own = invoices.filter(party_kind=PartyKind.RESELLER, reseller_id=user.reseller_id)
        issued = invoices.filter(issuer__reseller_id=user.reseller_id)
    else:
        own, issued = invoices, invoices.none()
    return render(request, "billing/storefront_invoices.html", {
        "own": own, "issued": issued, "issues_invoices": selectors_doors.issued_by_user(user),
        "credit_notes": credit_notes,
    })


@storefront_user_required
@require_GET
def invoice_detail(request: AuthenticatedHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors_doors.invoice_get_for_user(user=request.user, invoice_id=invoice_id)
    credit_notes = selectors_doors.credit_note_list_for_user(user=request.user, invoice_id=invoice.pk)
    return render(request, "billing/storefront_invoice_detail.html", {
        "invoice": invoice, "lines": invoice.lines.all(), "credit_notes": credit_notes,
    })


@storefront_user_required
@require_GET
def invoice_pdf(request: AuthenticatedHttpRequest, invoice_id: int) -> HttpResponse:
    return _pdf(selectors_doors.invoice_get_for_user(user=request.user, invoice_id=invoice_id))


@storefront_user_required
@require_GET
def credit_note_pdf(request: AuthenticatedHttpRequest, credit_note_id: int) -> HttpResponse:
    return _pdf(selectors_doors.credit_note_get_for_user(user=request.user, credit_note_id=credit_note_id))
