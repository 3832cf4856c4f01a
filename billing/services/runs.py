"""Invoice runs: rate a billing period in batches of billed parties, write each batch in one transaction, preview or
finalise.

Money is written once:
- an invoice per (party, issuer, period) is unique in the database (`billing_invoice_once_per_period`); two runs of
  the same period, one after the other or at the same time, meet on that row: the second waits for the first's
  transaction, then finds the invoice (locked with select_for_update) and, once final, leaves it alone;
- a number is given only in the transaction that finalises the invoice, from the issuer's counter row locked for
  that transaction (`billing.services.numbering`): gapless per issuer series and year;
- a final invoice never changes. A refund whose refunded charge is on an earlier final invoice (a cancellation or a
  seat reduction inside the 168-hour window, after that invoice) becomes a credit note against it, once
  (`billing_creditnote_source_once`);
- a batch of parties (`billing.services.bills.BATCH_PARTIES`) is rated, then written in one transaction with a
  handful of statements per invoice (its lines inserted in bulk with the batch's, numbers taken as one block per
  issuer, tax rules and billing profiles read once per run or batch). A batch that fails rolls back whole and is
  written again one party per transaction, so the run stops at the party that fails with every invoice before it
  written whole and none partial; running it again (`invoice_run_execute` on the same run) carries on where it
  stopped.

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
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Greatest
from django.db.models.signals import post_save
from django.utils import timezone

from billing.choices import CreditNoteKind, DocumentStatus, PartyKind, RunStatus
from billing.models import BillingProfile, CreditNote, CreditNoteLine, Invoice, InvoiceLine, InvoiceRun, Issuer
from billing.rating import BillingPeriod, ChargeType
from billing.services.bills import LineDraft, PartyBill, iter_period_bills
from billing.services.documents import (
    CREDIT_NOTE_SERIES,
    INVOICE_SERIES,
    finalise,
    finalise_many,
    insert_lines,
    line_values,
    set_totals,
    update_documents,
)
from billing.services.manual_charges import MANUAL_REFERENCE_PREFIX
from billing.services.tax import TaxDecision, TaxRuleMissing, tax_decision, tax_scope
from bss.exceptions import ApplicationError
from bss.models import Customer, LicenseLedgerEntry, Reseller, User

logger = logging.getLogger(__name__)
#: What writing an invoice sets (`_write_invoice`, `finalise_many`).
INVOICE_FIELDS = ["party_name", "party_country", "party_vat_id", "legal_mentions", "run", "subtotal", "tax_total",
                  "total", "cost_total", "tax_summary", "number", "status", "finalised_at", "updated_at"]


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


class _Stopped(Exception):
    def __init__(self, party_name: str, cause: Exception) -> None:
        super().__init__(f"Stopped at {party_name}: {cause}. Run it again to resume.")


def invoice_run_execute(*, run_id: int) -> InvoiceRun:
    """Execute (or resume) a run: every party's invoice of the period, a batch of parties per transaction.
    Idempotent: final invoices are left alone, drafts are rewritten."""
    run = InvoiceRun.objects.get(pk=run_id)
    if run.status == RunStatus.FINALISED or (run.status == RunStatus.PREVIEWED and not run.finalise):
        return run
    period = BillingPeriod(run.year, run.month)
    if run.finalise and not period_has_ended(period):
        return _end(run, RunStatus.FAILED, error=f"{period.year}-{period.month:02d} has not ended yet.")
    InvoiceRun.objects.filter(pk=run.pk).update(
        status=RunStatus.FINALISING if run.finalise else RunStatus.DRAFT, started_at=timezone.now(), error="", done=0,
        total=_parties_estimate(period), problems=[],
    )
    problems: list[dict[str, str]] = []
    tax_missing: list[str] = []
    cache = _RunCache()
    done = 0
    for batch in iter_period_bills(period, issuer=run.issuer):
        problems.extend(p.as_dict() for p in batch.problems)
        plans = _plan(run, period, list(batch.bills.values()), problems, tax_missing, cache)
        skipped = len(batch.bills) - len(plans)
        try:
            written = _write_plans(run, period, plans)
        except _Stopped as exc:
            run.problems = problems
            InvoiceRun.objects.filter(pk=run.pk).update(done=F("done") + skipped)
            return _end(run, RunStatus.FAILED, error=str(exc))
        done += skipped + written
        InvoiceRun.objects.filter(pk=run.pk).update(done=done, total=Greatest(F("total"), done), problems=problems)
    run.problems = problems
    InvoiceRun.objects.filter(pk=run.pk).update(total=done)
    if tax_missing:
        return _end(run, RunStatus.FAILED, error="No tax rule for " + ", ".join(tax_missing) + ": not finalised.")
    return _end(run, RunStatus.FINALISED if run.finalise else RunStatus.PREVIEWED)


def _parties_estimate(period: BillingPeriod) -> int:
    """The progress bar's denominator until the run has counted its parties: customers with a history."""
    end = dt.datetime.combine(period.last_day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    ledger = LicenseLedgerEntry.objects.filter(subscription__customer=OuterRef("pk"), effective_at__lt=end)
    return Customer.objects.filter(Exists(ledger)).count()


def _end(run: InvoiceRun, status: str, *, error: str = "") -> InvoiceRun:
    InvoiceRun.objects.filter(pk=run.pk).update(
        status=status, error=error, problems=run.problems, finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run


# -- a batch: what to write (reads only) ---------------------------------------------------------------------------


@dataclass
class _RunCache:
    """What every invoice of a run shares: the tax decision per issuer country, party country and scope."""

    decisions: dict[tuple[str, str, str | None], TaxDecision] = field(default_factory=dict)


@dataclass
class _Plan:
    """One party's invoice lines, its automatic credit notes and its tax, ready to write."""

    bill: PartyBill
    currency: str
    lines: list[LineDraft]
    credits: dict[InvoiceLine, list[LineDraft]]
    decision: TaxDecision | None
    profile: BillingProfile | None

    @property
    def key(self) -> tuple[int, str]:
        return (self.bill.issuer.pk, self.bill.party_key)


def _party(bill: PartyBill) -> Customer | Reseller:
    party = bill.customer if bill.party_kind == PartyKind.CUSTOMER else bill.reseller
    assert party is not None
    return party


def _profiles(bills: list[PartyBill]) -> dict[str, BillingProfile]:
    customers = [b.customer.pk for b in bills if b.party_kind == PartyKind.CUSTOMER and b.customer is not None]
    resellers = [b.reseller.pk for b in bills if b.party_kind != PartyKind.CUSTOMER and b.reseller is not None]
    found: dict[str, BillingProfile] = {}
    for profile in BillingProfile.objects.filter(Q(customer_id__in=customers) | Q(reseller_id__in=resellers)):
        if profile.customer_id is not None:
            found[f"customer:{profile.customer_id}"] = profile
        if profile.reseller_id is not None:
            found[f"reseller:{profile.reseller_id}"] = profile
    return found


def _decision(
    bill: PartyBill,
    period: BillingPeriod,
    profile: BillingProfile | None,
    cache: _RunCache,
    *,
    required: bool,
    problems: list[dict[str, str]],
) -> TaxDecision | None:
    """The party's tax; without a rule, finalising stops (`TaxRuleMissing`), a preview reports it and shows no tax."""
    party = _party(bill)
    issuer_country, party_country = bill.issuer.country.upper(), party.country.upper()
    key = (issuer_country, party_country, tax_scope(issuer_country, party_country, profile))
    if key in cache.decisions:
        return cache.decisions[key]
    try:
        decision = tax_decision(issuer_country=issuer_country, party=party, on=period.last_day, profile=profile)
    except TaxRuleMissing as exc:
        if required:
            raise
        problems.append({"customer": bill.party_name, "subscription": "", "message": exc.message})
        return None
    cache.decisions[key] = decision  # the key holds all the decision depends on (the profile: through the scope)
    return decision


def _refund_candidates(bill: PartyBill) -> list[LineDraft]:
    """Refund rows whose event gives money back overall (a cancellation, a seat reduction, an upgrade to something
    cheaper: the rows sharing its reference sum below zero); the refund half of a seat increase stays beside its
    charge on this invoice."""
    net: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for draft in bill.lines:
        net[(draft.subscription.pk, draft.charge.reference_id)] += draft.charge.amount
    return [d for d in bill.lines if d.is_refund and net[(d.subscription.pk, d.charge.reference_id)] < 0]


def _earlier_final_lines(period: BillingPeriod, subscriptions: set[int]) -> dict[int, list[InvoiceLine]]:
    """Positive lines of earlier final invoices of these subscriptions, latest first, per subscription."""
    if not subscriptions:
        return {}
    earlier = Q(invoice__year__lt=period.year) | Q(invoice__year=period.year, invoice__month__lt=period.month)
    found: dict[int, list[InvoiceLine]] = defaultdict(list)
    rows = (
        InvoiceLine.objects.filter(earlier, invoice__status=DocumentStatus.FINAL, subscription_id__in=subscriptions,
                                   amount__gt=0)
        .select_related("invoice")
        .order_by("-invoice__year", "-invoice__month", "-id")
    )
    for line in rows:
        assert line.subscription_id is not None
        found[line.subscription_id].append(line)
    return found


def _refunded_line(bill: PartyBill, draft: LineDraft, earlier: dict[int, list[InvoiceLine]]) -> InvoiceLine | None:
    """The charge, on an earlier final invoice of this party, that a refund row gives money back for."""
    start = draft.charge.charge_start
    for line in earlier.get(draft.subscription.pk, ()):
        if (line.invoice.issuer_id == bill.issuer.pk and line.invoice.party_key == bill.party_key
                and line.charge_start <= start <= line.charge_end):
            return line
    return None


def _plan(
    run: InvoiceRun,
    period: BillingPeriod,
    bills: list[PartyBill],
    problems: list[dict[str, str]],
    tax_missing: list[str],
    cache: _RunCache,
) -> list[_Plan]:
    """The batch's plans; a party that cannot be invoiced (several currencies, no tax rule when finalising) is
    reported and left out."""
    profiles = _profiles(bills)
    refunds = {id(bill): _refund_candidates(bill) for bill in bills}
    earlier = _earlier_final_lines(period, {d.subscription.pk for rows in refunds.values() for d in rows})
    plans = []
    for bill in bills:
        currencies = {d.charge.currency for d in bill.lines}
        if len(currencies) != 1:
            message = f"charges in several currencies ({', '.join(sorted(currencies))}): not invoiced"
            problems.append({"customer": bill.party_name, "subscription": "", "message": message})
            continue
        profile = profiles.get(bill.party_key)
        try:
            decision = _decision(bill, period, profile, cache, required=run.finalise, problems=problems)
        except TaxRuleMissing as exc:
            tax_missing.append(bill.party_name)
            problems.append({"customer": bill.party_name, "subscription": "", "message": exc.message})
            continue
        credits: dict[InvoiceLine, list[LineDraft]] = defaultdict(list)
        credited: set[int] = set()
        for draft in refunds[id(bill)]:
            original = _refunded_line(bill, draft, earlier)
            if original is not None:
                credits[original].append(draft)
                credited.add(id(draft))
        lines = [d for d in bill.lines if id(d) not in credited]
        plans.append(_Plan(bill, currencies.pop(), lines, credits, decision, profile))
    return plans


# -- a batch: writing it -----------------------------------------------------------------------------------------


def _write_plans(run: InvoiceRun, period: BillingPeriod, plans: list[_Plan]) -> int:
    """Write the batch in one transaction; if it fails, write it again one party per transaction and stop at the
    party that fails (`_Stopped`), the parties before it written whole. Returns the number of parties written."""
    if not plans:
        return 0
    try:
        _write_batch(run, period, plans)
        return len(plans)
    except Exception:
        logger.warning("invoice run %s: a batch of %s parties failed; writing it party by party", run.pk, len(plans),
                       exc_info=True)
    for written, plan in enumerate(plans):
        try:
            _write_batch(run, period, [plan])
        except Exception as exc:
            logger.exception("invoice run %s stopped at %s", run.pk, plan.bill.party_key)
            InvoiceRun.objects.filter(pk=run.pk).update(done=F("done") + written)
            raise _Stopped(plan.bill.party_name, exc) from exc
    return len(plans)


@transaction.atomic
def _write_batch(run: InvoiceRun, period: BillingPeriod, plans: list[_Plan]) -> None:
    """Write (or rewrite, while draft) the parties' invoices of the period and their automatic credit notes; when
    the run finalises, number and freeze them. One transaction: all of it, or nothing.

    Under the unique constraint (`billing_invoice_once_per_period`) a concurrent run's insert of the same invoice
    waits for ours (or ours for its) and then does nothing; the invoices are then locked (select_for_update), and
    one that the other run finalised meanwhile is left alone, with its credit notes."""
    period_invoices = Invoice.objects.filter(
        year=period.year, month=period.month, issuer_id__in={p.key[0] for p in plans},
        party_key__in={p.key[1] for p in plans},
    )
    existing = {(i.issuer_id, i.party_key): i for i in period_invoices}
    invoiced = [p for p in plans if p.lines]
    Invoice.objects.bulk_create(
        [_new_invoice(run, p) for p in invoiced if p.key not in existing], ignore_conflicts=True
    )
    locked = {(i.issuer_id, i.party_key): i for i in period_invoices.select_for_update().order_by("pk")}
    drafts = [locked[p.key] for p in invoiced if not locked[p.key].is_final]
    draft_ids = [i.pk for i in drafts]
    manual: dict[int, list[InvoiceLine]] = defaultdict(list)
    if draft_ids:
        InvoiceLine.objects.filter(invoice_id__in=draft_ids).exclude(
            reference_id__startswith=MANUAL_REFERENCE_PREFIX).delete()  # manual charges stay
        for line in InvoiceLine.objects.filter(invoice_id__in=draft_ids,
                                               reference_id__startswith=MANUAL_REFERENCE_PREFIX):
            manual[line.invoice_id].append(line)
    new_lines: list[InvoiceLine] = []
    written: list[Invoice] = []
    for plan in plans:
        invoice = locked.get(plan.key) if plan.lines else existing.get(plan.key)
        if invoice is not None and invoice.is_final:
            continue  # final (maybe by a concurrent run while we waited for the lock): never changes
        if plan.lines:
            assert invoice is not None
            invoice.issuer = plan.bill.issuer
            new_lines += _write_invoice(run, plan, invoice, manual[invoice.pk])
            written.append(invoice)
        elif invoice is not None:
            _empty_draft(invoice)
        for original, refunds in plan.credits.items():
            _write_credit_note(run, original, refunds)
    if run.finalise:
        finalise_many(written, series=INVOICE_SERIES)
    insert_lines(new_lines)
    _save_invoices(written)


def _save_invoices(invoices: list[Invoice]) -> None:
    """The batch's invoices saved in one statement, each announced as saved (`post_save`: a final one is mailed after
    commit by `billing.delivery_tasks`) as `Invoice.save` would. They were drafts, locked by this transaction."""
    now = timezone.now()
    for invoice in invoices:
        invoice.updated_at = now
    update_documents(invoices, INVOICE_FIELDS)
    for invoice in invoices:
        invoice._stored_final = invoice.is_final  # Document.save's guard
        post_save.send(sender=Invoice, instance=invoice, created=False, update_fields=None, raw=False,
                       using=Invoice.objects.db)


def _new_invoice(run: InvoiceRun, plan: _Plan) -> Invoice:
    bill = plan.bill
    return Invoice(
        party_key=bill.party_key, issuer=bill.issuer, year=run.year, month=run.month, party_kind=bill.party_kind,
        customer=bill.customer, reseller=bill.reseller, party_name=bill.party_name[:200],
        party_country=bill.party_country, currency=plan.currency, run=run,
    )


def _write_invoice(run: InvoiceRun, plan: _Plan, invoice: Invoice, manual: list[InvoiceLine]) -> list[InvoiceLine]:
    """The invoice's party, tax mention and totals set (saved by the caller) and its new lines (inserted by the
    caller with the batch's); manual charges stay on it."""
    bill, decision = plan.bill, plan.decision
    lines = [InvoiceLine(invoice=invoice, **line_values(d, decision)) for d in plan.lines]
    invoice.party_name, invoice.party_country = bill.party_name[:200], bill.party_country
    invoice.party_vat_id = plan.profile.vat_id if plan.profile else ""
    invoice.legal_mentions = [decision.legal_mention] if decision and decision.legal_mention else []
    invoice.run = run
    set_totals(invoice, [*lines, *manual])
    return lines


def _empty_draft(invoice: Invoice) -> None:
    """A draft whose charges are gone: it keeps its manual charges, or goes."""
    invoice.lines.exclude(reference_id__startswith=MANUAL_REFERENCE_PREFIX).delete()
    if invoice.lines.exists():
        set_totals(invoice, list(invoice.lines.all()))
        invoice.save()
    else:
        Invoice.objects.filter(pk=invoice.pk, status=DocumentStatus.DRAFT).delete()


def _credit_kind(refunds: list[LineDraft]) -> str:
    if any(d.charge.charge_type is ChargeType.CANCEL_IMMEDIATE for d in refunds):
        return CreditNoteKind.CANCELLATION
    return CreditNoteKind.REFUND


def _write_credit_note(run: InvoiceRun, original: InvoiceLine, refunds: list[LineDraft]) -> None:
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
