"""BSS Setup > Tools > Billing: invoices and credit notes (lists with CSV / Excel export, details, PDFs, a manual
credit note with its reason) and a customer's unbilled charges."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from backoffice.access import staff_required
from backoffice.billing.forms import CreditNoteForm, InvoiceFilterForm, UnbilledForm
from backoffice.billing.views import ADD_CREDIT_NOTE, VIEW_CREDIT_NOTE, VIEW_INVOICE
from backoffice.exports import rows_export_response
from billing import selectors
from billing.models import CreditNote, Invoice
from billing.services.credit_notes import credit_note_issue
from billing.services.delivery import delivery_state, document_pdf, pdf_filename
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from bss.models import Customer

DOCUMENT_HEADER = ("id", "number", "status", "issuer", "party_kind", "party", "party_country", "party_vat_id",
                   "period", "currency", "subtotal", "tax", "total", "cost", "finalised_at")


def _filtered(request: AuthenticatedHttpRequest, documents: QuerySet) -> tuple[InvoiceFilterForm, QuerySet]:
    form = InvoiceFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["period"]:
            documents = documents.filter(year=data["period"][0], month=data["period"][1])
        if data["status"]:
            documents = documents.filter(status=data["status"])
        if data["issuer"]:
            documents = documents.filter(issuer=data["issuer"])
        if data["q"]:
            documents = documents.filter(Q(party_name__icontains=data["q"]) | Q(number__icontains=data["q"]))
    return form, documents


def _rows(documents: QuerySet) -> Iterator[tuple[object, ...]]:
    for d in documents.iterator(chunk_size=1000):
        yield (d.pk, d.number, d.status, d.issuer.name, d.party_kind, d.party_name, d.party_country, d.party_vat_id,
               f"{d.year}-{d.month:02d}", d.currency, d.subtotal, d.tax_total, d.total, d.cost_total,
               d.finalised_at)


def _list(request: AuthenticatedHttpRequest, documents: QuerySet, *, name: str, template: str) -> HttpResponseBase:
    form, documents = _filtered(request, documents)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        return rows_export_response(fmt, name, DOCUMENT_HEADER, _rows(documents))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(request, template, {
        "form": form, "page": Paginator(documents, 50).get_page(request.GET.get("page")), "query": query.urlencode(),
    })


@staff_required(VIEW_INVOICE)
def invoice_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    return _list(request, Invoice.objects.select_related("issuer"), name="invoices", template="billing/invoices.html")


@staff_required(VIEW_INVOICE)
def invoice_detail(request: AuthenticatedHttpRequest, invoice_id: int) -> HttpResponse:
    try:
        invoice = selectors.invoice_get(invoice_id=invoice_id)
    except Invoice.DoesNotExist:
        raise Http404("No such invoice.") from None
    can_credit = request.user.has_perm(ADD_CREDIT_NOTE) and invoice.is_final
    form = CreditNoteForm(request.POST or None)
    return render(request, "billing/invoice_detail.html", {
        "invoice": invoice, "lines": invoice.lines.all(), "credit_notes": invoice.credit_notes.all(),
        "delivery": delivery_state(invoice), "form": form, "can_credit": can_credit,
    })


@require_POST
@staff_required(ADD_CREDIT_NOTE)
def credit_note_create(request: AuthenticatedHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=invoice_id)
    form = CreditNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the reason for the credit note.")
        return redirect("billing:invoice_detail", invoice_id=invoice.pk)
    try:
        note = credit_note_issue(invoice=invoice, reason=form.cleaned_data["reason"], actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("billing:invoice_detail", invoice_id=invoice.pk)
    messages.success(request, f"Credit note {note.number} issued for {note.total} {note.currency}.")
    return redirect("billing:credit_note_detail", credit_note_id=note.pk)


def _pdf(document: Invoice | CreditNote) -> HttpResponse:
    response = HttpResponse(document_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(document)}"'
    return response


@staff_required(VIEW_INVOICE)
def invoice_pdf(request: AuthenticatedHttpRequest, invoice_id: int) -> HttpResponse:
    return _pdf(get_object_or_404(Invoice.objects.select_related("issuer", "customer"), pk=invoice_id))


@staff_required(VIEW_CREDIT_NOTE)
def credit_note_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    return _list(request, CreditNote.objects.select_related("issuer", "invoice"), name="credit-notes",
                 template="billing/credit_notes.html")


@staff_required(VIEW_CREDIT_NOTE)
def credit_note_detail(request: AuthenticatedHttpRequest, credit_note_id: int) -> HttpResponse:
    note = get_object_or_404(CreditNote.objects.select_related("issuer", "invoice", "created_by"), pk=credit_note_id)
    return render(request, "billing/credit_note_detail.html", {"note": note, "lines": note.lines.all()})


@staff_required(VIEW_CREDIT_NOTE)
def credit_note_pdf(request: AuthenticatedHttpRequest, credit_note_id: int) -> HttpResponse:
    note = get_object_or_404(CreditNote.objects.select_related("issuer", "invoice", "customer"), pk=credit_note_id)
    return _pdf(note)


@staff_required(VIEW_INVOICE)
def unbilled(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = UnbilledForm(request.GET or None)
    context: dict[str, object] = {"form": form}
    if form.is_valid():
        customer = Customer.objects.filter(pk=form.cleaned_data["customer"]).first()
        if customer is None:
            form.add_error("customer", "No customer has this id.")
        else:
            context.update(customer=customer, unbilled=selectors.unbilled_charges(customer=customer))
    return render(request, "billing/unbilled.html", context)
