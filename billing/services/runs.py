"""Invoice runs: rate a billing period, write each party's invoice in its own transaction, preview or finalise.

Money is written once:
- an invoice per (party, issuer, period) is unique in the database (`billing_invoice_once_per_period`); two runs of
  the same period, one after the other or at the same time, meet on that row: the second waits for the first's
  transaction, then finds the invoice (locked with select_for_update) and, once final, leaves it alone;
- a number is given only in the transaction that finalises the invoice, from the issuer's counter row locked for
  that transaction (`billing.services.numbering`): gapless per issuer series and year;
- a final invoice never changes. A refund whose refunded charge is on an earlier final invoice (a cancellation or a
  seat reduction inside the 168-hour window, after that invoice) becomes a credit note against it, once
  (`billing_creditnote_source_once`);
- each invoice is one transaction: a run that stops half-way leaves whole invoices or none, and running it again
  (`invoice_run_execute` on the same run) carries on where it stopped.

An invoice bills the charges whose order date falls in its period (Microsoft's billing period, a calendar month),
and so bills in advance what Microsoft charges in advance: a monthly cycle on the month it starts, an annual or
triennial cycle upfront, whole, on the month of its cycle date. Finalising waits until the period has ended.
A subscription whose price is unknown is reported in the run's problems, never billed at zero; a missing tax rule
keeps that party's invoice a draft and fails the run with the party named.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from billing.choices import CreditNoteKind, DocumentStatus, PartyKind, RunStatus
from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, InvoiceRun, Issuer
from billing.rating import BillingPeriod, ChargeType
from billing.services.bills import LineDraft, PartyBill, period_bills
from billing.services.documents import CREDIT_NOTE_SERIES, INVOICE_SERIES, finalise, line_values, set_totals
from billing.services.manual_charges import MANUAL_REFERENCE_PREFIX
from billing.services.tax import TaxDecision, TaxRuleMissing, profile_of, tax_decision
from bss.exceptions import ApplicationError
from bss.models import User

logger = logging.getLogger(__name__)


def period_has_ended(period: BillingPeriod, *, now: dt.datetime | None = None) -> bool:
    """Whether the whole month is over (UTC, Microsoft's billing period), so its invoices may be finalised."""
    now = now or timezone.now()
    return now.astimezone(dt.UTC).date() > period.last_day


@transaction.atomic
def invoice_run_create(
    *, year: int, month: int, finalise: bool = False, issuer: Issuer | None = None, actor: User | None = None
) -> InvoiceRun:
    """Record a run (preview, or finalise); the worker executes it after commit (`billing.tasks`)."""
    if not 1 <= month <= 12:
        raise ApplicationError(f"{month} is not a month.", code="invalid_period")
    if finalise and not period_has_ended(BillingPeriod(year, month)):
        raise ApplicationError(f"{year}-{month:02d} has not ended: it can be previewed, not finalised yet.",
                               code="period_not_ended")
    run = InvoiceRun.objects.create(year=year, month=month, finalise=finalise, issuer=issuer,
                                    requested_by=actor if actor is not None and actor.pk else None)
    from billing import tasks  # the task module imports this one

    transaction.on_commit(lambda: tasks.invoice_run_task.delay(run.pk))
    return run


def invoice_run_execute(*, run_id: int) -> InvoiceRun:
    """Execute (or resume) a run: every party's invoice of the period, one transaction each. Idempotent."""
    run = InvoiceRun.objects.get(pk=run_id)
    if run.status == RunStatus.FINALISED or (run.status == RunStatus.PREVIEWED and not run.finalise):
        return run
    period = BillingPeriod(run.year, run.month)
    if run.finalise and not period_has_ended(period):
        return _end(run, RunStatus.FAILED, error=f"{period.year}-{period.month:02d} has not ended yet.")
    InvoiceRun.objects.filter(pk=run.pk).update(
        status=RunStatus.FINALISING if run.finalise else RunStatus.DRAFT, started_at=timezone.now(), error="", done=0
    )
    bills = period_bills(period, issuer=run.issuer)
    problems = [p.as_dict() for p in bills.problems]
    InvoiceRun.objects.filter(pk=run.pk).update(total=len(bills.bills), problems=problems)
    tax_missing = []
    for bill in bills.bills.values():
        try:
            write_bill(run, period, bill, problems)
        except TaxRuleMissing as exc:
            tax_missing.append(bill.party_name)
            problems.append({"customer": bill.party_name, "subscription": "", "message": exc.message})
        except ApplicationError as exc:
            problems.append({"customer": bill.party_name, "subscription": "", "message": exc.message})
        except Exception as exc:
            logger.exception("invoice run %s stopped at %s", run.pk, bill.party_key)
            run.problems = problems
            return _end(run, RunStatus.FAILED, error=f"Stopped at {bill.party_name}: {exc}. Run it again to resume.")
        InvoiceRun.objects.filter(pk=run.pk).update(done=F("done") + 1)
    run.problems = problems
    if tax_missing:
        return _end(run, RunStatus.FAILED, error="No tax rule for " + ", ".join(tax_missing) + ": not finalised.")
    return _end(run, RunStatus.FINALISED if run.finalise else RunStatus.PREVIEWED)


def _end(run: InvoiceRun, status: str, *, error: str = "") -> InvoiceRun:
    InvoiceRun.objects.filter(pk=run.pk).update(
        status=status, error=error, problems=run.problems, finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run


# -- one party ---------------------------------------------------------------------------------------------------


def _party(bill: PartyBill) -> object:
    return bill.customer if bill.party_kind == PartyKind.CUSTOMER else bill.reseller


def _invoice_locked(run: InvoiceRun, period: BillingPeriod, bill: PartyBill, currency: str) -> Invoice:
    """The party's invoice of the period, created if need be, locked for this transaction.

    Under the unique constraint a concurrent run's insert waits for ours (or ours for its): `get_or_create` then
    finds the row the other committed."""
    invoice, _ = Invoice.objects.get_or_create(
        party_key=bill.party_key,
        issuer=bill.issuer,
        year=period.year,
        month=period.month,
        defaults={
            "party_kind": bill.party_kind,
            "customer": bill.customer,
            "reseller": bill.reseller,
            "party_name": bill.party_name[:200],
            "party_country": bill.party_country,
            "currency": currency,
            "run": run,
        },
    )
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


def _refunded_line(bill: PartyBill, period: BillingPeriod, draft: LineDraft) -> InvoiceLine | None:
    """The charge, on an earlier final invoice of this party, that a refund row gives money back for."""
    earlier = Q(invoice__year__lt=period.year) | Q(invoice__year=period.year, invoice__month__lt=period.month)
    return (
        InvoiceLine.objects.filter(
            earlier,
            invoice__status=DocumentStatus.FINAL,
            invoice__issuer=bill.issuer,
            invoice__party_key=bill.party_key,
            subscription=draft.subscription,
            amount__gt=0,
            charge_start__lte=draft.charge.charge_start,
            charge_end__gte=draft.charge.charge_start,
        )
        .select_related("invoice")
        .order_by("-invoice__year", "-invoice__month", "-id")
        .first()
    )


def _split_credits(
    bill: PartyBill, period: BillingPeriod
) -> tuple[list[LineDraft], dict[InvoiceLine, list[LineDraft]]]:
    """Rows for this period's invoice, and refund rows that credit an earlier final invoice instead.

    A refund goes on a credit note when its event gives money back overall (a cancellation, a seat reduction, an
    upgrade to something cheaper: the rows sharing its reference sum below zero) and the refunded charge is on an
    earlier final invoice; the refund half of a seat increase stays beside its charge on this invoice."""
    net: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for draft in bill.lines:
        net[(draft.subscription.pk, draft.charge.reference_id)] += draft.charge.amount
    lines: list[LineDraft] = []
    credits: dict[InvoiceLine, list[LineDraft]] = defaultdict(list)
    for draft in bill.lines:
        refund = draft.is_refund and net[(draft.subscription.pk, draft.charge.reference_id)] < 0
        original = _refunded_line(bill, period, draft) if refund else None
        if original is None:
            lines.append(draft)
        else:
            credits[original].append(draft)
    return lines, credits


def _decision(
    bill: PartyBill, period: BillingPeriod, *, required: bool, problems: list[dict[str, str]] | None
) -> TaxDecision | None:
    """The party's tax; without a rule, finalising stops (`TaxRuleMissing`), a preview reports it and shows no tax."""
    party = _party(bill)
    try:
        return tax_decision(issuer_country=bill.issuer.country, party=party, on=period.last_day)  # type: ignore[arg-type]
    except TaxRuleMissing as exc:
        if required:
            raise
        if problems is not None:
            problems.append({"customer": bill.party_name, "subscription": "", "message": exc.message})
        return None


@transaction.atomic
def write_bill(
    run: InvoiceRun, period: BillingPeriod, bill: PartyBill, problems: list[dict[str, str]] | None = None
) -> Invoice | None:
    """Write (or rewrite, while draft) one party's invoice of the period and its automatic credit notes; when the
    run finalises, number and freeze them. One transaction: all of it, or nothing."""
    currencies = {d.charge.currency for d in bill.lines}
    if len(currencies) != 1:
        raise ApplicationError(f"charges in several currencies ({', '.join(sorted(currencies))}): not invoiced")
    currency = currencies.pop()
    lines, credits = _split_credits(bill, period)
    existing = Invoice.objects.filter(
        party_key=bill.party_key, issuer=bill.issuer, year=period.year, month=period.month
    ).first()
    if existing is not None and existing.is_final:
        return existing
    decision = _decision(bill, period, required=run.finalise, problems=problems)
    invoice = None
    if lines:
        invoice = _invoice_locked(run, period, bill, currency)
        if invoice.is_final:
            return invoice  # a concurrent run finalised it while we waited for the lock
        _write_invoice(run, bill, invoice, lines, decision)
    elif existing is not None:
        existing.lines.exclude(reference_id__startswith=MANUAL_REFERENCE_PREFIX).delete()
        if existing.lines.exists():  # manual charges keep their draft
            set_totals(existing, list(existing.lines.all()))
            existing.save()
        else:
            Invoice.objects.filter(pk=existing.pk, status=DocumentStatus.DRAFT).delete()
    for original, refunds in credits.items():
        _write_credit_note(run, bill, original, refunds)
    return invoice


def _write_invoice(
    run: InvoiceRun, bill: PartyBill, invoice: Invoice, drafts: list[LineDraft], decision: TaxDecision | None
) -> None:
    invoice.lines.exclude(reference_id__startswith=MANUAL_REFERENCE_PREFIX).delete()  # manual charges stay
    manual = list(invoice.lines.filter(reference_id__startswith=MANUAL_REFERENCE_PREFIX))
    lines = InvoiceLine.objects.bulk_create(InvoiceLine(invoice=invoice, **line_values(d, decision)) for d in drafts)
    lines += manual
    profile = profile_of(_party(bill))  # type: ignore[arg-type]
    invoice.party_name, invoice.party_country = bill.party_name[:200], bill.party_country
    invoice.party_vat_id = profile.vat_id if profile else ""
    invoice.legal_mentions = [decision.legal_mention] if decision and decision.legal_mention else []
    invoice.run = run
    set_totals(invoice, lines)
    if run.finalise:
        finalise(invoice, series=INVOICE_SERIES)
    invoice.save()


def _credit_kind(refunds: list[LineDraft]) -> str:
    if any(d.charge.charge_type is ChargeType.CANCEL_IMMEDIATE for d in refunds):
        return CreditNoteKind.CANCELLATION
    return CreditNoteKind.REFUND


def _write_credit_note(run: InvoiceRun, bill: PartyBill, original: InvoiceLine, refunds: list[LineDraft]) -> None:
    """The credit note for refunds of a charge on a final invoice: credited once (unique per invoice and source),
    at the tax of the line it corrects; amounts are shown positive (a credit note gives them back)."""
    first = refunds[0].charge
    source_key = f"{refunds[0].subscription.pk}:{first.reference_id}:{first.charge_type.value}:{first.charge_start}"
    invoice = original.invoice
    note, _ = CreditNote.objects.get_or_create(
        invoice=invoice,
        source_key=source_key[:200],
        defaults={
            "issuer": invoice.issuer, "party_kind": invoice.party_kind, "party_key": invoice.party_key,
            "customer": invoice.customer, "reseller": invoice.reseller, "party_name": invoice.party_name,
            "party_country": invoice.party_country, "party_vat_id": invoice.party_vat_id, "year": invoice.year,
            "month": invoice.month, "currency": invoice.currency, "kind": _credit_kind(refunds),
            "reason": f"{refunds[0].subscription.name}: refund of {first.charge_start}..{first.charge_end} "
                      f"({first.charge_type.value})"[:300],
        },
    )
    note = CreditNote.objects.select_for_update().get(pk=note.pk)
    if note.is_final:
        return
    note.lines.all().delete()
    decision = None
    if original.tax_rate is not None:
        decision = TaxDecision(rate=original.tax_rate, name=original.tax_name)
    values = [line_values(d, decision) for d in refunds]
    for value in values:
        for name in ("amount", "effective_unit_price", "tax_amount", "cost_amount", "unit_cost"):
            if value[name] is not None and name != "unit_cost":
                value[name] = abs(value[name])
    lines = CreditNoteLine.objects.bulk_create(
        CreditNoteLine(credit_note=note, invoice_line=original, **value) for value in values
    )
    note.legal_mentions = invoice.legal_mentions
    set_totals(note, lines)
    if run.finalise:
        finalise(note, series=CREDIT_NOTE_SERIES)
    note.save()
