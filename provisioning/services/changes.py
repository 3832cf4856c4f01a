"""Subscription change requests: quantity, suspend / reactivate, auto-renew, cancel, each validated first and
applied to the BSS record only once Partner Center confirms it.

This is the one place the subscription rules are enforced (`bss.rules`): who may do what (customer user, reseller,
provider staff with the tool's permission), the new-commerce 168-hour windows, the SKU's quantity bounds. The
workspace pages and the API both call `subscription_change_request` and show its refusal.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from bss.choices import SubscriptionStatus
from bss.exceptions import ApplicationError, PermissionDenied
from bss.inputs import ChangeBaseline
from bss.models import Subscription, User
from bss.rules.permissions import (
    RECONCILIATION_PUSH_PERMISSION,
    STAFF_CHANGE_PERMISSION,
    SubscriptionAction,
    actor_facts,
    subscription_action_refusal,
)
from bss.rules.quantities import (
    AZURE_PLAN_NO_QUANTITY,
    AZURE_PLAN_NO_RENEWAL,
    NO_BOUNDS,
    QuantityBounds,
    is_azure_plan,
    quantity_bounds_problem,
)
from bss.rules.windows import cancellation_allowed
from bss.services import subscriptions as subscription_services
from bss.services.audit import audit_record
from catalog.models import Sku
from provisioning.choices import OPEN_STATUSES, OperationKind
from provisioning.models import ProvisioningOperation
from provisioning.services.lifecycle import enqueue


class SubscriptionChangeRefused(ApplicationError):
    code = "subscription_change_refused"


class SubscriptionChangeNotPermitted(PermissionDenied):
    """The acting user may not make this change (403)."""

    code = "subscription_change_not_permitted"


class QuantityOutOfRange(SubscriptionChangeRefused):
    code = "quantity_out_of_range"


class WindowClosed(SubscriptionChangeRefused):
    """A new-commerce window has closed: the change conflicts with the subscription's state now (409)."""

    code = "window_closed"
    http_status = 409


CHANGE_IN_PROGRESS = "A change of this subscription is already in progress; wait for it."


def _action(
    quantity: int | None, suspend: bool | None, auto_renew: bool | None, base_quantity: int
) -> SubscriptionAction:
    if quantity is not None:
        return SubscriptionAction.DECREASE if quantity < base_quantity else SubscriptionAction.INCREASE
    if suspend is not None:
        return SubscriptionAction.SUSPEND if suspend else SubscriptionAction.REACTIVATE
    if auto_renew is not None:
        return SubscriptionAction.AUTO_RENEW
    return SubscriptionAction.CANCEL


def subscription_permission_check(
    actor: User | None, sub: Subscription, action: SubscriptionAction, staff_permission: str
) -> None:
    """Who may do what (`bss.rules.permissions`). A change without an acting user is the system's own."""
    if actor is None:
        return
    refusal = subscription_action_refusal(
        actor_facts(actor, staff_permission=staff_permission),
        action,
        customer_id=sub.customer_id,
        reseller_id=sub.customer.reseller_id,
    )
    if refusal is not None:
        raise SubscriptionChangeNotPermitted(refusal.message, code=refusal.code)


def _sku_bounds(sub: Subscription) -> QuantityBounds:
    """The SKU's quantity bounds from the catalog (the customer's market first); none known without the SKU."""
    skus = Sku.objects.filter(
        product__instance_id=sub.tenant.instance_id, product__product_id=sub.pc_product_id, sku_id=sub.pc_sku_id
    )
    market = sub.customer.marketplace.market if sub.customer.marketplace_id else ""
    sku = (skus.filter(product__market=market).first() if market else None) or skus.order_by("pk").first()
    return QuantityBounds.of_sku(sku.min_quantity, sku.max_quantity) if sku is not None else NO_BOUNDS


