"""Pure comparison of one customer's BSS subscriptions with its Partner Center subscriptions.

No ORM, no clock, no network: the caller passes snapshots of the BSS rows, the typed Partner Center subscriptions
and "now", and gets back a list of `Difference`s. Everything here is unit-tested without a database.

Rules (see DESIGN.md section 4: Partner Center is eventually consistent):
* A subscription created or changed within `pending_window` (15 minutes: an order can take that long to be
  listed) on either side yields *pending* differences, never missing/mismatch ones.
* A BSS subscription that is cancelled (deleted) and absent from Partner Center is clean (Partner Center drops
  deleted subscriptions after a while); a Partner Center subscription that is deleted and unknown to the BSS is
  clean too (nothing to bill, nothing to fix).
* Only fields Partner Center reported are compared (a field it omits is not a difference).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from partnercenter.types import Subscription as PcSubscription

# The kinds, spelled as `reconciliation.choices.FindingKind` values (kept as plain strings: no Django here).
MISSING_IN_PARTNER_CENTER = "missing_in_pc"
MISSING_IN_BSS = "missing_in_bss"
QUANTITY = "quantity"
STATUS = "status"
AUTO_RENEW = "auto_renew"
TERM = "term"
BILLING_CYCLE = "billing_cycle"
SKU = "sku"
COMMITMENT_END_DATE = "commitment_end_date"
ORPHAN = "orphan"

PENDING_WINDOW = dt.timedelta(minutes=15)

_DELETED = "deleted"
# BSS statuses Partner Center spells differently or not at all; everything else compares lower-cased as is.
_PC_STATUS_ALIASES = {"canceled": "deleted", "cancelled": "deleted"}


@dataclass(frozen=True, slots=True)
class BssSubscription:
    """What the comparison needs of a `bss.Subscription` (built by the service from the row)."""

    id: int
    pc_subscription_id: str | None
    name: str
    quantity: int
    status: str
    auto_renew: bool
    billing_cycle: str
    term_duration: str
    pc_offer_id: str = ""
    pc_product_id: str = ""
    pc_sku_id: str = ""
    commitment_end_date: dt.date | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    @property
    def product_and_sku(self) -> tuple[str, str]:
        product, sku = self.pc_product_id, self.pc_sku_id
        if (not product or not sku) and self.pc_offer_id:
            parts = self.pc_offer_id.split(":")
            product = product or parts[0]
            sku = sku or (parts[1] if len(parts) > 1 else "")
        return product.upper(), sku.upper()


@dataclass(frozen=True, slots=True)
class Difference:
    """One finding-to-be. `bss_values`/`pc_values` hold only the compared fields, JSON-ready."""

    kind: str
    summary: str
    bss_subscription_id: int | None = None
    pc_subscription_id: str = ""
    bss_values: Mapping[str, Any] = field(default_factory=dict)
    pc_values: Mapping[str, Any] = field(default_factory=dict)
    pending: bool = False
    suggested_link_id: int | None = None


def compare_customer(
    bss: Sequence[BssSubscription],
    pc: Sequence[PcSubscription],
    *,
    now: dt.datetime,
    pending_window: dt.timedelta = PENDING_WINDOW,
) -> list[Difference]:
    """Every difference between one customer's BSS subscriptions and its Partner Center subscriptions."""
    pc_by_id = {s.id.lower(): s for s in pc}
    differences: list[Difference] = []
    matched: set[str] = set()
    unlinked: list[BssSubscription] = []
    for ours in bss:
        key = (ours.pc_subscription_id or "").lower()
        theirs = pc_by_id.get(key) if key else None
        if theirs is None:
            if not key:
                unlinked.append(ours)
            if ours.status != _DELETED:
                differences.append(_missing_in_partner_center(ours, now=now, window=pending_window))
            continue
        matched.add(key)
        differences.extend(compare_subscription(ours, theirs, now=now, pending_window=pending_window))
    for key, theirs in pc_by_id.items():
        if key in matched or _pc_status(theirs) == _DELETED:
            continue
        differences.append(_missing_in_bss(theirs, unlinked, now=now, window=pending_window))
    return differences


