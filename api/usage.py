"""Azure usage of a customer (month to date, by day, per Azure subscription and meter category, forecast) and its
budgets, for the reseller's API keys and staff: the same selectors and services as the workspace and the back
office pages (a customer out of scope is 404; a refused budget is 400 with the service's message)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.access import AuthenticatedRequest
from bss import selectors as bss_selectors
from bss.exceptions import NotFound
from reconciliation.usage import selectors
from reconciliation.usage.models import UsageBudget
from reconciliation.usage.services.budgets import budget_delete, budget_set

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class UsageQuerySerializer(serializers.Serializer):
    month = serializers.RegexField(r"^\d{4}-(0[1-9]|1[0-2])$", required=False,
                                   help_text="YYYY-MM; default: the latest month with usage")
    entitlement = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                        help_text="One Azure subscription (entitlement id)")


class UsageDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)


class UsageRowSerializer(serializers.Serializer):
    entitlement_id = serializers.CharField()
    entitlement_name = serializers.CharField()
    meter_category = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=24, decimal_places=6)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)


class UsageSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    month = serializers.CharField()
    currency = serializers.CharField()
    total = serializers.DecimalField(max_digits=18, decimal_places=2)
    forecast = serializers.DecimalField(max_digits=18, decimal_places=2)
    closed = serializers.BooleanField()
    days = UsageDaySerializer(many=True)
    rows = UsageRowSerializer(many=True)


class BudgetSerializer(serializers.ModelSerializer):
    class Meta:
        model = UsageBudget
        fields = ["id", "customer", "entitlement_id", "amount", "currency", "thresholds", "forecast_alert",
                  "spike_factor", "spike_window_days", "created_at", "updated_at"]


class BudgetInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=Decimal("0.01"))
    entitlement_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    thresholds = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=1000), min_length=1,
                                       max_length=10, required=False, default=[50, 80, 100])
    forecast_alert = serializers.BooleanField(required=False, default=True)
    spike_factor = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("1.01"), required=False,
                                            allow_null=True, default=Decimal(3))
    spike_window_days = serializers.IntegerField(min_value=1, max_value=31, required=False, default=7)


class AzureUsageView(APIView):
    """A customer's Azure usage of a month."""

    @extend_schema(operation_id="customers_azure_usage", responses={200: UsageSerializer},
                   parameters=[OpenApiParameter("month", str, pattern=r"^\d{4}-(0[1-9]|1[0-2])$"),
                               OpenApiParameter("entitlement", str)])
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        if "month" in request.query_params and not MONTH.match(request.query_params["month"]):
            raise serializers.ValidationError({"month": ["Use YYYY-MM, e.g. 2025-06."]})  # an empty one too
        query = UsageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        customer = bss_selectors.customer_get_for_user(user=request.user, customer_id=pk)
        year, month = selectors.parse_month(query.validated_data.get("month"),
                                            selectors.latest_month(customer, timezone.now().date()))
        summary = selectors.usage_summary(customer, year, month,
                                          entitlement_id=(query.validated_data.get("entitlement") or "").lower())
        data: dict[str, Any] = {
            "customer": customer.pk, "month": f"{year}-{month:02d}", "currency": summary.currency,
            "total": summary.total, "forecast": summary.forecast, "closed": summary.closed,
            "days": [{"date": day, "amount": amount} for day, amount in summary.by_day],
            "rows": [{"entitlement_id": r.entitlement_id, "entitlement_name": r.entitlement_name,
                      "meter_category": r.meter_category, "quantity": r.quantity, "amount": r.total}
                     for r in summary.rows],
        }
        return Response(UsageSerializer(data).data)


class AzureBudgetsView(APIView):
    """A customer's Azure budgets; POST sets one (the customer's, or one Azure subscription's)."""

    @extend_schema(operation_id="customers_azure_budgets_list", responses={200: BudgetSerializer(many=True)})
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        customer = bss_selectors.customer_get_for_user(user=request.user, customer_id=pk)
        return Response(BudgetSerializer(selectors.budgets_of(customer), many=True).data)

    @extend_schema(operation_id="customers_azure_budgets_set", request=BudgetInputSerializer,
                   responses={200: BudgetSerializer})
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        # Whose customer first: someone else's is a 404 whatever the body says (nothing about it is revealed).
        bss_selectors.customer_get_for_user(user=request.user, customer_id=pk)
        data = BudgetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        budget = budget_set(user=request.user, customer_id=pk, amount=values["amount"],
                            entitlement_id=values["entitlement_id"], thresholds=values["thresholds"],
                            forecast_alert=values["forecast_alert"], spike_factor=values["spike_factor"],
                            spike_window_days=values["spike_window_days"])
        return Response(BudgetSerializer(budget).data)


class AzureBudgetDetailView(APIView):
    @extend_schema(operation_id="customers_azure_budgets_delete", responses={204: None})
    def delete(self, request: AuthenticatedRequest, pk: int, budget_id: int) -> Response:
        bss_selectors.customer_get_for_user(user=request.user, customer_id=pk)
        if not UsageBudget.objects.filter(pk=budget_id, customer_id=pk).exists():
            raise NotFound("No such budget.")
        budget_delete(user=request.user, budget_id=budget_id)
        return Response(status=204)
