"""Billing API: invoices and credit notes (lists, details with their lines, PDFs) and a customer's unbilled charges.

The same scoping as the pages (`billing.selectors_doors`): provider staff with the billing permissions see every
document, a customer its own final ones, a reseller the final ones made out to it and those it issues. A foreign
document or customer is a 404.
"""

from __future__ import annotations

import json
import re
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from api.access import AuthenticatedRequest
from billing import selectors_doors
from billing.choices import DocumentStatus
from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from billing.services.delivery import document_pdf, pdf_filename
from bss import selectors as bss_selectors
from bss.exceptions import NotFound

LINE_FIELDS = [
    "id", "charge_type", "subscription", "pc_subscription_id", "end_customer", "end_customer_name", "description",
    "quantity", "unit_price", "effective_unit_price", "amount", "charge_start", "charge_end", "tax_rate",
    "tax_amount",
]
DOCUMENT_FIELDS = [
    "id", "number", "status", "issuer", "issuer_name", "party_kind", "customer", "reseller", "party_name",
    "party_country", "party_vat_id", "period", "year", "month", "currency", "subtotal", "tax_total", "total",
    "tax_summary", "legal_mentions", "finalised_at", "created_at",
]


# -- serializers -----------------------------------------------------------------------------------------------------


class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = LINE_FIELDS


class CreditNoteLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditNoteLine
        fields = [*LINE_FIELDS, "invoice_line"]


class TaxSummaryRowSerializer(serializers.Serializer):
    rate = serializers.CharField()
    name = serializers.CharField()
    base = serializers.CharField()
    tax = serializers.CharField()


class _DocumentSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, help_text="draft or final")
    issuer_name = serializers.CharField(source="issuer.name", read_only=True)
    period = serializers.SerializerMethodField()
    tax_summary = TaxSummaryRowSerializer(many=True, read_only=True)
    legal_mentions = serializers.ListField(child=serializers.CharField(), read_only=True)

    def get_period(self, document: Invoice | CreditNote) -> str:
        return f"{document.year}-{document.month:02d}"


class InvoiceSerializer(_DocumentSerializer):
    class Meta:
        model = Invoice
        fields = DOCUMENT_FIELDS


class InvoiceDetailSerializer(InvoiceSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)
    credit_notes: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(InvoiceSerializer.Meta):
        fields = [*DOCUMENT_FIELDS, "lines", "credit_notes"]


class CreditNoteSerializer(_DocumentSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    kind = serializers.CharField(read_only=True, help_text="refund, cancellation or manual")

    class Meta:
        model = CreditNote
        fields = [*DOCUMENT_FIELDS, "invoice", "invoice_number", "kind", "reason"]


class CreditNoteDetailSerializer(CreditNoteSerializer):
    lines = CreditNoteLineSerializer(many=True, read_only=True)

    class Meta(CreditNoteSerializer.Meta):
        fields = [*CreditNoteSerializer.Meta.fields, "lines"]


class UnbilledLineSerializer(serializers.Serializer):
    charge_type = serializers.CharField()
    subscription = serializers.IntegerField(source="subscription.pk")
    pc_subscription_id = serializers.CharField()
    end_customer = serializers.IntegerField(source="end_customer.pk")
    end_customer_name = serializers.CharField()
    description = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=16, decimal_places=6)
    effective_unit_price = serializers.DecimalField(max_digits=16, decimal_places=6)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    charge_start = serializers.DateField()
    charge_end = serializers.DateField()
    tax_rate = serializers.DecimalField(max_digits=6, decimal_places=3, allow_null=True)
    tax_amount = serializers.DecimalField(max_digits=16, decimal_places=2)


class UnbilledProblemSerializer(serializers.Serializer):
    customer = serializers.CharField()
    subscription = serializers.CharField()
    message = serializers.CharField()


class UnbilledChargesSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    currency = serializers.CharField()
    subtotal = serializers.DecimalField(max_digits=16, decimal_places=2)
    tax_total = serializers.DecimalField(max_digits=16, decimal_places=2)
    total = serializers.DecimalField(max_digits=16, decimal_places=2)
    lines = UnbilledLineSerializer(many=True)
    problems = UnbilledProblemSerializer(many=True)


# -- filters ---------------------------------------------------------------------------------------------------------

MAX_ID = 2**63 - 1
PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class _IdField(forms.IntegerField):
    def clean(self, value: object) -> int | None:
        if value == "":
            raise forms.ValidationError("This filter needs a value.")
        return super().clean(value)


