"""Core API: customers, subscriptions, orders and MCA acceptances, scoped by the same selectors as the UI."""

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from api.access import AuthenticatedRequest
from api.idempotency import run_idempotent
from api.serializers import (
    CustomerCreateSerializer,
    CustomerSerializer,
    MCAAcceptanceSerializer,
    OrderSerializer,
    SubscriptionSerializer,
)
from bss import selectors
from bss.choices import UserRole
from bss.exceptions import PermissionDenied
from bss.models import Customer, MCAAcceptance, Order, Reseller, Subscription, User
from bss.services.accounts import customer_create


class ScopedViewSetMixin(viewsets.GenericViewSet):
    """Every list and detail goes through a permission-scoped selector: a foreign object is a 404."""

    request: AuthenticatedRequest

    def selector_queryset(self) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        return self.selector_queryset().order_by("-id")


MAX_ID = 2**63 - 1


class _PresentIntegerField(forms.IntegerField):
    def clean(self, value: object) -> int | None:
        if value == "":  # `?customer=` was sent without a value: a client bug worth a clear 400
            raise forms.ValidationError("This filter needs a value.")
        return super().clean(value)


class _PresentBooleanField(forms.Field):
    def clean(self, value: object) -> bool | None:
        if value is None:
            return None
        if value not in {"true", "false"}:
            raise forms.ValidationError("Use true or false.")
        return value == "true"


class IdFilter(django_filters.Filter):
    """A database id: an integer in 1..2^63-1 (anything else is a 400, never a database error)."""

    field_class = _PresentIntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = _PresentBooleanField


class _ByCustomer(django_filters.FilterSet):
    # By id, not ModelChoiceFilter: an unknown or foreign customer id gives an empty list, not an error that
    # would reveal whether the id exists.
    customer = IdFilter(field_name="customer_id")


class SubscriptionFilter(_ByCustomer):
    auto_renew = StrictBooleanFilter()

    class Meta:
        model = Subscription
        fields = ["status", "customer", "billing_cycle", "term_duration", "auto_renew"]


class OrderFilter(_ByCustomer):
    class Meta:
        model = Order
        fields = ["status", "kind", "customer"]


class MCAAcceptanceFilter(_ByCustomer):
    class Meta:
        model = MCAAcceptance
        fields = ["customer", "role"]


class CustomerViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CustomerSerializer
    queryset = Customer.objects.none()
    filterset_fields = ["status", "country"]

    def selector_queryset(self) -> QuerySet:
        return selectors.customer_list_for_user(
            user=self.request.user, search=self.request.query_params.get("q", "")
        ).prefetch_related("tenants__instance", "tenants__gdap_relationships")

    @extend_schema(request=CustomerCreateSerializer, responses={201: CustomerSerializer})
    def create(self, request: AuthenticatedRequest) -> Response:
        user = request.user
        reseller = user.reseller
        if user.role != UserRole.RESELLER or reseller is None:
            raise PermissionDenied("Only a reseller (user or API key) can create customers through the API.")
        data = CustomerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return run_idempotent(request, lambda _key: self._create(user, reseller, data.validated_data), required=False)

    def _create(self, user: User, reseller: Reseller, validated: dict) -> Response:
        marketplace = selectors.marketplace_for_user(user=user)
        customer = customer_create(actor=user, reseller=reseller, marketplace=marketplace, **validated)
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)


class SubscriptionViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = SubscriptionSerializer
    queryset = Subscription.objects.none()
    filterset_class = SubscriptionFilter

    def selector_queryset(self) -> QuerySet:
        return selectors.subscription_list_for_user(user=self.request.user)


class OrderViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = OrderSerializer
    queryset = Order.objects.none()
    filterset_class = OrderFilter

    def selector_queryset(self) -> QuerySet:
        return selectors.order_list_for_user(user=self.request.user).prefetch_related("lines")


class MCAAcceptanceViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = MCAAcceptanceSerializer
    queryset = MCAAcceptance.objects.none()
    filterset_class = MCAAcceptanceFilter

    def selector_queryset(self) -> QuerySet:
        return selectors.mca_acceptance_list_for_user(user=self.request.user)
