"""API writes that go through provisioning: place an order, change a subscription, record an MCA acceptance,
and read the provisioning operation to poll."""

from typing import TypedDict

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import RetrieveAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.access import AuthenticatedRequest
from api.idempotency import run_idempotent
from api.serializers import (
    MCAAcceptanceSerializer,
    OrderSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
)
from bss import selectors
from bss.choices import AcceptanceRole, BillingCycle, TermDuration, UserRole
from bss.exceptions import ApplicationError, PermissionDenied
from bss.inputs import ExistingTenantInput, MCAAcceptanceInput, NewCustomerInput, OrderLineInput
from bss.models import User
from bss.request_context import client_ip
from bss.services.mca import mca_acceptance_record
from catalog.offers import store_offer_get
from provisioning import selectors as provisioning_selectors
from provisioning import services as provisioning
from provisioning.models import ProvisioningOperation


def _reseller_of(user: User):
    if user.role != UserRole.RESELLER or not user.reseller_id:
        raise PermissionDenied("Only a reseller (user or API key) can do this through the API.")
    return user.reseller


class OperationSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProvisioningOperation
        fields = [
            "id",
            "kind",
            "status",
            "order_id",
            "subscription_id",
            "attempt_count",
            "last_http_status",
            "last_error_code",
            "last_error_message",
            "created_at",
            "updated_at",
            "finished_at",
        ]
        read_only_fields = fields


class NewCustomerRequestSerializer(serializers.Serializer):
    company_name = StrictCharField(max_length=200)
    domain_prefix = serializers.RegexField(
        r"^[A-Za-z0-9]{1,27}$", help_text="The new tenant is <domain_prefix>.onmicrosoft.com"
    )
    contact_first_name = StrictCharField(max_length=100)
    contact_last_name = StrictCharField(max_length=100)
    contact_email = serializers.EmailField()
    contact_phone = StrictCharField(max_length=40, required=False, allow_blank=True, default="")
    address_line1 = StrictCharField(max_length=200)
    city = StrictCharField(max_length=100)
    state = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    postal_code = StrictCharField(max_length=20)
    country = serializers.RegexField(r"^[A-Za-z]{2}$")


class OrderLineRequestSerializer(serializers.Serializer):
    offer_id = serializers.IntegerField(min_value=1, help_text="`offer_id` from /api/v1/catalog/offers/")
    quantity = StrictIntegerField(min_value=1, max_value=100000)
    term_duration = serializers.ChoiceField(choices=TermDuration.choices, allow_blank=True)
    billing_cycle = serializers.ChoiceField(choices=BillingCycle.choices)
    target_subscription_id = serializers.IntegerField(
        min_value=1, required=False, help_text="Add licences to this subscription (Dynamics) instead of a new one"
    )
    promotion_id = serializers.CharField(
        max_length=80, required=False, allow_blank=True,
        help_text="A promotion of the plan (catalog); Partner Center checks the customer's eligibility at ordering",
    )


class MCARequestSerializer(serializers.Serializer):
    signatory_first_name = StrictCharField(max_length=100)
    signatory_last_name = StrictCharField(max_length=100)
    signatory_email = serializers.EmailField()
    signatory_phone = StrictCharField(max_length=40, required=False, allow_blank=True, default="")
    accepted_at = serializers.DateTimeField(help_text="When the customer accepted the agreement")


class OrderPlaceRequestSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField(min_value=1, required=False)
    new_customer = NewCustomerRequestSerializer(required=False)
    existing_tenant = StrictCharField(
        max_length=255, required=False, help_text="Domain or tenant id of the customer's existing Microsoft tenant"
    )
    lines = serializers.ListField(child=OrderLineRequestSerializer(), min_length=1, max_length=50)
    mca = MCARequestSerializer(required=False, help_text="The customer's MCA acceptance, confirmed by the reseller")

    def validate(self, data: dict) -> dict:
        if ("customer_id" in data) == ("new_customer" in data):
            raise serializers.ValidationError("Give either customer_id or new_customer.")
        return data


class MCARecordRequestSerializer(MCARequestSerializer):
    customer_id = serializers.IntegerField(min_value=1)


def _mca_input(request: Request, data: dict) -> MCAAcceptanceInput:
    return MCAAcceptanceInput(
        **data,
        role=AcceptanceRole.RESELLER,
        ip_address=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:400],
    )


