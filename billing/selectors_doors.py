"""Billing reads for the doors (back office, storefront, API): invoices and credit notes scoped to who asks, and a
subscription's next charge.

Who sees what:
- provider staff with `billing.view_invoice` (or `billing.view_creditnote`): every document, drafts included;
- a customer user: the final documents made out to its customer;
- a reseller user: the final documents made out to its reseller (the provider's wholesale invoices) and, for a tenant
  reseller, the final documents it issues to its own customers.
Anyone else sees nothing: a foreign document is simply not found.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from billing.choices import DocumentStatus, PartyKind
from billing.models import CreditNote, Invoice, Issuer
from billing.rating import BillingPeriod
from billing.services.bills import period_bills
from billing.services.prices import known_price
from bss.choices import ResellerKind, SubscriptionStatus, UserRole
from bss.exceptions import NotFound
from bss.models import Customer, Subscription, User
from bss.selectors import user_is_provider_staff

VIEW_INVOICE = "billing.view_invoice"
VIEW_CREDIT_NOTE = "billing.view_creditnote"


def _scope(user: User, permission: str) -> Q | None:
    """The documents `user` may see (None: none at all)."""
    if not (user.is_authenticated and user.is_active):
        return None
    if user_is_provider_staff(user):
        return Q() if user.has_perm(permission) else None
    final = Q(status=DocumentStatus.FINAL)
    if user.role == UserRole.CUSTOMER and user.customer_id:
        return final & Q(party_kind=PartyKind.CUSTOMER, customer_id=user.customer_id)
    if user.role == UserRole.RESELLER and user.reseller_id:
        own = Q(party_kind=PartyKind.RESELLER, reseller_id=user.reseller_id)
        return final & (own | Q(issuer__reseller_id=user.reseller_id))
    return None


def invoice_list_for_user(
    *, user: User, customer_id: int | None = None, year: int | None = None, month: int | None = None,
    status: str = "",
) -> QuerySet[Invoice]:
    scope = _scope(user, VIEW_INVOICE)
    invoices = Invoice.objects.select_related("issuer", "customer", "reseller")
    if scope is None:
        return invoices.none()
    invoices = invoices.filter(scope)
    if customer_id is not None:
        invoices = invoices.filter(Q(customer_id=customer_id) | Q(lines__end_customer_id=customer_id)).distinct()
    if year is not None:
        invoices = invoices.filter(year=year)
    if month is not None:
        invoices = invoices.filter(month=month)
    if status:
        invoices = invoices.filter(status=status)
    return invoices


def invoice_get_for_user(*, user: User, invoice_id: int) -> Invoice:
    invoice = invoice_list_for_user(user=user).prefetch_related("lines", "credit_notes").filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFound("No such invoice.")
    return invoice


def credit_note_list_for_user(
    *, user: User, customer_id: int | None = None, year: int | None = None, month: int | None = None,
    invoice_id: int | None = None,
) -> QuerySet[CreditNote]:
    scope = _scope(user, VIEW_CREDIT_NOTE)
    notes = CreditNote.objects.select_related("issuer", "invoice", "customer", "reseller")
    if scope is None:
        return notes.none()
    notes = notes.filter(scope)
    if customer_id is not None:
        notes = notes.filter(Q(customer_id=customer_id) | Q(lines__end_customer_id=customer_id)).distinct()
    if year is not None:
        notes = notes.filter(year=year)
    if month is not None:
        notes = notes.filter(month=month)
    if invoice_id is not None:
        notes = notes.filter(invoice_id=invoice_id)
    return notes


def credit_note_get_for_user(*, user: User, credit_note_id: int) -> CreditNote:
    note = credit_note_list_for_user(user=user).prefetch_related("lines").filter(pk=credit_note_id).first()
    if note is None:
        raise NotFound("No such credit note.")
    return note


def issued_by_user(user: User) -> bool:
    """Whether the reseller user's reseller issues invoices of its own (a tenant reseller with an issuer)."""
    return bool(user.role == UserRole.RESELLER and user.reseller_id
                and Issuer.objects.filter(reseller_id=user.reseller_id).exists())


