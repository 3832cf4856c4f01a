"""Subscription records change only after Partner Center has confirmed a change; these functions apply what it
confirmed (appending licence-ledger rows for quantities) and audit it."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bss.choices import SUBSCRIPTION_TRANSITIONS, LedgerEventKind, SubscriptionStatus
from bss.exceptions import InvalidTransition
from bss.models import AzureEntitlement, MicrosoftTenant, OrderLine, Subscription, User
from bss.rules.quantities import DecreaseCheck, quantity_decrease_check
from bss.rules.windows import (
    SeatBatch,
    refundable_quantity,
    seat_batches,
    window_deadline,
    window_earliest_open_start,
)
from bss.services.audit import audit_record, snapshot
from bss.services.ledger import ledger_record
from partnercenter.types import AzureEntitlement as PCAzureEntitlement
from partnercenter.types import Subscription as PCSubscription

_FIELDS = ["quantity", "status", "auto_renew", "commitment_end_date", "cancellation_allowed_until"]
# The licence-ledger event a confirmed status change is (expiry and disabling bill nothing and are not events).
_LEDGER_STATUS_EVENT: dict[tuple[str, str], LedgerEventKind] = {
    (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED): LedgerEventKind.SUSPEND,
    (SubscriptionStatus.SUSPENDED, SubscriptionStatus.ACTIVE): LedgerEventKind.REACTIVATE,
    (SubscriptionStatus.ACTIVE, SubscriptionStatus.DELETED): LedgerEventKind.CANCEL,
    (SubscriptionStatus.SUSPENDED, SubscriptionStatus.DELETED): LedgerEventKind.CANCEL,
}


def _status(value: str | None) -> str:
    status = (value or "").lower()
    return status if status in SubscriptionStatus.values else SubscriptionStatus.PENDING


def _locked(subscription: Subscription) -> Subscription:
    return Subscription.objects.select_for_update(of=("self",)).get(pk=subscription.pk)


def _sync_dates(sub: Subscription, pc: PCSubscription) -> list[str]:
    changed = []
    for field, value in (
        ("effective_start_date", pc.effective_start_date),
        ("commitment_end_date", pc.commitment_end_date.date() if pc.commitment_end_date else None),
        ("cancellation_allowed_until", pc.cancellation_allowed_until_date),
    ):
        if value is not None and getattr(sub, field) != value:
            setattr(sub, field, value)
            changed.append(field)
    return changed


def _lifecycle_fields(tenant: MicrosoftTenant, order_line: OrderLine | None, pc: PCSubscription) -> dict[str, Any]:
    """An add-on's base (the order line's, else Partner Center's `parentSubscriptionId`) and the promotion applied
    (the order line's promotional price and end date; Partner Center's `promotionId` when it filled one in)."""
    parent = order_line.parent_subscription if order_line is not None else None
    if parent is None and pc.parent_subscription_id:
        parent = Subscription.objects.filter(pc_subscription_id=pc.parent_subscription_id, tenant=tenant).first()
    fields: dict[str, Any] = {"parent": parent, "promotion_id": pc.promotion_id or ""}
    if order_line is not None and order_line.promotion_id:
        fields.update(
            promotion_id=pc.promotion_id or order_line.promotion_id,
            promotion_unit_price=order_line.unit_price,
            promotion_ends_on=order_line.promotion_ends_on,
            regular_unit_price=order_line.regular_unit_price,
        )
    elif order_line is not None:
        fields["regular_unit_price"] = order_line.unit_price
    return fields


@transaction.atomic
def subscription_record_from_partner_center(
    *, tenant: MicrosoftTenant, order_line: OrderLine | None, pc: PCSubscription, actor: User | None = None
) -> Subscription:
    """Create (or find, on a repeated run) the BSS twin of a subscription Partner Center created for an order, with
    its first licence-ledger row. Idempotent on `pc_subscription_id`."""
    existing = Subscription.objects.filter(pc_subscription_id=pc.id).first()
    if existing is not None:
        return existing
    offer_parts = (pc.offer_id or "").split(":")
    sub = Subscription.objects.create(
        customer=tenant.customer,
        tenant=tenant,
        order_line=order_line,
        pc_subscription_id=pc.id,
        pc_order_id=pc.order_id or "",
        pc_offer_id=pc.offer_id or "",
        pc_product_id=pc.product_id or (offer_parts[0] if offer_parts[0] else ""),
        pc_sku_id=pc.sku_id or (offer_parts[1] if len(offer_parts) > 1 else ""),
        name=(order_line.product_name if order_line else "") or pc.friendly_name or pc.offer_name or pc.id,
        quantity=pc.quantity or 0,
        billing_cycle=(pc.billing_cycle or (order_line.billing_cycle if order_line else "monthly")).lower(),
        term_duration=(pc.term_duration or "").upper(),
        status=_status(pc.status),
        auto_renew=bool(pc.auto_renew_enabled),
        effective_start_date=pc.effective_start_date,
        commitment_end_date=pc.commitment_end_date.date() if pc.commitment_end_date else None,
        cancellation_allowed_until=pc.cancellation_allowed_until_date,
        pc_partner_id=pc.partner_id or "",
        **_lifecycle_fields(tenant, order_line, pc),
    )
    ledger_record(
        subscription=sub, kind=LedgerEventKind.PURCHASE, quantity_before=0, quantity_after=sub.quantity,
        reason="order", actor=actor, effective_at=pc.creation_date or pc.effective_start_date,
        reference_id=pc.order_id or "", unit_price=order_line.unit_price if order_line else None,
        currency=order_line.currency if order_line else "",
    )
    audit_record(
        actor=actor,
        actor_label="" if actor else "provisioning",
        action="subscription.create",
        obj=sub,
        after=snapshot(sub, ["pc_subscription_id", "quantity", "status", "billing_cycle", "term_duration"]),
    )
    return sub


@transaction.atomic
def subscription_record_entitlements(*, subscription: Subscription, entitlements: list[PCAzureEntitlement]) -> int:
    """Record the Azure subscriptions of an Azure plan subscription (idempotent); returns how many are new."""
    created = 0
    for ent in entitlements:
        _, was_created = AzureEntitlement.objects.update_or_create(
            pc_entitlement_id=ent.id,
            defaults={
                "subscription": subscription,
                "friendly_name": ent.friendly_name or "",
                "status": ent.status or "",
            },
        )
        created += int(was_created)
    return created


@transaction.atomic
def subscription_apply_quantity(
    *, subscription: Subscription, pc: PCSubscription, actor: User | None, reason: str = "change"
) -> Subscription:
    """Partner Center confirmed a quantity: append a ledger row and update the current quantity."""
    sub = _locked(subscription)
    before = snapshot(sub, _FIELDS)
    quantity = pc.quantity if pc.quantity is not None else sub.quantity
    fields = _sync_dates(sub, pc)
    if quantity != sub.quantity:
        ledger_record(
            subscription=sub, kind=LedgerEventKind.SEAT_CHANGE, quantity_before=sub.quantity,
            quantity_after=quantity, reason=reason, actor=actor,
        )
        sub.quantity = quantity
        fields.append("quantity")
    sub.save(update_fields=[*fields, "updated_at"])
    audit_record(actor=actor, action="subscription.quantity", obj=sub, before=before, after=snapshot(sub, _FIELDS))
    return sub


@transaction.atomic
def subscription_apply_status(*, subscription: Subscription, pc: PCSubscription, actor: User | None) -> Subscription:
    """Partner Center confirmed a status (suspended, active again, deleted = cancelled: auto-renew off, as Partner
    Center sets it)."""
    sub = _locked(subscription)
    before = snapshot(sub, _FIELDS)
    status = _status(pc.status)
    fields = _sync_dates(sub, pc)
    if status != sub.status:
        if status not in SUBSCRIPTION_TRANSITIONS.get(sub.status, set()):
            raise InvalidTransition(
                f"Subscription {sub.name} cannot go from {sub.get_status_display()} to "
                f"{SubscriptionStatus(status).label}.",
                extra={"from": sub.status, "to": status},
            )
        if event := _LEDGER_STATUS_EVENT.get((sub.status, status)):
            ledger_record(subscription=sub, kind=event, quantity_before=sub.quantity, reason=status, actor=actor,
                          quantity_after=0 if event == LedgerEventKind.CANCEL else sub.quantity)
        sub.status = status
        fields.append("status")
    if status == SubscriptionStatus.DELETED and sub.auto_renew:
        # Partner Center turns auto-renew off when it cancels: a cancelled subscription never renews.
        sub.auto_renew = False
        fields.append("auto_renew")
    sub.save(update_fields=[*fields, "updated_at"])
    audit_record(actor=actor, action=f"subscription.{status}", obj=sub, before=before, after=snapshot(sub, _FIELDS))
    return sub


def subscription_apply_cancel(*, subscription: Subscription, pc: PCSubscription, actor: User | None) -> Subscription:
    return subscription_apply_status(subscription=subscription, pc=pc, actor=actor)


@transaction.atomic
def subscription_apply_auto_renew(
    *, subscription: Subscription, pc: PCSubscription, actor: User | None
) -> Subscription:
    sub = _locked(subscription)
    before = snapshot(sub, _FIELDS)
    fields = _sync_dates(sub, pc)
    sub.auto_renew = bool(pc.auto_renew_enabled)
    sub.save(update_fields=[*fields, "auto_renew", "updated_at"])
    audit_record(actor=actor, action="subscription.auto_renew", obj=sub, before=before, after=snapshot(sub, _FIELDS))
    return sub


def subscription_seat_batches(*, subscription: Subscription, now: datetime | None = None) -> tuple[SeatBatch, ...]:
    """The additions of licences still refundable under new-commerce rules, replayed from the licence ledger
    (`bss.rules.windows.seat_batches`: one 168-hour window per addition, removals take the newest first)."""
    now = now or timezone.now()
    changes = (
        subscription.ledger.filter(created_at__gte=window_earliest_open_start(now))
        .order_by("created_at", "id")
        .values_list("created_at", "quantity_before", "quantity_after")
    )
    return seat_batches(((at, after - before) for at, before, after in changes), now=now)


def subscription_refundable_quantity(*, subscription: Subscription, now: datetime | None = None) -> int:
    """Licences that may still be removed under new-commerce rules (by the licence ledger)."""
    batches = subscription_seat_batches(subscription=subscription, now=now)
    return refundable_quantity(batches, current_quantity=subscription.quantity)


def subscription_last_addition_deadline(*, subscription: Subscription) -> datetime | None:
    """When the window of the latest addition of licences closes (or closed); None without any addition."""
    added_at = (
        subscription.ledger.filter(quantity_after__gt=F("quantity_before"))
        .order_by("-created_at", "-id")
        .values_list("created_at", flat=True)
        .first()
    )
    return window_deadline(added_at) if added_at else None


def subscription_decrease_check(
    *,
    subscription: Subscription,
    quantity: int,
    current_quantity: int | None = None,
    refundable: int | None = None,
    now: datetime | None = None,
) -> DecreaseCheck:
    """Whether the quantity may go down to `quantity` now (`bss.rules.quantities.quantity_decrease_check` over the
    licence ledger), with the message naming the deadlines when it may not. `refundable` (Partner Center's own
    figure) and `current_quantity` replace the ledger's and the record's when the caller has them."""
    batches = subscription_seat_batches(subscription=subscription, now=now) if refundable is None else ()
    return quantity_decrease_check(
        current_quantity=subscription.quantity if current_quantity is None else current_quantity,
        requested=quantity,
        batches=batches,
        refundable=refundable,
        last_deadline=subscription_last_addition_deadline(subscription=subscription),
    )
