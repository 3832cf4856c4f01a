"""Pure mapping from Partner Center's vocabulary to the BSS's (no ORM, no network): unit-tested directly.

Which subscriptions are imported, and why:
- active, pending: what the BSS manages every day.
- suspended, expired, disabled: imported *with their status*. A CSP partner still owns them: a suspended
  subscription keeps billing and can be reactivated, an expired one is in its 30-day grace period with users
  still signed in, a disabled one can still be reactivated by Microsoft support; hiding them would make the
  workspace and reconciliation disagree with Partner Center and the partner would lose track of them.
- deleted (cancelled): skipped with a reason. It is final in Partner Center: nothing to bill, change or renew.
- none or any status we do not know: skipped with a reason, so a new Microsoft status never lands half-mapped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bss.choices import BillingCycle, SubscriptionStatus, TermDuration
from partnercenter.types import Subscription as PcSubscription

IMPORTED_STATUSES: dict[str, str] = {
    "active": SubscriptionStatus.ACTIVE,
    "pending": SubscriptionStatus.PENDING,
    "suspended": SubscriptionStatus.SUSPENDED,
    "expired": SubscriptionStatus.EXPIRED,
    "disabled": SubscriptionStatus.DISABLED,
}

SKIPPED_STATUSES: dict[str, str] = {
    "deleted": "cancelled (deleted) in Partner Center: final, nothing to bill or manage",
    "none": "Partner Center reports no status for it",
}

BILLING_CYCLES: dict[str, str] = {
    "monthly": BillingCycle.MONTHLY,
    "annual": BillingCycle.ANNUAL,
    "triennial": BillingCycle.TRIENNIAL,
    "one_time": BillingCycle.ONE_TIME,
    "onetime": BillingCycle.ONE_TIME,
    "none": BillingCycle.NONE,
    "": BillingCycle.NONE,
}

TERMS: dict[str, str] = {
    "P1M": TermDuration.P1M,
    "P1Y": TermDuration.P1Y,
    "P3Y": TermDuration.P3Y,
    "": TermDuration.NONE,
}


@dataclass(frozen=True)
class SubscriptionValues:
    """The fields of a new `bss.Subscription` (customer and tenant aside)."""

    pc_subscription_id: str
    name: str
    quantity: int
    status: str
    billing_cycle: str
    term_duration: str
    auto_renew: bool
    pc_offer_id: str
    pc_product_id: str
    pc_sku_id: str
    pc_order_id: str
    pc_partner_id: str
    effective_start_date: datetime | None
    commitment_end_date: date | None
    cancellation_allowed_until: datetime | None


@dataclass(frozen=True)
class Mapped:
    values: SubscriptionValues | None
    skip_reason: str = ""

    @property
    def importable(self) -> bool:
        return self.values is not None


def _norm(value: str | None) -> str:
    return (value or "").strip()


AZURE_PLAN_PRODUCT_ID = "DZH318Z0BPS6"


def is_azure_plan(sub: PcSubscription) -> bool:
    """An Azure plan: its Azure subscriptions (entitlements) are imported with it."""
    product = (sub.product_id or (sub.offer_id or "").split(":")[0]).upper()
    return (sub.product_type_id or "").lower() == "azure" or product == AZURE_PLAN_PRODUCT_ID


def _utc_date(value: datetime | None) -> date | None:
    """Partner Center's inclusive end date ("2026-03-03T00:00:00Z") as a calendar date in UTC."""
    if value is None:
        return None
    return (value.astimezone(UTC) if value.tzinfo else value).date()


def map_status(pc_status: str | None) -> tuple[str | None, str]:
    """(BSS status, "") when imported, (None, reason) when skipped."""
    status = _norm(pc_status).lower()
    if status in IMPORTED_STATUSES:
        return IMPORTED_STATUSES[status], ""
    if status in SKIPPED_STATUSES:
        return None, f"status {status}: {SKIPPED_STATUSES[status]}"
    return None, f"status {status or '(empty)'} is not known to the BSS"


