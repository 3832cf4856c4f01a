"""Subscription change requests: quantity, suspend / reactivate, auto-renew, cancel, each validated first and
applied to the BSS record only once Partner Center confirms it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from bss.choices import SubscriptionStatus
from bss.exceptions import ApplicationError
from bss.models import Subscription, User
from bss.services import subscriptions as subscription_services
from bss.services.audit import audit_record
from provisioning.choices import CLAIMABLE_STATUSES, OperationKind
from provisioning.inputs import ChangeBaseline
from provisioning.models import ProvisioningOperation
from provisioning.services.lifecycle import enqueue


class SubscriptionChangeRefused(ApplicationError):
    code = "subscription_change_refused"


def subscription_change_request(
    *,
    actor: User,
    subscription: Subscription,
    quantity: int | None = None,
    suspend: bool | None = None,
    auto_renew: bool | None = None,
    cancel: bool = False,
    against: ChangeBaseline | None = None,
) -> ProvisioningOperation:
    """Ask for one change of a subscription; it is applied to the BSS record only once Partner Center confirms.

    New-commerce rules: quantity may go up at any time; down only by licences added in the last 7 days; cancel only
    until the cancellation deadline. Exactly one of quantity / suspend / auto_renew / cancel is given.

    The change is judged against the BSS record, or against `against` (Partner Center's current values) when
    reconciliation pushes the BSS value to Partner Center: there the BSS already holds the target value.
    """
    chosen = [
        name
        for name, value in (("quantity", quantity), ("suspend", suspend), ("auto_renew", auto_renew))
        if value is not None
    ] + (["cancel"] if cancel else [])
    if len(chosen) != 1:
        raise SubscriptionChangeRefused("Choose exactly one change.", code="bad_request")
    with transaction.atomic():
        sub = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("tenant__instance")
            .get(pk=subscription.pk)
        )
        if not sub.pc_subscription_id or not sub.tenant.pc_customer_id:
            raise SubscriptionChangeRefused("This subscription is not linked to Partner Center yet.")
        if ProvisioningOperation.objects.filter(subscription=sub, status__in=[*CLAIMABLE_STATUSES, "running"]).exists():
            raise SubscriptionChangeRefused("A change of this subscription is already in progress; wait for it.")
        now = timezone.now()
        base = against or ChangeBaseline(
            quantity=sub.quantity, status=sub.status, cancellation_allowed_until=sub.cancellation_allowed_until
        )
        window_open = base.cancellation_allowed_until is None or now <= base.cancellation_allowed_until
        deadline = (
            f" (the window closed on {base.cancellation_allowed_until:%Y-%m-%d %H:%M} UTC)"
            if base.cancellation_allowed_until
            else ""
        )
        payload: dict[str, Any]
        if quantity is not None:
            if base.status != SubscriptionStatus.ACTIVE:
                raise SubscriptionChangeRefused(
                    f"The quantity of a {SubscriptionStatus(base.status).label.lower()} subscription cannot be changed."
                )
            if quantity < 1:
                raise SubscriptionChangeRefused("The quantity must be at least 1; cancel the subscription instead.")
            if quantity == base.quantity:
                raise SubscriptionChangeRefused(f"The subscription already has {quantity} licences.")
            if quantity < base.quantity:
                refundable = (
                    base.refundable_quantity if base.refundable_quantity is not None
                    else subscription_services.subscription_refundable_quantity(subscription=sub, now=now)
                )
                if base.quantity - quantity > refundable:
                    raise SubscriptionChangeRefused(
                        f"Only licences added in the last 7 days can be removed ({refundable} now); "
                        f"the lowest possible quantity is {base.quantity - refundable}.",
                        extra={"refundable": refundable},
                    )
            kind, payload = OperationKind.CHANGE_QUANTITY, {"quantity": quantity, "reason": "change"}
        elif suspend is not None:
            if suspend and base.status != SubscriptionStatus.ACTIVE:
                raise SubscriptionChangeRefused("Only an active subscription can be suspended.")
            if not suspend and base.status != SubscriptionStatus.SUSPENDED:
                raise SubscriptionChangeRefused("Only a suspended subscription can be reactivated.")
            kind, payload = (OperationKind.SUSPEND if suspend else OperationKind.REACTIVATE), {}
        elif auto_renew is not None:
            if base.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED):
                raise SubscriptionChangeRefused("Auto-renew can be changed only on an active or suspended subscription")
            kind, payload = OperationKind.SET_AUTO_RENEW, {"auto_renew": bool(auto_renew)}
        else:
            if base.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED):
                raise SubscriptionChangeRefused("This subscription cannot be cancelled.")
            if not window_open:
                raise SubscriptionChangeRefused(
                    "New-commerce subscriptions can be cancelled only within 7 days of purchase or renewal"
                    + deadline
                    + "; turn auto-renew off instead."
                )
            kind, payload = OperationKind.CANCEL, {}
        op = ProvisioningOperation.objects.create(
            kind=kind,
            instance=sub.tenant.instance,
            tenant=sub.tenant,
            subscription=sub,
            payload=payload,
            created_by=actor if actor is not None and actor.pk else None,
        )
        audit_record(actor=actor, action=f"subscription.request_{kind}", obj=sub, after={"operation": op.pk, **payload})
        enqueue(op.pk)
    return op

