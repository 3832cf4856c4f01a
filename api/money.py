"""Microsoft's bill, read-only, for provider staff with the back office's permission (the same as the pages): the
invoices Microsoft sent each instance with their import state, the reconciliation summary of one (Microsoft's cost,
our revenue, margin, leakage, outcomes, variances by cause) and its matched lines (filters, pagination)."""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import AuthenticatedRequest
from bss.selectors import user_is_provider_staff
from reconciliation.money import selectors
from reconciliation.money.choices import Cause, ImportStatus, InvoiceKind, Outcome, Resolution
from reconciliation.money.models import ChargeMatch, MicrosoftInvoice

VIEW = "money.view_microsoftinvoice"
PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class StaffMayViewMoney(permissions.BasePermission):
    message = "Microsoft's bill is for the provider's staff with access to it."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user_is_provider_staff(user) and user.has_perm(VIEW))


# -- serializers -----------------------------------------------------------------------------------------------------

INVOICE_FIELDS = ["id", "instance", "invoice_id", "kind", "period", "year", "month", "invoice_date", "total",
                  "currency", "status", "line_count", "imported_at", "error"]


class MicrosoftInvoiceSerializer(serializers.ModelSerializer):
    period = serializers.SerializerMethodField()

    class Meta:
        model = MicrosoftInvoice
        fields = INVOICE_FIELDS

    def get_period(self, invoice: MicrosoftInvoice) -> str:
        return f"{invoice.year}-{invoice.month:02d}"


class _Money(serializers.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=18, decimal_places=2, **kwargs)


class TotalsSerializer(serializers.Serializer):
    lines = serializers.IntegerField()
    microsoft_cost = _Money()
    our_cost = _Money(help_text="What our rating expected Microsoft to charge")
    our_revenue = _Money(help_text="What we invoiced for the same lines")
    margin = _Money()
    margin_percent = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
    leakage = _Money(help_text="Charged by Microsoft, not invoiced, still open")
    leakage_billed = _Money()
    variance = _Money(help_text="Amount variances still open")
    not_charged = _Money()
    unknown = _Money()
    open_findings = serializers.IntegerField()


class OutcomeRowSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the row's label, not the field's
    lines = serializers.IntegerField()
    open = serializers.IntegerField()
    at_stake = _Money()


class CauseRowSerializer(serializers.Serializer):
    cause = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the row's label, not the field's
    lines = serializers.IntegerField()
    open = serializers.IntegerField()
    difference = _Money()


class SummarySerializer(serializers.Serializer):
    totals = TotalsSerializer()
    outcomes = OutcomeRowSerializer(many=True)
    causes = CauseRowSerializer(many=True)


class MicrosoftInvoiceDetailSerializer(MicrosoftInvoiceSerializer):
    summary = serializers.SerializerMethodField()

    class Meta(MicrosoftInvoiceSerializer.Meta):
        fields = [*INVOICE_FIELDS, "summary"]

    @extend_schema_field(SummarySerializer)
    def get_summary(self, invoice: MicrosoftInvoice) -> dict[str, Any]:
        return summary_data(selectors.invoice_summary(invoice))


def summary_data(summary: selectors.Summary) -> dict[str, Any]:
    totals = {**summary.totals, "margin": summary.margin, "margin_percent": summary.margin_percent}
    return SummarySerializer({"totals": totals, "outcomes": summary.outcomes, "causes": summary.causes}).data


class ChargeMatchSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.company_name", default="", read_only=True)
    reseller = serializers.IntegerField(source="customer.reseller_id", default=None, read_only=True)
    reseller_name = serializers.CharField(source="customer.reseller.name", default="", read_only=True)
    subscription_name = serializers.CharField(source="subscription.name", default="", read_only=True)
    microsoft_invoice = serializers.CharField(source="microsoft_line.invoice.invoice_id", default="", read_only=True)
    our_cost = _Money(source="our_amount", allow_null=True, read_only=True)
    our_revenue = serializers.SerializerMethodField()

    class Meta:
        model = ChargeMatch
        fields = ["id", "outcome", "cause", "resolution", "reason", "reseller", "reseller_name", "customer",
                  "customer_name", "customer_tenant_id", "subscription", "subscription_name", "pc_subscription_id",
                  "charge_type", "charge_start", "charge_end", "quantity", "microsoft_amount", "our_cost",
                  "our_revenue", "difference", "currency", "microsoft_invoice", "microsoft_line", "invoice_line",
                  "credit_note_line", "billed_line", "resolved_at"]

    def get_our_revenue(self, match: ChargeMatch) -> str | None:
        if match.invoice_line is not None:
            return str(match.invoice_line.amount)
        if match.credit_note_line is not None:
            return str(-abs(match.credit_note_line.amount))
        return None


