"""Changes at renewal: a next-term instruction (quantity, term, billing cycle, SKU) asked for, validated as Partner
Center validates it, kept by the BSS and written to Partner Center as a persisted, idempotent operation
(`OperationKind.SET_NEXT_TERM`, `provisioning.pipeline.next_term`).

Microsoft deletes a subscription's instruction on any mid-term change, so the BSS re-applies the wanted one after
each mid-term change it makes (`next_term_reapply`, called by the effects of those changes) and reconciliation
reports a Partner Center subscription that no longer holds it (its "re-apply" action calls `next_term_reapply` too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from bss.choices import BillingCycle, SubscriptionStatus, TermDuration
from bss.exceptions import ApplicationError
from bss.models import NextTermInstruction, Subscription, User
from bss.partner_center import get_client, pc_error_message
from bss.rules.permissions import STAFF_CHANGE_PERMISSION, SubscriptionAction
from bss.rules.quantities import AZURE_PLAN_NO_RENEWAL, QuantityBounds, is_azure_plan, quantity_bounds_problem
from bss.services import renewals as renewal_services
from catalog.models import Price, Sku
from partnercenter import errors as pc_errors
from provisioning.choices import OperationKind
from provisioning.models import ProvisioningOperation
from provisioning.services.changes import (
    SubscriptionChangeRefused,
    change_in_progress,
    subscription_operation_start,
    subscription_permission_check,
)


class NextTermRefused(SubscriptionChangeRefused):
    code = "next_term_refused"


@dataclass(frozen=True)
class NextTermRequest:
    """What the subscription should become at renewal; None/"" = as now. `catalog_item_id` names another SKU
    (``product:sku`` or ``product:sku:availability``), an upgrade Partner Center allows at renewal."""

    quantity: int | None = None
    term_duration: str = ""
    billing_cycle: str = ""
    catalog_item_id: str = ""


def _locked(subscription: Subscription) -> Subscription:
    return (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("tenant__instance", "customer__marketplace")
        .get(pk=subscription.pk)
    )


def _catalog_sku(sub: Subscription, product_id: str, sku_id: str) -> Sku | None:
    skus = Sku.objects.filter(
        product__instance_id=sub.tenant.instance_id, product__product_id__iexact=product_id, sku_id__iexact=sku_id
    ).select_related("product")
    market = sub.customer.marketplace.market if sub.customer.marketplace_id else ""
    return (skus.filter(product__market=market).first() if market else None) or skus.order_by("pk").first()


def _common_refusal(sub: Subscription) -> None:
    if not sub.pc_subscription_id or not sub.tenant.pc_customer_id:
        raise NextTermRefused("This subscription is not linked to Partner Center yet.")
    if is_azure_plan(sub.pc_product_id, sub.pc_offer_id):
        raise NextTermRefused(AZURE_PLAN_NO_RENEWAL, code="azure_plan_does_not_renew")
    if sub.status != SubscriptionStatus.ACTIVE:
        raise NextTermRefused(
            f"Changes at renewal can be scheduled only on an active subscription; this one is "
            f"{SubscriptionStatus(sub.status).label.lower()}."
        )
    if sub.commitment_end_date is None or not sub.term_duration:
        raise NextTermRefused("This subscription has no term that renews.", code="no_term")
    if change_in_progress(sub):
        raise NextTermRefused("A change of this subscription is already in progress; wait for it.")


def _eligible_upgrade(sub: Subscription, product_id: str, sku_id: str) -> None:
    """Partner Center's scheduled transition eligibilities: another SKU at renewal only where Microsoft allows it."""
    try:
        eligibilities = get_client(sub.tenant.instance).subscriptions.list_transition_eligibilities(
            customer_id=sub.tenant.pc_customer_id or "", subscription_id=sub.pc_subscription_id or "",
            eligibility_type="scheduled",
        )
    except pc_errors.PartnerCenterError as exc:
        raise NextTermRefused(
            f"Partner Center could not say which SKUs this subscription may renew into: {pc_error_message(exc)}",
            code="partner_center_error",
        ) from exc
    wanted = f"{product_id}:{sku_id}".upper()
    for eligibility in eligibilities:
        if eligibility.catalog_item_id.upper().startswith(wanted) and eligibility.is_eligible:
            return
    raise NextTermRefused(
        f"Partner Center does not allow this subscription to renew into {product_id}:{sku_id}.",
        code="next_term_target_not_eligible",
    )


