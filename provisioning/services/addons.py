"""Add-ons of a base subscription: which add-on offers it can take (the catalog's prerequisite SKUs) and buying one
through the normal order path (`order_submit`, with the base as the line's parent). New-commerce add-ons are
co-terminous with their base: Partner Center aligns the add-on's term end to the base's, and the BSS records the
add-on under its base."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from bss.choices import SubscriptionStatus
from bss.exceptions import ApplicationError
from bss.inputs import OrderLineInput
from bss.models import Order, Subscription, User
from catalog import lifecycle as catalog_lifecycle
from catalog.offers import StoreOffer
from provisioning.services.orders import order_submit


class AddonRefused(ApplicationError):
    code = "addon_refused"


@dataclass(frozen=True)
class AddonChoice:
    offer: StoreOffer
    prerequisites: tuple[str, ...]


def addon_offers(*, base: Subscription) -> list[StoreOffer]:
    """The add-on offers of the customer's marketplace that this subscription's SKU is a prerequisite of."""
    marketplace = base.customer.marketplace
    if marketplace is None or base.status != SubscriptionStatus.ACTIVE:
        return []
    return catalog_lifecycle.addon_offers_for_base(
        marketplace=marketplace, pc_product_id=base.pc_product_id, pc_sku_id=base.pc_sku_id
    )


def addon_order_submit(
    *,
    actor: User,
    base: Subscription,
    offer_id: int,
    plan_key: str,
    quantity: int,
    submission_key: str = "",
) -> Order:
    """Order `quantity` licences of the add-on offer `offer_id` (plan "term:cycle") for the base subscription."""
    if base.status != SubscriptionStatus.ACTIVE or not base.pc_subscription_id:
        raise AddonRefused("Add-ons can be bought only for an active subscription linked to Partner Center.")
    offer = next((o for o in addon_offers(base=base) if o.id == offer_id), None)
    if offer is None:
        raise AddonRefused(f"This offer is not an add-on of {base.name}.", code="addon_not_for_base")
    term, _, cycle = plan_key.partition(":")
    plan = offer.plan(term, cycle)
    if plan is None:
        raise AddonRefused(f"{offer.name}: choose one of its plans.", code="addon_plan")
    customer = base.customer
    marketplace = customer.marketplace
    assert marketplace is not None
    line = OrderLineInput(
        pc_product_id=offer.pc_product_id,
        pc_sku_id=offer.pc_sku_id,
        pc_availability_id=plan.availability_id,
        product_name=offer.name,
        quantity=quantity,
        term_duration=plan.term_duration,
        billing_cycle=plan.billing_cycle,
        unit_price=plan.unit_price,
        currency=offer.currency,
        min_quantity=offer.min_quantity,
        max_quantity=offer.max_quantity,
        parent_subscription_id=base.pk,
    )
    return order_submit(
        actor=actor,
        marketplace=marketplace,
        reseller=customer.reseller,
        lines=[line],
        customer=customer,
        mca=None,
        submission_key=submission_key or f"addon-{base.pk}-{uuid.uuid4()}",
    )