# -- filters ---------------------------------------------------------------------------------------------------------


class _PeriodField(forms.CharField):
    def clean(self, value: object) -> tuple[int, int] | None:
        text = super().clean(value)
        if not text:
            return None
        found = PERIOD.match(text)
        if not found:
            raise forms.ValidationError("Write the period as YYYY-MM.")
        return int(found.group(1)), int(found.group(2))


class _PeriodFilter(django_filters.Filter):
    field_class = _PeriodField


class MicrosoftInvoiceFilter(django_filters.FilterSet):
    instance = django_filters.NumberFilter(field_name="instance_id", min_value=1)
    period = _PeriodFilter(method="by_period", help_text="Billing period, YYYY-MM")
    kind = django_filters.ChoiceFilter(choices=InvoiceKind.choices)
    status = django_filters.ChoiceFilter(choices=ImportStatus.choices)

    class Meta:
        model = MicrosoftInvoice
        fields = ["instance", "period", "kind", "status"]

    def by_period(self, queryset: QuerySet, name: str, value: tuple[int, int] | None) -> QuerySet:
        return queryset if value is None else queryset.filter(year=value[0], month=value[1])


class LineFilterSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)
    cause = serializers.ChoiceField(choices=[c for c in Cause.choices if c[0]], required=False)
    resolution = serializers.ChoiceField(choices=Resolution.choices, required=False)
    charge_type = serializers.CharField(max_length=32, required=False)
    reseller = serializers.IntegerField(min_value=1, required=False)
    customer = serializers.IntegerField(min_value=1, required=False)
    subscription = serializers.CharField(max_length=64, required=False, help_text="Partner Center subscription id")

    def filters(self) -> selectors.MatchFilters:
        data = self.validated_data
        return selectors.MatchFilters(
            outcome=data.get("outcome", ""), cause=data.get("cause", ""), resolution=data.get("resolution", ""),
            charge_type=data.get("charge_type", ""), reseller_id=data.get("reseller"),
            customer_id=data.get("customer"), pc_subscription_id=data.get("subscription", ""),
        )


_LINE_PARAMETERS = [OpenApiParameter(name, str, required=False, description=str(field.help_text or name))
                    for name, field in LineFilterSerializer().fields.items()]


# -- views -----------------------------------------------------------------------------------------------------------


class MicrosoftInvoiceViewSet(viewsets.ReadOnlyModelViewSet):
    """Microsoft's invoices (and unbilled imports) per instance; one invoice with its reconciliation summary; its
    matched lines."""

    request: AuthenticatedRequest
    queryset = MicrosoftInvoice.objects.none()
    filterset_class = MicrosoftInvoiceFilter
    permission_classes = [permissions.IsAuthenticated, StaffMayViewMoney]

    def get_queryset(self) -> QuerySet[MicrosoftInvoice]:
        return MicrosoftInvoice.objects.order_by("-year", "-month", "invoice_id", "id")

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "retrieve":
            return MicrosoftInvoiceDetailSerializer
        if self.action == "lines":
            return ChargeMatchSerializer
        return MicrosoftInvoiceSerializer

    @extend_schema(parameters=_LINE_PARAMETERS, responses={200: ChargeMatchSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None)
    def lines(self, request: AuthenticatedRequest, pk: str | None = None, format: str | None = None) -> Response:
        invoice = self.get_object()
        query = LineFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.invoice_lines(invoice, query.filters()).select_related("microsoft_line__invoice")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ChargeMatchSerializer(page, many=True).data)
