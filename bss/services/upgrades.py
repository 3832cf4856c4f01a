"""Record a new-commerce upgrade (a Partner Center transition) that Partner Center has completed.

The licences leave the source subscription (partial: it keeps the rest; full: it expires) and arrive in the target
(a new subscription co-terminous with the source, or an existing one). Each side gets one `convert` entry in the
licence ledger with the transition's id as reference, so billing rates the pair as Microsoft's `convert` charges
(the source's refund and the target's charge). Idempotent: a transition already recorded changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from bss.choices import LedgerEventKind, SubscriptionStatus
from bss.models import LicenseLedgerEntry, Subscription, User
from bss.services.audit import audit_record, snapshot
from bss.services.ledger import ledger_record
from partnercenter.types import Subscription as PCSubscription

_FIELDS = ["quantity", "status", "auto_renew", "promotion_id"]


@dataclass(frozen=True)
class RecordedUpgrade:
    source: Subscription
    target: Subscription
    moved: int
    into_existing: bool


def _latest(sub: Subscription) -> LicenseLedgerEntry | None:
    return sub.ledger.order_by("-effective_at", "-created_at", "-id").first()


def _convert(
    sub: Subscription, *, before: int, after: int, reference_id: str, at: dt.datetime, actor: User | None,
    unit_price: Decimal | None, currency: str,
) -> None:
    ledger_record(
        subscription=sub, kind=LedgerEventKind.CONVERT, quantity_before=before, quantity_after=after,
        reason="upgrade", actor=actor, effective_at=at, reference_id=reference_id, unit_price=unit_price,
        unit_cost=(latest.unit_cost if (latest := _latest(sub)) is not None and before > 0 else None),
        currency=currency,
    )


@transaction.atomic
def subscription_record_upgrade(
    *,
    source: Subscription,
    transition_id: str,
    moved: int,
    pc_target: PCSubscription,
    at: dt.datetime,
    target_unit_price: Decimal | None,
    currency: str,
    target_name: str = "",
    actor: User | None = None,
) -> RecordedUpgrade:
    """Partner Center completed the transition `transition_id` of `moved` licences from `source` into `pc_target`
    (new or existing): write both sides. `target_unit_price` is the sale price of the target SKU for a new target
    (an existing target keeps its term's price)."""
    src = Subscription.objects.select_for_update(of=("self",)).get(pk=source.pk)
    done = LicenseLedgerEntry.objects.filter(
        subscription=src, kind=LedgerEventKind.CONVERT, reference_id=transition_id
    ).exists()
    existing = Subscription.objects.select_for_update(of=("self",)).filter(pc_subscription_id=pc_target.id).first()
    if done and existing is not None:
        return RecordedUpgrade(source=src, target=existing, moved=moved, into_existing=False)
    into_existing = existing is not None
    before_src = snapshot(src, _FIELDS)
    src_latest = _latest(src)
    full = moved >= src.quantity
    _convert(
        src, before=src.quantity, after=src.quantity - moved, reference_id=transition_id, at=at, actor=actor,
        unit_price=src_latest.unit_price if src_latest else None, currency=src_latest.currency if src_latest else "",
    )
    src.quantity -= moved
    fields = ["quantity"]
    if full:
        src.status, src.auto_renew = SubscriptionStatus.EXPIRED, False
        fields += ["status", "auto_renew"]
    src.save(update_fields=[*fields, "updated_at"])
    audit_record(actor=actor, actor_label="" if actor else "provisioning", action="subscription.upgrade_source",
                 obj=src, before=before_src, after={**snapshot(src, _FIELDS), "transition": transition_id})
    if existing is not None:
        target = existing
        before_target = snapshot(target, _FIELDS)
        latest = _latest(target)
        _convert(
            target, before=target.quantity, after=target.quantity + moved, reference_id=transition_id, at=at,
            actor=actor, unit_price=latest.unit_price if latest else target_unit_price,
            currency=latest.currency if latest else currency,
        )
        target.quantity += moved
        target.save(update_fields=["quantity", "updated_at"])
    else:
        before_target = {}
        offer_parts = (pc_target.offer_id or "").split(":")
        target = Subscription.objects.create(
            customer=src.customer, tenant=src.tenant, order_line=None, pc_subscription_id=pc_target.id,
            pc_order_id=pc_target.order_id or "", pc_offer_id=pc_target.offer_id or "",
            pc_product_id=pc_target.product_id or offer_parts[0],
            pc_sku_id=pc_target.sku_id or (offer_parts[1] if len(offer_parts) > 1 else ""),
            name=target_name or pc_target.friendly_name or pc_target.offer_name or pc_target.id,
            quantity=0, billing_cycle=(pc_target.billing_cycle or src.billing_cycle).lower(),
            term_duration=(pc_target.term_duration or src.term_duration).upper(),
            status=SubscriptionStatus.ACTIVE, auto_renew=bool(pc_target.auto_renew_enabled),
            effective_start_date=pc_target.effective_start_date or at,
            commitment_end_date=(
                pc_target.commitment_end_date.date() if pc_target.commitment_end_date else src.commitment_end_date
            ),
            cancellation_allowed_until=pc_target.cancellation_allowed_until_date,
            pc_partner_id=pc_target.partner_id or src.pc_partner_id, regular_unit_price=target_unit_price,
        )
        _convert(
            target, before=0, after=moved, reference_id=transition_id, at=at, actor=actor,
            unit_price=target_unit_price, currency=currency,
        )
        target.quantity = moved
        target.save(update_fields=["quantity", "updated_at"])
    audit_record(actor=actor, actor_label="" if actor else "provisioning", action="subscription.upgrade_target",
                 obj=target, before=before_target,
                 after={**snapshot(target, _FIELDS), "transition": transition_id, "from": src.pk})
    return RecordedUpgrade(source=src, target=target, moved=moved, into_existing=into_existing)