def compare_subscription(
    ours: BssSubscription,
    theirs: PcSubscription,
    *,
    now: dt.datetime,
    pending_window: dt.timedelta = PENDING_WINDOW,
) -> list[Difference]:
    """The field differences of one linked pair (empty when they agree)."""
    pending = _recent(ours.updated_at, now, pending_window) or _recent(theirs.creation_date, now, pending_window)
    found: list[Difference] = []

    def add(kind: str, label: str, pc_side: dict[str, Any]) -> None:
        found.append(
            Difference(
                kind=kind,
                summary=f"{ours.name}: {label}",
                bss_subscription_id=ours.id,
                pc_subscription_id=theirs.id,
                bss_values=bss_side(ours, kind),
                pc_values=pc_side,
                pending=pending,
            )
        )

    if theirs.quantity is not None and theirs.quantity != ours.quantity:
        add(QUANTITY, f"quantity {ours.quantity} in the BSS, {theirs.quantity} in Partner Center",
            {"quantity": theirs.quantity})
    pc_status = _pc_status(theirs)
    if pc_status and pc_status != ours.status.lower():
        add(STATUS, f"status {ours.status} in the BSS, {pc_status} in Partner Center", {"status": pc_status})
    if theirs.auto_renew_enabled is not None and theirs.auto_renew_enabled != ours.auto_renew:
        add(AUTO_RENEW, f"auto-renew {_on_off(ours.auto_renew)} in the BSS, "
            f"{_on_off(theirs.auto_renew_enabled)} in Partner Center", {"auto_renew": theirs.auto_renew_enabled})
    if theirs.term_duration is not None and _term(theirs.term_duration) != _term(ours.term_duration):
        add(TERM, f"term {ours.term_duration or 'none'} in the BSS, {theirs.term_duration or 'none'} in Partner Center",
            {"term_duration": _term(theirs.term_duration)})
    if theirs.billing_cycle and _cycle(theirs.billing_cycle) != _cycle(ours.billing_cycle):
        add(BILLING_CYCLE, f"billing cycle {ours.billing_cycle} in the BSS, {_cycle(theirs.billing_cycle)} in "
            "Partner Center", {"billing_cycle": _cycle(theirs.billing_cycle)})
    pc_product, pc_sku = (theirs.product_id or "").upper(), (theirs.sku_id or "").upper()
    if pc_product and pc_sku and (pc_product, pc_sku) != ours.product_and_sku:
        bss_product, bss_sku = ours.product_and_sku
        add(SKU, f"SKU {bss_product}:{bss_sku} in the BSS, {pc_product}:{pc_sku} in Partner Center",
            {"pc_offer_id": theirs.offer_id or "", "pc_product_id": pc_product, "pc_sku_id": pc_sku})
    pc_end = _date(theirs.commitment_end_date)
    if pc_end is not None and pc_end != ours.commitment_end_date:
        ours_end = ours.commitment_end_date.isoformat() if ours.commitment_end_date else "never"
        add(COMMITMENT_END_DATE, f"commitment ends {ours_end} in the BSS, {pc_end.isoformat()} in Partner Center",
            {"commitment_end_date": pc_end.isoformat()})
    return found


def orphan_difference(bss: Iterable[BssSubscription], *, reason: str) -> Difference:
    """The tenant is no longer a customer of the partner: Partner Center refuses to list its subscriptions."""
    live = [s for s in bss if s.status != _DELETED]
    return Difference(
        kind=ORPHAN,
        summary=f"customer no longer related to the partner ({reason}); {len(live)} live BSS subscription(s)",
        bss_values={"subscriptions": [{"id": s.id, "name": s.name, "status": s.status} for s in live]},
        pc_values={"relationship": "none", "reason": reason},
    )


def bss_side(ours: BssSubscription, kind: str) -> dict[str, Any]:
    """The BSS values a finding of `kind` records (also what "adopt"/"push" re-check to refuse stale findings)."""
    if kind == QUANTITY:
        return {"quantity": ours.quantity}
    if kind == STATUS:
        return {"status": ours.status}
    if kind == AUTO_RENEW:
        return {"auto_renew": ours.auto_renew}
    if kind == TERM:
        return {"term_duration": ours.term_duration}
    if kind == BILLING_CYCLE:
        return {"billing_cycle": ours.billing_cycle}
    if kind == SKU:
        product, sku = ours.product_and_sku
        return {"pc_offer_id": ours.pc_offer_id, "pc_product_id": product, "pc_sku_id": sku}
    if kind == COMMITMENT_END_DATE:
        return {"commitment_end_date": ours.commitment_end_date.isoformat() if ours.commitment_end_date else None}
    return bss_values(ours)


def bss_values(ours: BssSubscription) -> dict[str, Any]:
    return {
        "name": ours.name,
        "quantity": ours.quantity,
        "status": ours.status,
        "auto_renew": ours.auto_renew,
        "billing_cycle": ours.billing_cycle,
        "term_duration": ours.term_duration,
        "pc_offer_id": ours.pc_offer_id,
        "commitment_end_date": ours.commitment_end_date.isoformat() if ours.commitment_end_date else None,
    }


