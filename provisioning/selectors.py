"""Reads for the provisioning back office, the API and the order page (filters applied here, relations preloaded),
scoped to the acting user: provider staff need the provisioning tool's permission
(`bss.rules.permissions.staff_may_view`), a reseller or customer sees the steps of its own orders and subscriptions."""

from datetime import date

from django.db.models import Q, QuerySet

from bss.exceptions import NotFound
from bss.models import MCAAcceptance, Order, User
from bss.rules.permissions import Resource, staff_may_view
from bss.selectors import (
    mca_acceptance_list_for_user,
    order_get_for_user,
    order_list_for_user,
    subscription_list_for_user,
    user_is_provider_staff,
)
from provisioning.models import ProvisioningOperation


def operation_list_for_user(*, user: User) -> QuerySet[ProvisioningOperation]:
    """The operations the user may see (every door reads them through here)."""
    qs = ProvisioningOperation.objects.all()
    if user_is_provider_staff(user):
        return qs if staff_may_view(user, Resource.PROVISIONING_OPERATION) else qs.none()
    return qs.filter(
        Q(order__in=order_list_for_user(user=user)) | Q(subscription__in=subscription_list_for_user(user=user))
    )


def operation_list(
    *,
    user: User,
    status: str = "",
    kind: str = "",
    instance_id: int | None = None,
    order: str = "",
    search: str = "",
) -> QuerySet[ProvisioningOperation]:
    """Operations, newest first; `order` matches an order's number prefix or id; `search` the error message."""
    qs = operation_list_for_user(user=user).select_related(
        "instance", "order", "order__customer", "tenant", "subscription"
    ).order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if instance_id:
        qs = qs.filter(instance_id=instance_id)
    if order:
        order = order.strip()
        qs = qs.filter(Q(order__number__startswith=order) | (Q(order_id=int(order)) if order.isdigit() else Q()))
    if search:
        qs = qs.filter(
            Q(last_error_message__icontains=search)
            | Q(order__customer__company_name__icontains=search)
            | Q(tenant__default_domain__icontains=search)
        )
    return qs


def operation_get(*, user: User, operation_id: int) -> ProvisioningOperation:
    try:
        return (
            operation_list_for_user(user=user)
            .select_related("instance", "order", "tenant", "subscription", "depends_on")
            .prefetch_related("attempts")
            .get(pk=operation_id)
        )
    except ProvisioningOperation.DoesNotExist:
        raise NotFound("Operation not found.") from None


def order_operations_for_user(*, user: User, order_id: int) -> tuple[Order, list[ProvisioningOperation]]:
    """An order the user may see, with its provisioning steps in order (for the live status)."""
    order = order_get_for_user(user=user, order_id=order_id)
    return order, list(ProvisioningOperation.objects.filter(order=order).order_by("sequence"))


def mca_log(
    *,
    user: User,
    search: str = "",
    role: str = "",
    reseller_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[MCAAcceptance]:
    """The MCA log: every acceptance the user may see, newest first, searchable by customer, signatory or domain."""
    qs = mca_acceptance_list_for_user(user=user).order_by("-accepted_at", "-id")
    if search:
        qs = qs.filter(
            Q(customer__company_name__icontains=search)
            | Q(signatory_email__icontains=search)
            | Q(signatory_last_name__icontains=search)
            | Q(signatory_first_name__icontains=search)
            | Q(tenant__default_domain__icontains=search)
        )
    if role:
        qs = qs.filter(role=role)
    if reseller_id:
        qs = qs.filter(customer__reseller_id=reseller_id)
    if date_from:
        qs = qs.filter(accepted_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(accepted_at__date__lte=date_to)
    return qs
