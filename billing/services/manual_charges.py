"""A charge added by hand to a billed party's next invoice (e.g. what Microsoft charged and we had not invoiced).

The next invoice is the party's draft invoice of the current month, or of the first later month whose invoice is not
final yet. The line carries `reference_id` "manual:…": an invoice run that rewrites the draft from the ledger keeps
it (`billing.services.runs`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.choices import PartyKind
from billing.models import Invoice, InvoiceLine, Issuer
from billing.rating import BillingPeriod
from billing.services.documents import set_totals
from billing.services.tax import TaxRuleMissing, tax_amount, tax_decision
from bss.choices import ResellerKind
from bss.exceptions import ApplicationError
from bss.models import Customer, Reseller, Subscription

MANUAL_REFERENCE_PREFIX = "manual:"
ZERO = Decimal(0)


def _party(customer: Customer) -> tuple[Issuer, str, Customer | None, Reseller | None]:
    """Who invoices whom for this customer's charges: the provider its direct customer, else the provider the
    customer's reseller (at wholesale)."""
    reseller = customer.reseller
    provider = reseller if reseller.kind == ResellerKind.PROVIDER else reseller.parent
    issuer = Issuer.objects.filter(reseller=provider).first() if provider is not None else None
    if issuer is None:
        raise ApplicationError(f"{provider or reseller} has no issuer set up: nothing can be invoiced.",
                               code="no_issuer")
    if reseller.kind == ResellerKind.PROVIDER:
        return issuer, PartyKind.CUSTOMER, customer, None
    return issuer, PartyKind.RESELLER, None, reseller


def _next_draft(issuer: Issuer, kind: str, customer: Customer | None, reseller: Reseller | None, currency: str,
                now: dt.datetime) -> Invoice:
    party = customer if kind == PartyKind.CUSTOMER else reseller
    assert party is not None
    key = f"customer:{customer.pk}" if kind == PartyKind.CUSTOMER and customer else f"reseller:{reseller.pk}"  # type: ignore[union-attr]
    year, month = now.year, now.month
    for _ in range(24):
        invoice, _created = Invoice.objects.get_or_create(
            party_key=key, issuer=issuer, year=year, month=month,
            defaults={"party_kind": kind, "customer": customer, "reseller": reseller, "party_name": str(party)[:200],
                      "party_country": party.country.upper(), "currency": currency},
        )
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if not invoice.is_final:
            if invoice.currency != currency:
                raise ApplicationError(f"{invoice} is in {invoice.currency}, the charge in {currency}.",
                                       code="currency_mismatch")
            return invoice
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise ApplicationError("No open invoice found in the next two years.", code="no_open_invoice")


@transaction.atomic
def manual_charge_add(
    *,
    customer: Customer,
    description: str,
    amount: Decimal,
    currency: str,
    subscription: Subscription | None = None,
    charge_type: str = "new",
    quantity: int = 1,
    charge_start: dt.date | None = None,
    charge_end: dt.date | None = None,
    cost_amount: Decimal | None = None,
    source: str = "",
    now: dt.datetime | None = None,
) -> InvoiceLine:
    """Add `amount` (before tax) to the party's next invoice that is not final; returns the new line."""
    if not description.strip():
        raise ApplicationError("A manual charge needs a description.", code="description_required")
    now = (now or timezone.now()).astimezone(dt.UTC)
    issuer, kind, party_customer, party_reseller = _party(customer)
    invoice = _next_draft(issuer, kind, party_customer, party_reseller, currency.upper(), now)
    party = party_customer if kind == PartyKind.CUSTOMER else party_reseller
    try:
        decision = tax_decision(issuer_country=issuer.country, party=party,  # type: ignore[arg-type]
                                on=BillingPeriod(invoice.year, invoice.month).last_day)
    except TaxRuleMissing:
        decision = None  # the run that finalises the invoice reports the missing rule
    quantity = max(quantity, 1)
    line = InvoiceLine.objects.create(
        invoice=invoice, end_customer=customer, end_customer_name=customer.company_name[:200],
        subscription=subscription, pc_subscription_id=(subscription.pc_subscription_id or "") if subscription else "",
        description=description[:255], charge_type=charge_type[:24], quantity=quantity,
        unit_price=(amount / quantity).quantize(Decimal("0.000001")),
        effective_unit_price=(amount / quantity).quantize(Decimal("0.000001")), amount=amount,
        charge_start=charge_start or now.date(), charge_end=charge_end or now.date(), order_at=now,
        reference_id=f"{MANUAL_REFERENCE_PREFIX}{source}"[:100],
        tax_rate=decision.rate if decision else None, tax_name=decision.name if decision else "",
        tax_amount=tax_amount(amount, decision.rate) if decision else ZERO,
        unit_cost=(cost_amount / quantity).quantize(Decimal("0.000001")) if cost_amount is not None else None,
        cost_amount=cost_amount,
    )
    set_totals(invoice, list(invoice.lines.all()))
    invoice.save()
    return line