def _validated(sub: Subscription, wanted: NextTermRequest) -> dict[str, Any]:
    """The instruction as stored, after the checks Partner Center makes (auto-renew on, a target it sells)."""
    if not sub.auto_renew:
        raise NextTermRefused(
            "Auto-renew is off: the subscription ends at its term end. Turn auto-renew on to schedule changes at "
            "renewal.",
            code="auto_renew_off",
        )
    term = (wanted.term_duration or "").strip().upper()
    cycle = (wanted.billing_cycle or "").strip().lower()
    if term and term not in TermDuration.values:
        raise NextTermRefused(f"{term} is not a term Partner Center sells.", code="invalid_term")
    if cycle and (cycle not in BillingCycle.values or cycle in (BillingCycle.NONE, BillingCycle.ONE_TIME)):
        raise NextTermRefused(f"{cycle} is not a billing cycle Partner Center knows.", code="invalid_billing_cycle")
    parts = [p.strip() for p in (wanted.catalog_item_id or "").split(":") if p.strip()]
    if parts and len(parts) < 2:
        raise NextTermRefused("Name the SKU as product:sku (or product:sku:availability).", code="invalid_sku")
    offer = (sub.pc_offer_id or "").split(":")
    product_id = parts[0].upper() if parts else sub.pc_product_id.upper()
    sku_id = parts[1] if parts else sub.pc_sku_id
    availability_id = parts[2] if len(parts) > 2 else (offer[2] if not parts and len(offer) > 2 else "")
    same_sku = (product_id, sku_id.upper()) == (sub.pc_product_id.upper(), sub.pc_sku_id.upper())
    if wanted.quantity is None and not term and not cycle and same_sku:
        raise NextTermRefused("Say what changes at renewal: the quantity, the term, the billing cycle or the SKU.",
                              code="empty_instruction")
    sku = _catalog_sku(sub, product_id, sku_id)
    if not same_sku and sku is not None and not sku.is_sellable:
        raise NextTermRefused(f"{sku.title} is no longer sold.", code="next_term_target_discontinued")
    if wanted.quantity is not None:
        if wanted.quantity < 1:
            raise NextTermRefused("The quantity at renewal must be at least 1; turn auto-renew off to let the "
                                  "subscription end.", code="quantity_out_of_range")
        bounds = QuantityBounds.of_sku(sku.min_quantity, sku.max_quantity) if sku is not None else None
        problem = quantity_bounds_problem(wanted.quantity, bounds) if bounds is not None else ""
        if problem:
            raise NextTermRefused(f"{wanted.quantity} licences are not allowed at renewal. {problem}",
                                  code="quantity_out_of_range")
    effective_term, effective_cycle = term or sub.term_duration, cycle or sub.billing_cycle
    if sku is not None:
        sold = set(Price.objects.filter(sku=sku, is_current=True).values_list("term_duration", "billing_cycle"))
        if sold and (effective_term.upper(), effective_cycle.lower()) not in {(t.upper(), c.lower()) for t, c in sold}:
            raise NextTermRefused(
                f"{sku.title} is not sold with a {effective_term} term billed {effective_cycle}.",
                code="next_term_term_not_sold",
            )
    if not same_sku:
        _eligible_upgrade(sub, product_id, sku_id)
    return {
        "quantity": wanted.quantity,
        "term_duration": term,
        "billing_cycle": cycle,
        "pc_product_id": product_id if not same_sku else "",
        "pc_sku_id": sku_id if not same_sku else "",
        "pc_availability_id": availability_id if not same_sku else "",
    }


def _operation(sub: Subscription, actor: User | None, payload: dict[str, object]) -> ProvisioningOperation:
    return subscription_operation_start(sub=sub, kind=OperationKind.SET_NEXT_TERM, payload=payload, actor=actor,
                                        actor_label="" if actor else "renewals")