def map_billing_cycle(pc_cycle: str | None) -> str | None:
    return BILLING_CYCLES.get(_norm(pc_cycle).lower().replace("-", "_"))


def map_term(pc_term: str | None) -> str | None:
    return TERMS.get(_norm(pc_term).upper())


def subscription_values(sub: PcSubscription) -> Mapped:
    """Map one Partner Center subscription, or say why it is not imported."""
    status, reason = map_status(sub.status)
    if status is None:
        return Mapped(None, reason)
    cycle = map_billing_cycle(sub.billing_cycle)
    if cycle is None:
        return Mapped(None, f"billing cycle {sub.billing_cycle!r} is not supported by the BSS")
    term = map_term(sub.term_duration)
    if term is None:
        return Mapped(None, f"term {sub.term_duration!r} is not supported by the BSS")
    name = _norm(sub.friendly_name) or _norm(sub.offer_name) or _norm(sub.offer_id) or sub.id
    return Mapped(
        SubscriptionValues(
            pc_subscription_id=sub.id,
            name=name[:255],
            quantity=max(sub.quantity or 0, 0),
            status=status,
            billing_cycle=cycle,
            term_duration=term,
            auto_renew=bool(sub.auto_renew_enabled),
            pc_offer_id=_norm(sub.offer_id)[:80],
            pc_product_id=_norm(sub.product_id)[:40],
            pc_sku_id=_norm(sub.sku_id)[:20],
            pc_order_id=_norm(sub.order_id)[:64],
            pc_partner_id=_norm(sub.partner_id)[:20],
            effective_start_date=sub.effective_start_date,
            commitment_end_date=_utc_date(sub.commitment_end_date),
            cancellation_allowed_until=sub.cancellation_allowed_until_date,
        )
    )


def subscription_summary(sub: PcSubscription) -> dict[str, Any]:
    """What the preview shows (and stores as JSON) for one subscription."""
    mapped = subscription_values(sub)
    return {
        "id": sub.id,
        "name": _norm(sub.friendly_name) or _norm(sub.offer_name) or _norm(sub.offer_id),
        "quantity": sub.quantity or 0,
        "status": _norm(sub.status).lower(),
        "billing_cycle": _norm(sub.billing_cycle).lower(),
        "term": _norm(sub.term_duration),
        "auto_renew": bool(sub.auto_renew_enabled),
        "partner_id": _norm(sub.partner_id),
        "skip_reason": mapped.skip_reason,
    }


def reseller_partner_id_for(
    *,
    subscription_partner_ids: Iterable[str | None],
    associated_partner_id: str | None,
    mpn_by_tenant: dict[str, str],
    provider_partner_id: str = "",
) -> tuple[str, str]:
    """The indirect reseller a customer belongs to, as (partner id, note).

    The customer's associated reseller (a tenant id, translated through the provider's reseller list) wins;
    otherwise the partner of record most of its subscriptions carry. The provider's own partner id is never a
    reseller. "" means: sold by the provider itself.
    """
    associated = _norm(associated_partner_id)
    ids = [pid for pid in (_norm(p) for p in subscription_partner_ids) if pid and pid != provider_partner_id]
    counts = Counter(ids)
    if associated:
        partner_id = mpn_by_tenant.get(associated.lower()) or (associated if associated.isdigit() else "")
        if partner_id and partner_id != provider_partner_id:
            others = sorted(set(counts) - {partner_id})
            note = f"some subscriptions carry other resellers of record: {', '.join(others)}" if others else ""
            return partner_id, note
    if not counts:
        return "", ""
    ranked = counts.most_common()
    partner_id = ranked[0][0]
    others = sorted(pid for pid, _ in ranked[1:])
    note = f"subscriptions with several resellers of record; others: {', '.join(others)}" if others else ""
    return partner_id, note
