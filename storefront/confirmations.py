"""What a destructive change of a subscription will do, said before it is done: the confirmation step of the
workspace's cancel, reduce and suspend (a page with a POST form carrying `confirm=yes`; no JavaScript needed).

The figures are estimates for the user (the licence ledger's last known unit price); Partner Center computes the
actual prorated refund. Whether the change is allowed at all stays the core's decision
(`provisioning.services.changes.subscription_change_request`), made when the confirmed form is posted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from bss.models import LicenseLedgerEntry, Subscription
from bss.rules.quantities import is_azure_plan

CONFIRM_FIELD = "confirm"
CONFIRM_VALUE = "yes"


@dataclass(frozen=True)
class Confirmation:
    """The page asking "are you sure": what happens, and the fields to post again with `confirm=yes`."""

    action: str
    title: str
    consequences: list[str]
    button: str
    fields: dict[str, str] = field(default_factory=dict)


def _when(value: datetime) -> str:
    return f"{timezone.localtime(value, timezone.get_fixed_timezone(0)):%Y-%m-%d %H:%M} UTC"


def _unit_price(subscription: Subscription) -> tuple[Decimal, str] | None:
    """The last known price per licence per billing period (the licence ledger), or None."""
    entry = (
        LicenseLedgerEntry.objects.filter(subscription=subscription, unit_price__isnull=False)
        .order_by("-created_at", "-id")
        .first()
    )
    if entry is None or entry.unit_price is None:
        return None
    return entry.unit_price, entry.currency


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount.quantize(Decimal('0.01'))} {currency}".strip()


def _refund(subscription: Subscription, licences: int) -> str:
    price = _unit_price(subscription)
    if price is None:
        return "Microsoft refunds the unused part of the current billing period (prorated)."
    return (
        f"Microsoft refunds the unused part of the current billing period (prorated): at most "
        f"{_money(price[0] * licences, price[1])} for {licences} licence{'s' if licences != 1 else ''}."
    )


def confirmation_for(
    *, subscription: Subscription, action: str, posted: dict[str, str], now: datetime | None = None,
    lowest_quantity: int | None = None,
) -> Confirmation | None:
    """The confirmation a destructive action needs (None for other actions, or when it is already confirmed)."""
    if posted.get(CONFIRM_FIELD) == CONFIRM_VALUE:
        return None
    now = now or timezone.now()
    sub = subscription
    until = sub.cancellation_allowed_until
    window_open = until is not None and now <= until
    if action == "cancel":
        if window_open and until is not None:
            refund = _refund(sub, sub.quantity)
            when = f"The cancellation window is open until {_when(until)}."
        else:
            closed = f" (it closed on {_when(until)})" if until else ""
            refund = f"No refund: the 7-day cancellation window is over{closed}."
            when = "Partner Center is likely to refuse it; turning auto-renew off ends the subscription with its term."
        return Confirmation(
            action="cancel",
            title=f"Cancel {sub.name}?",
            consequences=[
                f"All {sub.quantity} licences are removed and the customer loses access at once.",
                refund,
                when,
                "This cannot be undone: buying it again starts a new subscription and a new term.",
            ],
            button="Yes, cancel the subscription",
        )
    if action == "suspend":
        return Confirmation(
            action="suspend",
            title=f"Suspend {sub.name}?",
            consequences=[
                "The customer's users lose access to the service.",
                "Billing continues while suspended: in new commerce the subscription is billed until its term ends "
                "or it is cancelled. No refund.",
                "Reactivate it at any time to give access again.",
            ],
            button="Yes, suspend (billing continues)",
        )
    if action == "quantity" and not is_azure_plan(sub.pc_product_id, sub.pc_offer_id):
        try:
            quantity = int(posted.get("quantity", ""))
        except ValueError:
            return None  # the form's own error
        if quantity >= sub.quantity or quantity < 1:
            return None
        removed = sub.quantity - quantity
        consequences = [f"The quantity goes from {sub.quantity} down to {quantity}: {removed} licence"
                        f"{'s' if removed != 1 else ''} removed; those users lose their licence."]
        if lowest_quantity is not None and quantity < lowest_quantity:
            return None  # not allowed now: the core refuses it with the reason, nothing to confirm
        consequences.append(_refund(sub, removed))
        return Confirmation(
            action="quantity",
            title=f"Reduce {sub.name} to {quantity} licences?",
            consequences=consequences,
            button=f"Yes, remove {removed} licence{'s' if removed != 1 else ''}",
            fields={"quantity": str(quantity)},
        )
    return None