class OrderPlaceView(APIView):
    @extend_schema(
        operation_id="orders_place",
        request=OrderPlaceRequestSerializer,
        responses={201: OrderSerializer},
        description="Place an order. Requires an `Idempotency-Key` header: the same key and body return the same "
        "order; the same key with another body is refused (422).",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        reseller = _reseller_of(request.user)
        data = OrderPlaceRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return run_idempotent(request, lambda key: self._place(request, reseller, data.validated_data, key))

    def _place(self, request: AuthenticatedRequest, reseller, data: dict, key: str) -> Response:
        user = request.user
        marketplace = selectors.marketplace_for_user(user=user)
        lines = []
        for line in data["lines"]:
            offer = store_offer_get(marketplace=marketplace, offer_id=line["offer_id"])
            plan = offer.plan(line["term_duration"], line["billing_cycle"])
            if plan is None:
                raise ApplicationError(
                    f"{offer.name} is not sold with term {line['term_duration'] or 'none'} and "
                    f"{line['billing_cycle']} billing in this marketplace.",
                    code="plan_not_available",
                )
            lines.append(
                OrderLineInput(
                    pc_product_id=offer.pc_product_id,
                    pc_sku_id=offer.pc_sku_id,
                    pc_availability_id=plan.availability_id,
                    product_name=offer.name,
                    quantity=line["quantity"],
                    term_duration=line["term_duration"],
                    billing_cycle=line["billing_cycle"],
                    unit_price=plan.unit_price,
                    currency=marketplace.currency,
                    min_quantity=offer.min_quantity,
                    max_quantity=offer.max_quantity,
                    new_subscription_per_order=offer.new_subscription_per_order,
                    target_subscription_id=line.get("target_subscription_id"),
                    promotion_id=line.get("promotion_id") or "",
                )
            )
        customer = None
        if "customer_id" in data:
            customer = selectors.customer_get_for_user(user=user, customer_id=data["customer_id"])
        new_customer = NewCustomerInput(**data["new_customer"]) if "new_customer" in data else None
        order = provisioning.order_submit(
            actor=user,
            marketplace=marketplace,
            reseller=reseller,
            lines=lines,
            new_customer=new_customer,
            customer=customer,
            existing_tenant=ExistingTenantInput(data["existing_tenant"]) if data.get("existing_tenant") else None,
            mca=_mca_input(request, data["mca"]) if data.get("mca") else None,
            submission_key=f"api:{reseller.pk}:{key}",
        )
        order = selectors.order_get_for_user(user=user, order_id=order.pk)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class QuantityRequestSerializer(serializers.Serializer):
    quantity = StrictIntegerField(min_value=1, max_value=100000)


class AutoRenewRequestSerializer(serializers.Serializer):
    enabled = StrictBooleanField()


class _Change(TypedDict, total=False):
    """The keyword arguments of `provisioning.subscription_change_request` that one action sets."""

    quantity: int | None
    suspend: bool
    auto_renew: bool | None
    cancel: bool


class SubscriptionActionView(APIView):
    """Each action creates one provisioning operation (202); the subscription changes once Partner Center confirms."""

    action_name = ""
    request_serializer: type[serializers.Serializer] | None = None

    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        subscription = selectors.subscription_get_for_user(user=request.user, subscription_id=pk)
        values = {}
        if self.request_serializer is not None:
            data = self.request_serializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
        changes: dict[str, _Change] = {
            "change-quantity": {"quantity": values.get("quantity")},
            "suspend": {"suspend": True},
            "reactivate": {"suspend": False},
            "auto-renew": {"auto_renew": values.get("enabled")},
            "cancel": {"cancel": True},
        }
        operation = provisioning.subscription_change_request(
            actor=request.user, subscription=subscription, **changes[self.action_name]
        )
        return Response(OperationSerializer(operation).data, status=status.HTTP_202_ACCEPTED)


def _action(name: str, serializer: type[serializers.Serializer] | None) -> type[SubscriptionActionView]:
    @extend_schema(
        operation_id=f"subscriptions_{name.replace('-', '_')}", request=serializer, responses={202: OperationSerializer}
    )
    def post(self: SubscriptionActionView, request: AuthenticatedRequest, pk: int) -> Response:
        return SubscriptionActionView.post(self, request, pk)

    class_name = f"Subscription{name.title().replace('-', '')}View"
    return type(
        class_name, (SubscriptionActionView,), {"action_name": name, "request_serializer": serializer, "post": post}
    )


SubscriptionChangeQuantityView = _action("change-quantity", QuantityRequestSerializer)
SubscriptionSuspendView = _action("suspend", None)
SubscriptionReactivateView = _action("reactivate", None)
SubscriptionAutoRenewView = _action("auto-renew", AutoRenewRequestSerializer)
SubscriptionCancelView = _action("cancel", None)


class OperationDetailView(RetrieveAPIView):
    serializer_class = OperationSerializer
    request: AuthenticatedRequest

    def get_queryset(self):
        # The one scoped read: staff need the provisioning tool's permission, as on the back-office page.
        return provisioning_selectors.operation_list_for_user(user=self.request.user)


class MCAAcceptanceRecordView(APIView):
    @extend_schema(
        operation_id="mca_acceptances_record",
        request=MCARecordRequestSerializer,
        responses={201: MCAAcceptanceSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        _reseller_of(request.user)
        data = MCARecordRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        customer = selectors.customer_get_for_user(user=request.user, customer_id=values.pop("customer_id"))
        acceptance = mca_acceptance_record(
            actor=request.user, customer=customer, tenant=None, mca=_mca_input(request, values)
        )
        return Response(MCAAcceptanceSerializer(acceptance).data, status=status.HTTP_201_CREATED)
