"""Provisioning steps as the back office's order and subscription pages show them, with their attempts."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from bss.models import Order, Subscription
from provisioning.choices import OperationKind
from provisioning.models import ProvisioningOperation


def order_ids_by_partner_center_order_id(term: str) -> tuple[int, ...]:
    """Our orders whose checkout Partner Center answered with an order id containing `term` (before their
    subscriptions are recorded, this is where the Partner Center order id is)."""
    term = term.strip()
    if len(term) < 6:
        return ()
    ids = (
        ProvisioningOperation.objects.filter(kind=OperationKind.CHECKOUT, order__isnull=False, result__icontains=term)
        .values_list("order_id", flat=True)
        .distinct()[:200]
    )
    return tuple(i for i in ids if i is not None)


def operations_of_order(*, order: Order) -> QuerySet[ProvisioningOperation]:
    return (
        ProvisioningOperation.objects.filter(order=order)
        .select_related("instance", "subscription")
        .prefetch_related("attempts")
        .order_by("sequence", "id")
    )


def operations_of_subscription(*, subscription: Subscription) -> QuerySet[ProvisioningOperation]:
    """The steps that changed the subscription, and those of the order that bought it."""
    match = Q(subscription=subscription)
    if subscription.order_line is not None:
        match |= Q(order_id=subscription.order_line.order_id)
    return (
        ProvisioningOperation.objects.filter(match)
        .select_related("instance", "order")
        .prefetch_related("attempts")
        .order_by("-created_at", "-id")
    )
