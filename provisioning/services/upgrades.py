"""Upgrades (Partner Center transitions) of a subscription: where it can go (`upgrade_options`, from Partner
Center's transition eligibilities) and the request (`subscription_upgrade_request`), which enforces Microsoft's
rules (`bss.rules.upgrades`: no quantity increase, no future date, the promotion is lost) and the eligibility
Partner Center gives, then persists one provisioning operation of kind `upgrade` (`provisioning.pipeline.upgrade`).

The storefront's subscription page, the back office's subscription page and the API call these same functions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from bss.choices import SubscriptionStatus
from bss.models import Subscription, User
from bss.partner_center import get_client, pc_error_message
from bss.rules.permissions import STAFF_CHANGE_PERMISSION, SubscriptionAction
from bss.rules.upgrades import UPGRADE_RULES, upgrade_refusal
from catalog import lifecycle as catalog_lifecycle
from partnercenter import errors as pc_errors
from partnercenter.lifecycle_types import TransitionEligibility
from provisioning.choices import OperationKind
from provisioning.models import ProvisioningOperation
from provisioning.services.changes import (
    CHANGE_IN_PROGRESS,
    SubscriptionChangeRefused,
    change_in_progress,
    subscription_operation_start,
    subscription_permission_check,
)

__all__ = ["UPGRADE_RULES", "UpgradeOption", "UpgradeRefused", "subscription_upgrade_request", "upgrade_options"]


class UpgradeRefused(SubscriptionChangeRefused):
    code = "upgrade_refused"


@dataclass(frozen=True)
class UpgradeTarget:
    """An existing subscription of the target SKU the licences could move into."""

    pc_subscription_id: str
    name: str
    eligible: bool
    problems: tuple[str, ...] = ()
    subscription_id: int | None = None  # the BSS record, when known


@dataclass(frozen=True)
class UpgradeOption:
    catalog_item_id: str
    title: str
    description: str
    eligible: bool
    problems: tuple[str, ...] = ()
    existing: tuple[UpgradeTarget, ...] = field(default_factory=tuple)

    @property
    def eligible_existing(self) -> tuple[UpgradeTarget, ...]:
        return tuple(t for t in self.existing if t.eligible)


@dataclass(frozen=True)
class UpgradeOptions:
    options: tuple[UpgradeOption, ...]
    message: str = ""  # why none could be read (Partner Center unreachable, not linked)
    rules: tuple[str, ...] = UPGRADE_RULES


def _linked(sub: Subscription) -> tuple[str, str]:
    if not sub.pc_subscription_id or not sub.tenant.pc_customer_id:
        raise UpgradeRefused("This subscription is not linked to Partner Center yet.")
    return sub.tenant.pc_customer_id, sub.pc_subscription_id


def _eligibilities(sub: Subscription) -> list[TransitionEligibility]:
    customer_id, subscription_id = _linked(sub)
    client = get_client(sub.tenant.instance)
    return client.subscriptions.list_transition_eligibilities(
        customer_id=customer_id, subscription_id=subscription_id, eligibility_type="immediate"
    )


def _option(item: TransitionEligibility, known: dict[str, Subscription]) -> UpgradeOption:
    problems = tuple(
        e.description or f"code {e.code}" for el in item.eligibilities for e in el.errors if not el.is_eligible
    )
    existing = tuple(
        UpgradeTarget(
            pc_subscription_id=s.subscription_id,
            name=s.friendly_name or s.subscription_id,
            eligible=s.is_eligible,
            problems=tuple(e.description or f"code {e.code}" for e in s.errors),
            subscription_id=known[s.subscription_id].pk if s.subscription_id in known else None,
        )
        for s in item.subscription_eligibilities
    )
    return UpgradeOption(
        catalog_item_id=item.catalog_item_id,
        title=item.title or item.catalog_item_id,
        description=item.description or "",
        eligible=item.is_eligible,
        problems=tuple(dict.fromkeys(problems)),
        existing=existing,
    )


def upgrade_options(*, subscription: Subscription) -> UpgradeOptions:
    """Where this subscription can be upgraded now, as Partner Center says (read live; a message if it cannot)."""
    sub = subscription
    if sub.status != SubscriptionStatus.ACTIVE:
        return UpgradeOptions((), message="Only an active subscription can be upgraded.")
    try:
        items = _eligibilities(sub)
    except UpgradeRefused as exc:
        return UpgradeOptions((), message=exc.message)
    except pc_errors.PartnerCenterError as exc:
        return UpgradeOptions((), message=f"Partner Center could not list the upgrades: {pc_error_message(exc)}")
    ids = [s.subscription_id for item in items for s in item.subscription_eligibilities]
    known = {s.pc_subscription_id: s for s in Subscription.objects.filter(pc_subscription_id__in=ids)
             if s.pc_subscription_id}
    return UpgradeOptions(tuple(_option(item, known) for item in items))


def subscription_upgrade_request(
    *,
    actor: User | None,
    subscription: Subscription,
    to_catalog_item_id: str,
    quantity: int,
    to_subscription_id: int | None = None,
    effective_on: dt.date | None = None,
    promotion_loss_confirmed: bool = False,
    staff_permission: str = STAFF_CHANGE_PERMISSION,
) -> ProvisioningOperation:
    """Ask Partner Center to upgrade `quantity` licences of the subscription to `to_catalog_item_id`, into a new
    co-terminous subscription or into the BSS subscription `to_subscription_id` (an existing one Partner Center
    lists as eligible). Refused with the rule's message when Microsoft would not allow it."""
    with transaction.atomic():
        sub = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("tenant__instance", "customer__marketplace")
            .get(pk=subscription.pk)
        )
        subscription_permission_check(actor, sub, SubscriptionAction.UPGRADE, staff_permission)
        _linked(sub)
        if sub.status != SubscriptionStatus.ACTIVE:
            raise UpgradeRefused(f"A {sub.get_status_display().lower()} subscription cannot be upgraded.")
        refusal = upgrade_refusal(
            quantity=quantity,
            source_quantity=sub.quantity,
            effective_on=effective_on,
            today=timezone.now().date(),
            source_promotion_id=sub.promotion_id,
            promotion_loss_confirmed=promotion_loss_confirmed,
        )
        if refusal is not None:
            raise UpgradeRefused(refusal.message, code=refusal.code,
                                 extra={"quantity": quantity, "source_quantity": sub.quantity})
        if change_in_progress(sub):
            raise UpgradeRefused(CHANGE_IN_PROGRESS)
        target_sub = None
        if to_subscription_id is not None:
            target_sub = Subscription.objects.filter(pk=to_subscription_id, customer_id=sub.customer_id).first()
            if target_sub is None or not target_sub.pc_subscription_id:
                raise UpgradeRefused("The chosen target subscription is not a subscription of this customer.")
    try:
        items = _eligibilities(sub)
    except pc_errors.PartnerCenterError as exc:
        raise UpgradeRefused(f"Partner Center could not confirm the upgrade: {pc_error_message(exc)}",
                             code="upgrade_eligibility_unavailable") from exc
    wanted = to_catalog_item_id.upper()
    item = next((i for i in items if i.catalog_item_id.upper() == wanted), None)
    if item is None:
        raise UpgradeRefused(f"{to_catalog_item_id} is not an upgrade Partner Center offers for this subscription.",
                             code="upgrade_not_eligible")
    if not item.is_eligible:
        reasons = "; ".join(e.description or str(e.code) for el in item.eligibilities for e in el.errors)
        raise UpgradeRefused(f"Partner Center does not allow this upgrade now{': ' + reasons if reasons else ''}.",
                             code="upgrade_not_eligible")
    if target_sub is not None:
        listed = next((s for s in item.subscription_eligibilities
                       if s.subscription_id == target_sub.pc_subscription_id), None)
        if listed is None or not listed.is_eligible:
            reasons = "; ".join(e.description or str(e.code) for e in (listed.errors if listed else ()))
            raise UpgradeRefused(
                f"{target_sub.name} cannot receive these licences{': ' + reasons if reasons else ''}.",
                code="upgrade_target_not_eligible",
            )
    product_id, _, rest = item.catalog_item_id.partition(":")
    sku_id = rest.partition(":")[0]
    marketplace = sub.customer.marketplace
    unit_price = (
        catalog_lifecycle.sale_price_of(
            marketplace=marketplace, pc_product_id=product_id, pc_sku_id=sku_id,
            term_duration=sub.term_duration, billing_cycle=sub.billing_cycle,
        )
        if marketplace is not None
        else None
    )
    payload = {
        "to_catalog_item_id": item.catalog_item_id,
        "quantity": quantity,
        "to_subscription_id": target_sub.pc_subscription_id if target_sub is not None else "",
        "target_name": item.title or "",
        "unit_price": str(unit_price) if unit_price is not None else "",
        "currency": marketplace.currency if marketplace is not None else "",
        "full": quantity == sub.quantity,
    }
    with transaction.atomic():
        sub = Subscription.objects.select_for_update(of=("self",)).get(pk=sub.pk)
        if change_in_progress(sub):
            raise UpgradeRefused(CHANGE_IN_PROGRESS)
        return subscription_operation_start(sub=sub, kind=OperationKind.UPGRADE, payload=payload, actor=actor)
