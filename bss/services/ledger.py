"""The licence ledger: the one way an event of a subscription's life is written down (billing's event history).

Every confirmed change (purchase, seat change, suspension, reactivation, cancellation, renewal, conversion,
billing-plan change) appends one `LicenseLedgerEntry` through `ledger_record`. The entry carries what billing rates:
Partner Center's effective time, the quantities, and the term as it stood — unit price and unit cost locked for the
term, currency, term and its dates, billing cycle, partner of record.

Price lock: only the events that open a term or a billing plan (`LEDGER_PRICE_SETTING_KINDS`) set prices; any other
event carries the prices of the latest entry of the subscription, whatever price the caller passes, so a seat
change made after a price-list change is still written (and rated) at the term's price. A price-setting event
without a price keeps the price unknown (empty): billing reports it, never bills it at zero.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from bss.choices import LEDGER_PRICE_SETTING_KINDS, LedgerEventKind
from bss.models import LicenseLedgerEntry, Subscription, User
from bss.rules.cycles import term_end as term_end_for


def _term_dates(subscription: Subscription, at: dt.datetime) -> tuple[dt.date | None, dt.date | None]:
    start = subscription.effective_start_date.date() if subscription.effective_start_date else at.date()
    end = subscription.commitment_end_date or term_end_for(start, subscription.term_duration)
    return start, end


def ledger_record(
    *,
    subscription: Subscription,
    kind: str,
    quantity_before: int,
    quantity_after: int,
    reason: str,
    actor: User | None = None,
    effective_at: dt.datetime | None = None,
    reference_id: str = "",
    unit_price: Decimal | None = None,
    unit_cost: Decimal | None = None,
    currency: str = "",
    term_start: dt.date | None = None,
    term_end: dt.date | None = None,
) -> LicenseLedgerEntry:
    """Append one event to the subscription's licence ledger (call inside the transaction that confirms it).

    `effective_at` is Partner Center's time of the change (default: now, when Partner Center does not say);
    term, billing cycle and partner of record are taken from the subscription as it stands after the change;
    the term's dates from the caller, else the previous entry (same term), else the subscription.
    """
    kind = LedgerEventKind(kind)
    effective_at = effective_at or timezone.now()
    previous = (
        LicenseLedgerEntry.objects.filter(subscription=subscription).order_by("-effective_at", "-created_at", "-id")
        .first()
    )
    opens_term = kind in LEDGER_PRICE_SETTING_KINDS
    if not opens_term and previous is not None:
        unit_price, unit_cost, currency = previous.unit_price, previous.unit_cost, previous.currency
        term_start = term_start or previous.term_start
        term_end = term_end or previous.term_end
    if term_start is None or term_end is None:
        default_start, default_end = _term_dates(subscription, effective_at)
        term_start = term_start or default_start
        term_end = term_end or default_end
    return LicenseLedgerEntry.objects.create(
        subscription=subscription,
        kind=kind,
        quantity_before=quantity_before,
        quantity_after=quantity_after,
        reason=reason,
        actor=actor if actor is not None and actor.pk else None,
        effective_at=effective_at,
        reference_id=reference_id or "",
        unit_price=unit_price,
        unit_cost=unit_cost,
        currency=(currency or "").upper(),
        term_duration=subscription.term_duration or "",
        billing_cycle=subscription.billing_cycle or "",
        term_start=term_start,
        term_end=term_end,
        partner_id=subscription.pc_partner_id or "",
    )
