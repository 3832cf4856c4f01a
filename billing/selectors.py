"""Billing reads: invoices and runs for pages, and a customer's unbilled charges to date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from billing.choices import PartyKind
from billing.models import CreditNote, Invoice, InvoiceRun
from billing.rating import BillingPeriod
from billing.services.bills import LineDraft, Problem, period_bills
from bss.models import Customer


def invoice_list(*, customer: Customer | None = None, year: int | None = None, month: int | None = None
                 ) -> QuerySet[Invoice]:
    invoices = Invoice.objects.select_related("issuer")
    if customer is not None:
        invoices = invoices.filter(party_kind=PartyKind.CUSTOMER, customer=customer)
    if year is not None:
        invoices = invoices.filter(year=year)
    if month is not None:
        invoices = invoices.filter(month=month)
    return invoices


def invoice_get(*, invoice_id: int) -> Invoice:
    return Invoice.objects.select_related("issuer").prefetch_related("lines", "credit_notes").get(pk=invoice_id)


def credit_note_list(*, invoice: Invoice) -> QuerySet[CreditNote]:
    return invoice.credit_notes.prefetch_related("lines")


def run_list(*, limit: int = 50) -> list[InvoiceRun]:
    return list(InvoiceRun.objects.select_related("issuer")[:limit])


def run_progress(run: InvoiceRun) -> dict[str, object]:
    run.refresh_from_db(fields=["status", "done", "total", "problems", "error"])
    return {"status": run.status, "done": run.done, "total": run.total, "problems": run.problems, "error": run.error}


@dataclass(frozen=True)
class Unbilled:
    """A customer's charges of the current month so far, as its next invoice would bill them (sale prices)."""

    lines: tuple[LineDraft, ...]
    problems: tuple[Problem, ...]

    @property
    def total(self) -> Decimal:
        return sum((d.charge.amount for d in self.lines), Decimal(0))


def unbilled_charges(*, customer: Customer, now: dt.datetime | None = None) -> Unbilled:
    """Charges of the customer dated this month up to `now` (UTC), at the price its own invoice bills."""
    now = (now or timezone.now()).astimezone(dt.UTC)
    bills = period_bills(BillingPeriod(now.year, now.month), customers=[customer.pk])
    lines = tuple(
        draft
        for bill in bills.bills.values()
        if bill.party_kind == PartyKind.CUSTOMER and bill.customer == customer
        for draft in bill.lines
        if draft.charge.order_at <= now
    )
    return Unbilled(lines=lines, problems=tuple(bills.problems))
