"""Provisioning steps as the back office's order and subscription pages show them, with their attempts."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from bss.models import Order, Subscription
from provisioning.models import ProvisioningOperation


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