def pc_values(theirs: PcSubscription) -> dict[str, Any]:
    """The fields of a Partner Center subscription the BSS keeps, in BSS vocabulary (what "import" would write)."""
    end = _date(theirs.commitment_end_date)
    return {
        "name": theirs.friendly_name or theirs.offer_name or theirs.offer_id or theirs.id,
        "quantity": theirs.quantity,
        "status": _pc_status(theirs),
        "auto_renew": theirs.auto_renew_enabled,
        "billing_cycle": _cycle(theirs.billing_cycle or ""),
        "term_duration": _term(theirs.term_duration),
        "pc_offer_id": theirs.offer_id or "",
        "pc_product_id": (theirs.product_id or "").upper(),
        "pc_sku_id": (theirs.sku_id or "").upper(),
        "pc_order_id": theirs.order_id or "",
        "pc_partner_id": theirs.partner_id or "",
        "commitment_end_date": end.isoformat() if end else None,
        "effective_start_date": _iso(theirs.effective_start_date),
        "cancellation_allowed_until": _iso(theirs.cancellation_allowed_until_date),
    }


def pc_details(theirs: PcSubscription) -> dict[str, Any]:
    """The Partner Center subscription as read, JSON-ready, for the finding's detail page."""
    return {
        "id": theirs.id,
        "offerId": theirs.offer_id,
        "offerName": theirs.offer_name,
        "friendlyName": theirs.friendly_name,
        "productId": theirs.product_id,
        "skuId": theirs.sku_id,
        "availabilityId": theirs.availability_id,
        "productType": theirs.product_type_id,
        "quantity": theirs.quantity,
        "unitType": theirs.unit_type,
        "status": theirs.status,
        "autoRenewEnabled": theirs.auto_renew_enabled,
        "billingType": theirs.billing_type,
        "billingCycle": theirs.billing_cycle,
        "termDuration": theirs.term_duration,
        "renewalTermDuration": theirs.renewal_term_duration,
        "creationDate": _iso(theirs.creation_date),
        "effectiveStartDate": _iso(theirs.effective_start_date),
        "commitmentEndDate": _iso(theirs.commitment_end_date),
        "cancellationAllowedUntilDate": _iso(theirs.cancellation_allowed_until_date),
        "refundableQuantity": theirs.refundable_quantity.total_quantity if theirs.refundable_quantity else None,
        "orderId": theirs.order_id,
        "parentSubscriptionId": theirs.parent_subscription_id,
        "partnerId": theirs.partner_id,
        "promotionId": theirs.promotion_id,
        "isTrial": theirs.is_trial,
        "contractType": theirs.contract_type,
        "publisherName": theirs.publisher_name,
        "suspensionReasons": list(theirs.suspension_reasons),
    }


# --- helpers -------------------------------------------------------------------------------------------------


def _missing_in_partner_center(ours: BssSubscription, *, now: dt.datetime, window: dt.timedelta) -> Difference:
    # A row created or changed inside the listing delay may simply not be listed yet (an order in flight).
    pending = _recent(ours.updated_at, now, window) or _recent(ours.created_at, now, window)
    where = ours.pc_subscription_id or "no Partner Center id"
    return Difference(
        kind=MISSING_IN_PARTNER_CENTER,
        summary=f"{ours.name}: not listed by Partner Center ({where})",
        bss_subscription_id=ours.id,
        pc_subscription_id=ours.pc_subscription_id or "",
        bss_values=bss_values(ours),
        pc_values={},
        pending=pending,
    )


def _missing_in_bss(
    theirs: PcSubscription, unlinked: Sequence[BssSubscription], *, now: dt.datetime, window: dt.timedelta
) -> Difference:
    suggestion = _suggest_link(theirs, unlinked)
    name = theirs.friendly_name or theirs.offer_name or theirs.offer_id or theirs.id
    return Difference(
        kind=MISSING_IN_BSS,
        summary=f"{name} x{theirs.quantity}: unknown to the BSS",
        pc_subscription_id=theirs.id,
        bss_values={},
        pc_values=pc_values(theirs),
        pending=_recent(theirs.creation_date, now, window),
        suggested_link_id=suggestion.id if suggestion else None,
    )


def _suggest_link(theirs: PcSubscription, unlinked: Sequence[BssSubscription]) -> BssSubscription | None:
    """A BSS subscription without a Partner Center id for the same product and SKU (a lost order result)."""
    wanted = ((theirs.product_id or "").upper(), (theirs.sku_id or "").upper())
    candidates = [s for s in unlinked if s.status != _DELETED and s.product_and_sku == wanted]
    return candidates[0] if len(candidates) == 1 else None


def _recent(when: dt.datetime | None, now: dt.datetime, window: dt.timedelta) -> bool:
    # A timestamp in the future (clock skew, the simulator's advanced clock) counts as recent too.
    return when is not None and when > now - window


def _pc_status(theirs: PcSubscription) -> str:
    status = (theirs.status or "").lower()
    return _PC_STATUS_ALIASES.get(status, status)


def _cycle(value: str) -> str:
    return value.strip().lower().replace("-", "_")


def _term(value: str | None) -> str:
    return (value or "").strip().upper()


def _date(value: dt.datetime | dt.date | None) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return (value.astimezone(dt.UTC) if value.tzinfo else value).date()
    return value


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _on_off(value: bool | None) -> str:
    return "on" if value else "off"
