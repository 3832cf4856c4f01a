"""The API's changes at renewal: read, schedule or clear a subscription's next-term instruction.

The same service as the pages (`provisioning.services.renewals`): its refusal is the API's 4xx error shape."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.access import AuthenticatedRequest
from api.commerce_views import OperationSerializer
from api.serializers import StrictIntegerField
from bss import selectors
from bss.choices import BillingCycle, TermDuration
from bss.models import NextTermInstruction, Subscription
from provisioning.services import renewals as renewal_services


class NextTermRequestSerializer(serializers.Serializer):
    quantity = StrictIntegerField(min_value=1, max_value=100000, required=False, allow_null=True)
    # The vocabulary's choice sets (as on orders); the service refuses what a renewal cannot take.
    term_duration = serializers.ChoiceField(choices=TermDuration.choices, required=False, allow_blank=True)
    billing_cycle = serializers.ChoiceField(choices=BillingCycle.choices, required=False, allow_blank=True)
    catalog_item_id = serializers.CharField(max_length=100, required=False, allow_blank=True)


class NextTermSerializer(serializers.Serializer):
    renews_after = serializers.DateField(allow_null=True, help_text="The commitment end date (null: no renewal)")
    auto_renew = serializers.BooleanField()
    instruction = serializers.DictField(allow_null=True, help_text="The change at renewal the BSS keeps")
    confirmed_at = serializers.DateTimeField(allow_null=True, help_text="When Partner Center confirmed it")


def _state(sub: Subscription) -> dict[str, Any]:
    instruction = NextTermInstruction.objects.filter(subscription=sub).first()
    return {
        "renews_after": sub.commitment_end_date if sub.auto_renew else None,
        "auto_renew": sub.auto_renew,
        "instruction": instruction.as_payload() if instruction is not None else None,
        "confirmed_at": instruction.confirmed_at if instruction is not None else None,
    }


class SubscriptionNextTermView(APIView):
    """GET: the renewal and its change; POST: schedule a change (202, an operation); DELETE: clear it (202)."""

    @extend_schema(operation_id="subscriptions_next_term_read", responses={200: NextTermSerializer})
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        sub = selectors.subscription_get_for_user(user=request.user, subscription_id=pk)
        return Response(NextTermSerializer(_state(sub)).data)

    @extend_schema(operation_id="subscriptions_next_term_set", request=NextTermRequestSerializer,
                   responses={202: OperationSerializer})
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        sub = selectors.subscription_get_for_user(user=request.user, subscription_id=pk)
        data = NextTermRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        operation = renewal_services.next_term_request(
            actor=request.user,
            subscription=sub,
            wanted=renewal_services.NextTermRequest(
                quantity=values.get("quantity"),
                term_duration=values.get("term_duration") or "",
                billing_cycle=values.get("billing_cycle") or "",
                catalog_item_id=values.get("catalog_item_id") or "",
            ),
        )
        return Response(OperationSerializer(operation).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(operation_id="subscriptions_next_term_clear", responses={202: OperationSerializer})
    def delete(self, request: AuthenticatedRequest, pk: int) -> Response:
        sub = selectors.subscription_get_for_user(user=request.user, subscription_id=pk)
        operation = renewal_services.next_term_clear(actor=request.user, subscription=sub)
        return Response(OperationSerializer(operation).data, status=status.HTTP_202_ACCEPTED)