@dataclass(frozen=True)
class NextCharge:
    """The next charge the subscription's customer is invoiced for it: when (order date) and how much."""

    on: dt.date
    amount: Decimal
    currency: str


def next_charge(subscription: Subscription, *, now: dt.datetime | None = None) -> NextCharge | None:
    """The subscription's first charge after `now` on its customer's invoice (this month's or next month's), as the
    next invoice run would rate it; None when nothing more is due (cancelled, or price unknown)."""
    now = (now or timezone.now()).astimezone(dt.UTC)
    period = BillingPeriod(now.year, now.month)
    for _ in range(2):
        bills = period_bills(period, customers=[subscription.customer_id])
        drafts = sorted(
            (
                draft
                for bill in bills.bills.values()
                if bill.party_kind == PartyKind.CUSTOMER
                for draft in bill.lines
                if draft.subscription.pk == subscription.pk and draft.charge.order_at > now
            ),
            key=lambda d: d.charge.order_at,
        )
        if drafts:
            first = drafts[0].charge.order_at
            same_day = [d for d in drafts if d.charge.order_at.date() == first.date()]
            amount = sum((d.charge.amount for d in same_day), Decimal(0))
            return NextCharge(on=first.date(), amount=amount, currency=same_day[0].charge.currency)
        period = BillingPeriod(period.year + period.month // 12, period.month % 12 + 1)
    return _renewal_charge(subscription, now)


def _renewal_charge(subscription: Subscription, now: dt.datetime) -> NextCharge | None:
    """The renewal of a term that ends with nothing more to bill in it: the next term at the catalog's price then
    (else the price locked for this term), for the current quantity, the day after the commitment ends. Rating
    bills it once Partner Center confirms the renewal; until then this is what the next invoice will show."""
    if subscription.customer.reseller.kind == ResellerKind.LIGHT:
        return None  # a light reseller invoices its customers itself
    end = subscription.commitment_end_date
    if not (subscription.auto_renew and subscription.status == SubscriptionStatus.ACTIVE and end):
        return None
    day = (end.date() if isinstance(end, dt.datetime) else end) + dt.timedelta(days=1)
    if day <= now.date():
        return None
    at = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    price = known_price(subscription=subscription, at=at)
    if price is not None:
        unit_price, currency = price.unit_price, price.currency
    else:
        locked = subscription.ledger.exclude(unit_price=None).order_by("-effective_at", "-id").first()
        if locked is None or locked.unit_price is None:
            return None
        unit_price, currency = locked.unit_price, locked.currency
    amount = (unit_price * Decimal(subscription.quantity)).quantize(Decimal("0.01"))
    return NextCharge(on=day, amount=amount, currency=currency)


@dataclass(frozen=True)
class UnbilledPreview:
    """A customer's unbilled charges as the lines of its next invoice (the invoice-line fields, tax included when
    a tax rule applies), with their totals and what could not be billed."""

    lines: list[dict[str, Any]]
    currency: str
    subtotal: Decimal
    tax_total: Decimal
    problems: list[dict[str, str]]


def unbilled_preview(*, customer: Customer, now: dt.datetime | None = None) -> UnbilledPreview:
    from billing.selectors import unbilled_charges
    from billing.services.documents import line_values
    from billing.services.tax import TaxRuleMissing, tax_decision

    now = (now or timezone.now()).astimezone(dt.UTC)
    unbilled = unbilled_charges(customer=customer, now=now)
    issuer = Issuer.objects.filter(reseller_id=customer.reseller_id).first()
    problems = [p.as_dict() for p in unbilled.problems]
    decision = None
    if issuer is not None and unbilled.lines:
        try:
            decision = tax_decision(issuer_country=issuer.country, party=customer, on=now.date())
        except TaxRuleMissing as exc:
            problems.append({"customer": str(customer), "subscription": "", "message": exc.message})
    lines = [line_values(draft, decision) for draft in unbilled.lines]
    currencies = {draft.charge.currency for draft in unbilled.lines}
    return UnbilledPreview(
        lines=lines,
        currency=currencies.pop() if len(currencies) == 1 else "",
        subtotal=sum((line["amount"] for line in lines), Decimal(0)),
        tax_total=sum((line["tax_amount"] for line in lines), Decimal(0)),
        problems=problems,
    )
