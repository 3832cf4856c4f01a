"""The API's upgrades (Partner Center transitions): where a subscription can go, and the request.

The same service as the pages (`provisioning.services.upgrades`): its refusal is the API's 4xx error shape."""

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
from provisioning.services import upgrades as upgrade_services


class UpgradeRequestSerializer(serializers.Serializer):
    to_catalog_item_id = serializers.CharField(max_length=100)
    quantity = StrictIntegerField(min_value=1, max_value=1_000_000)
    to_subscription_id = StrictIntegerField(required=False, allow_null=True,
                                            help_text="An existing subscription of the target (else a new one)")
    effective_on = serializers.DateField(required=False, allow_null=True,
                                         help_text="Upgrades are immediate: a later date is refused")
    promotion_loss_confirmed = serializers.BooleanField(required=False, default=False)


class UpgradeOptionsSerializer(serializers.Serializer):
    rules = serializers.ListField(child=serializers.CharField())
    message = serializers.CharField(allow_blank=True)
    options = serializers.ListField(child=serializers.DictField())


def _options(sub: Any) -> dict[str, Any]:
    found = upgrade_services.upgrade_options(subscription=sub)
    return {
        "rules": list(found.rules),
        "message": found.message,
        "options": [
            {
                "catalog_item_id": o.catalog_item_id, "title": o.title, "eligible": o.eligible,
                "problems": list(o.problems),
                "existing": [{"subscription_id": t.subscription_id, "pc_subscription_id": t.pc_subscription_id,
                              "name": t.name, "eligible": t.eligible, "problems": list(t.problems)}
                             for t in o.existing],
            }
            for o in found.options
        ],
    }


class SubscriptionUpgradeView(APIView):
    """GET: Partner Center's upgrade targets and Microsoft's rules; POST: ask for an upgrade (202, an operation)."""

    @extend_schema(operation_id="subscriptions_upgrade_options", responses={200: UpgradeOptionsSerializer})
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        sub = selectors.subscription_get_for_user(user=request.user, subscription_id=pk)
        return Response(UpgradeOptionsSerializer(_options(sub)).data)

    @extend_schema(operation_id="subscriptions_upgrade", request=UpgradeRequestSerializer,
                   responses={202: OperationSerializer})
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        sub = selectors.subscription_get_for_user(user=request.user, subscription_id=pk)
        data = UpgradeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        operation = upgrade_services.subscription_upgrade_request(
            actor=request.user,
            subscription=sub,
            to_catalog_item_id=values["to_catalog_item_id"],
            quantity=values["quantity"],
            to_subscription_id=values.get("to_subscription_id"),
            effective_on=values.get("effective_on"),
            promotion_loss_confirmed=values.get("promotion_loss_confirmed", False),
        )
        return Response(OperationSerializer(operation).data, status=status.HTTP_202_ACCEPTED)