def subscription_change_request(
    *,
    actor: User,
    subscription: Subscription,
    quantity: int | None = None,
    suspend: bool | None = None,
    auto_renew: bool | None = None,
    cancel: bool = False,
    against: ChangeBaseline | None = None,
    staff_permission: str = "",
) -> ProvisioningOperation:
    """Ask for one change of a subscription; it is applied to the BSS record only once Partner Center confirms.

    New-commerce rules: quantity may go up at any time; down only by licences added in the last 7 days; cancel only
    until the cancellation deadline. Exactly one of quantity / suspend / auto_renew / cancel is given.

    The change is judged against the BSS record, or against `against` (Partner Center's current values) when
    reconciliation pushes the BSS value to Partner Center: there the BSS already holds the target value.

    `actor` is the acting user (None: the system itself). Provider staff need the permission of the tool they act
    through: `staff_permission`, by default the storefront's and the API's (`STAFF_CHANGE_PERMISSION`), or the
    reconciliation tool's for a push (`against` given).
    """
    chosen = [
        name
        for name, value in (("quantity", quantity), ("suspend", suspend), ("auto_renew", auto_renew))
        if value is not None
    ] + (["cancel"] if cancel else [])
    if len(chosen) != 1:
        raise SubscriptionChangeRefused("Choose exactly one change.", code="bad_request")
    staff_permission = staff_permission or (
        RECONCILIATION_PUSH_PERMISSION if against is not None else STAFF_CHANGE_PERMISSION
    )
    with transaction.atomic():
        sub = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("tenant__instance", "customer__marketplace")
            .get(pk=subscription.pk)
        )
        base_quantity = against.quantity if against is not None else sub.quantity
        action = _action(quantity, suspend, auto_renew, base_quantity)
        subscription_permission_check(actor, sub, action, staff_permission)
        if not sub.pc_subscription_id or not sub.tenant.pc_customer_id:
            raise SubscriptionChangeRefused("This subscription is not linked to Partner Center yet.")
        if change_in_progress(sub):
            raise SubscriptionChangeRefused(CHANGE_IN_PROGRESS)
        now = timezone.now()
        base = against or ChangeBaseline(
            quantity=sub.quantity, status=sub.status, cancellation_allowed_until=sub.cancellation_allowed_until
        )
        window_open = cancellation_allowed(base.cancellation_allowed_until, now)
        deadline = (
            f" (the window closed on {base.cancellation_allowed_until:%Y-%m-%d %H:%M} UTC)"
            if base.cancellation_allowed_until
            else ""
        )
        payload: dict[str, Any]
        azure_plan = is_azure_plan(sub.pc_product_id, sub.pc_offer_id)
        if quantity is not None:
            if azure_plan:
                raise SubscriptionChangeRefused(AZURE_PLAN_NO_QUANTITY, code="azure_plan_has_no_quantity")
            if base.status != SubscriptionStatus.ACTIVE:
                raise SubscriptionChangeRefused(
                    f"The quantity of a {SubscriptionStatus(base.status).label.lower()} subscription cannot be changed."
                )
            if quantity < 1:
                raise SubscriptionChangeRefused("The quantity must be at least 1; cancel the subscription instead.")
            if quantity == base.quantity:
                raise SubscriptionChangeRefused(f"The subscription already has {quantity} licences.")
            bounds = _sku_bounds(sub)
            problem = quantity_bounds_problem(quantity, bounds)
            if problem:
                raise QuantityOutOfRange(
                    f"{sub.name}: {quantity} licences are not allowed. {problem}",
                    extra={"min": bounds.minimum, "max": bounds.maximum, "quantity": quantity},
                )
            if quantity < base.quantity:
                check = subscription_services.subscription_decrease_check(
                    subscription=sub,
                    quantity=quantity,
                    current_quantity=base.quantity,
                    refundable=base.refundable_quantity,
                    now=now,
                )
                if check.problem:
                    raise WindowClosed(
                        check.problem,
                        code="quantity_decrease_refused",
                        extra={"refundable": check.refundable, "lowest_quantity": check.lowest_quantity},
                    )
            kind, payload = OperationKind.CHANGE_QUANTITY, {"quantity": quantity, "reason": "change"}
        elif suspend is not None:
            if suspend and base.status != SubscriptionStatus.ACTIVE:
                raise SubscriptionChangeRefused("Only an active subscription can be suspended.")
            if not suspend and base.status != SubscriptionStatus.SUSPENDED:
                raise SubscriptionChangeRefused("Only a suspended subscription can be reactivated.")
            kind, payload = (OperationKind.SUSPEND if suspend else OperationKind.REACTIVATE), {}
        elif auto_renew is not None:
            if azure_plan:
                raise SubscriptionChangeRefused(AZURE_PLAN_NO_RENEWAL, code="azure_plan_does_not_renew")
            if base.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED):
                raise SubscriptionChangeRefused("Auto-renew can be changed only on an active or suspended subscription")
            kind, payload = OperationKind.SET_AUTO_RENEW, {"auto_renew": bool(auto_renew)}
        else:
            if base.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED):
                raise SubscriptionChangeRefused("This subscription cannot be cancelled.")
            if not window_open:
                raise WindowClosed(
                    "New-commerce subscriptions can be cancelled only within 7 days (168 hours) of purchase or "
                    "renewal" + deadline + "; turn auto-renew off instead.",
                    code="cancellation_window_closed",
                )
            kind, payload = OperationKind.CANCEL, {}
        return subscription_operation_start(sub=sub, kind=kind, payload=payload, actor=actor)


def change_in_progress(sub: Subscription) -> bool:
    """One change of a subscription at a time: an operation still open on it refuses the next one."""
    return ProvisioningOperation.objects.filter(subscription=sub, status__in=OPEN_STATUSES).exists()


def subscription_operation_start(
    *, sub: Subscription, kind: str, payload: dict[str, Any], actor: User | None, actor_label: str = ""
) -> ProvisioningOperation:
    """Open the operation of an accepted change request (inside the caller's transaction, the subscription locked):
    create it, audit the request and queue it once the transaction commits."""
    op = ProvisioningOperation.objects.create(
        kind=kind,
        instance=sub.tenant.instance,
        tenant=sub.tenant,
        subscription=sub,
        payload=payload,
        created_by=actor if actor is not None and actor.pk else None,
    )
    audit_record(actor=actor, actor_label=actor_label, action=f"subscription.request_{kind}", obj=sub,
                 after={"operation": op.pk, **payload})
    enqueue(op.pk)
    return op