def next_term_request(
    *, actor: User, subscription: Subscription, wanted: NextTermRequest, staff_permission: str = ""
) -> ProvisioningOperation:
    """Schedule a change at renewal: validated, kept by the BSS, and sent to Partner Center by an operation."""
    with transaction.atomic():
        sub = _locked(subscription)
        subscription_permission_check(
            actor, sub, SubscriptionAction.NEXT_TERM, staff_permission or STAFF_CHANGE_PERMISSION
        )
        _common_refusal(sub)
        values = _validated(sub, wanted)
        instruction = renewal_services.next_term_instruction_save(subscription=sub, actor=actor, **values)
        return _operation(sub, actor, {"instruction": instruction.as_payload(), "reason": "request"})


def next_term_clear(*, actor: User, subscription: Subscription, staff_permission: str = "") -> ProvisioningOperation:
    """Cancel a scheduled change at renewal: the subscription renews as it is now."""
    with transaction.atomic():
        sub = _locked(subscription)
        subscription_permission_check(
            actor, sub, SubscriptionAction.NEXT_TERM, staff_permission or STAFF_CHANGE_PERMISSION
        )
        _common_refusal(sub)
        if not renewal_services.next_term_instruction_forget(subscription=sub, actor=actor, reason="cleared"):
            raise NextTermRefused("No change at renewal is scheduled.", code="no_instruction")
        return _operation(sub, actor, {"instruction": None, "reason": "clear"})


def next_term_reapply(
    *, subscription: Subscription, actor: User | None = None, reason: str = "mid_term_change"
) -> ProvisioningOperation | None:
    """Send the wanted instruction to Partner Center again (Microsoft deleted it on a mid-term change). Nothing
    when the BSS wants none or the subscription cannot hold one (not active, auto-renew off); the caller's own
    operation may still be running (an effect calls this inside its transaction)."""
    instruction = NextTermInstruction.objects.filter(subscription=subscription).first()
    if instruction is None:
        return None
    sub = _locked(subscription)
    if sub.status != SubscriptionStatus.ACTIVE or not sub.auto_renew or not sub.pc_subscription_id:
        return None
    if sub.commitment_end_date != instruction.term_end:
        # Renewed since: the instruction belonged to a term that is over.
        renewal_services.next_term_instruction_forget(subscription=sub, actor=None, reason="term_over")
        return None
    return _operation(sub, actor, {"instruction": instruction.as_payload(), "reason": reason})


def next_term_reapply_request(
    *, actor: User, subscription: Subscription, staff_permission: str = ""
) -> ProvisioningOperation:
    """Re-apply asked for by a person (reconciliation's corrective action): refused when nothing can be re-applied."""
    with transaction.atomic():
        sub = _locked(subscription)
        subscription_permission_check(
            actor, sub, SubscriptionAction.NEXT_TERM, staff_permission or STAFF_CHANGE_PERMISSION
        )
        if not NextTermInstruction.objects.filter(subscription=sub).exists():
            raise NextTermRefused("The BSS has no change at renewal to re-apply.", code="no_instruction")
        _common_refusal(sub)
        op = next_term_reapply(subscription=sub, actor=actor, reason="reapply")
        if op is None:
            raise NextTermRefused("The change at renewal cannot be re-applied now (auto-renew is off or the term "
                                  "has renewed).", code="not_reapplicable")
        return op


@dataclass
class BulkResult:
    """What a bulk "set changes at renewal" did: the operations created and each subscription refused, with why."""

    operations: list[ProvisioningOperation]
    refused: list[tuple[Subscription, str]]


def next_term_bulk_request(
    *, actor: User, wanted: list[tuple[Subscription, NextTermRequest]], staff_permission: str = ""
) -> BulkResult:
    """Schedule changes at renewal for many subscriptions (the renewal planner), each on its own: a refusal skips
    that subscription with its reason and the others go ahead."""
    result = BulkResult(operations=[], refused=[])
    for subscription, request in wanted:
        try:
            result.operations.append(
                next_term_request(
                    actor=actor, subscription=subscription, wanted=request, staff_permission=staff_permission
                )
            )
        except ApplicationError as exc:
            result.refused.append((subscription, exc.message))
    return result