class _PeriodField(forms.CharField):
    def clean(self, value: object) -> tuple[int, int] | None:
        text = super().clean(value)
        if not text:
            return None
        match = PERIOD.match(text)
        if not match:
            raise forms.ValidationError("Write the period as YYYY-MM.")
        return int(match.group(1)), int(match.group(2))


class _IdFilter(django_filters.Filter):
    field_class = _IdField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class _PeriodFilter(django_filters.Filter):
    field_class = _PeriodField


class _DocumentFilter(django_filters.FilterSet):
    customer = _IdFilter(method="by_customer", help_text="Billed customer, or end customer on a reseller's invoice")
    period = _PeriodFilter(method="by_period", help_text="Billing period, YYYY-MM")
    status = django_filters.ChoiceFilter(choices=DocumentStatus.choices)

    def by_customer(self, queryset: QuerySet, name: str, value: int | None) -> QuerySet:
        if value is None:
            return queryset
        from django.db.models import Q

        return queryset.filter(Q(customer_id=value) | Q(lines__end_customer_id=value)).distinct()

    def by_period(self, queryset: QuerySet, name: str, value: tuple[int, int] | None) -> QuerySet:
        return queryset if value is None else queryset.filter(year=value[0], month=value[1])


class InvoiceFilter(_DocumentFilter):
    class Meta:
        model = Invoice
        fields = ["customer", "period", "status"]


class CreditNoteFilter(_DocumentFilter):
    invoice = _IdFilter(field_name="invoice_id")

    class Meta:
        model = CreditNote
        fields = ["customer", "period", "status", "invoice"]


# -- views -----------------------------------------------------------------------------------------------------------


class InvoiceViewSet(viewsets.ReadOnlyModelViewSet):
    request: AuthenticatedRequest
    queryset = Invoice.objects.none()
    filterset_class = InvoiceFilter

    def get_queryset(self) -> QuerySet[Invoice]:
        invoices = selectors_doors.invoice_list_for_user(user=self.request.user)
        if self.action == "retrieve":
            invoices = invoices.prefetch_related("lines", "credit_notes")
        return invoices.order_by("-year", "-month", "-id")

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return InvoiceDetailSerializer if self.action == "retrieve" else InvoiceSerializer


class CreditNoteViewSet(viewsets.ReadOnlyModelViewSet):
    request: AuthenticatedRequest
    queryset = CreditNote.objects.none()
    filterset_class = CreditNoteFilter

    def get_queryset(self) -> QuerySet[CreditNote]:
        notes = selectors_doors.credit_note_list_for_user(user=self.request.user)
        if self.action == "retrieve":
            notes = notes.prefetch_related("lines")
        return notes.order_by("-created_at", "-id")

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return CreditNoteDetailSerializer if self.action == "retrieve" else CreditNoteSerializer


class PDFRenderer(renderers.BaseRenderer):
    """The PDF itself on success; an error body (the one JSON error shape) as JSON bytes."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()


def _pdf_response(document: Invoice | CreditNote) -> HttpResponse:
    response = HttpResponse(document_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(document)}"'
    return response


_PDF_SCHEMA = {
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The document as PDF"),
}

_NO_FORMAT = [OpenApiParameter("format", exclude=True)]


class InvoicePdfView(APIView):
    renderer_classes = [renderers.JSONRenderer, PDFRenderer]

    @extend_schema(operation_id="invoices_pdf", responses=_PDF_SCHEMA, parameters=_NO_FORMAT)
    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        return _pdf_response(selectors_doors.invoice_get_for_user(user=request.user, invoice_id=pk))


class CreditNotePdfView(APIView):
    renderer_classes = [renderers.JSONRenderer, PDFRenderer]

    @extend_schema(operation_id="credit_notes_pdf", responses=_PDF_SCHEMA, parameters=_NO_FORMAT)
    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        return _pdf_response(selectors_doors.credit_note_get_for_user(user=request.user, credit_note_id=pk))


class UnbilledChargesView(APIView):
    """A customer's charges of this month so far, as the lines of its next invoice would bill them."""

    @extend_schema(operation_id="customers_unbilled_charges", responses={200: UnbilledChargesSerializer})
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        user = request.user
        if bss_selectors.user_is_provider_staff(user) and not user.has_perm(selectors_doors.VIEW_INVOICE):
            raise NotFound("No such customer.")
        customer = bss_selectors.customer_get_for_user(user=user, customer_id=pk)
        preview = selectors_doors.unbilled_preview(customer=customer)
        data = {
            "customer": customer.pk, "currency": preview.currency, "subtotal": preview.subtotal,
            "tax_total": preview.tax_total, "total": preview.subtotal + preview.tax_total,
            "lines": preview.lines, "problems": preview.problems,
        }
        return Response(UnbilledChargesSerializer(data).data)
