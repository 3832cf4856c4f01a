"""Reads of Microsoft's bill: imports, findings, and the outcomes rolled up per subscription and per customer."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, F, Func, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from bss.models import PartnerCenterInstance
from reconciliation.money.choices import FINDING_OUTCOMES, Cause, ImportStatus, Outcome, Resolution
from reconciliation.money.models import ChargeMatch, MatchRun, MicrosoftInvoice


def invoices_of(instance: PartnerCenterInstance) -> QuerySet[MicrosoftInvoice]:
    return MicrosoftInvoice.objects.filter(instance=instance).order_by("-year", "-month", "invoice_id")


def findings(instance: PartnerCenterInstance, year: int, month: int, *, open_only: bool = True
             ) -> QuerySet[ChargeMatch]:
    rows = ChargeMatch.objects.filter(instance=instance, year=year, month=month, outcome__in=FINDING_OUTCOMES)
    if open_only:
        rows = rows.filter(resolution=Resolution.OPEN)
    return rows.select_related("subscription", "customer", "microsoft_line", "invoice_line").order_by("outcome", "pk")


def _rollup(instance: PartnerCenterInstance, year: int, month: int, *group: str) -> list[dict[str, object]]:
    rows = ChargeMatch.objects.filter(instance=instance, year=year, month=month)
    open_finding = Q(outcome__in=FINDING_OUTCOMES, resolution=Resolution.OPEN)
    return list(
        rows.values(*group).annotate(
            lines=Count("pk"),
            matched=Count("pk", filter=Q(outcome=Outcome.MATCHED)),
            variances=Count("pk", filter=Q(outcome=Outcome.VARIANCE) & open_finding),
            leakage=Count("pk", filter=Q(outcome=Outcome.LEAKAGE) & open_finding),
            not_charged=Count("pk", filter=Q(outcome=Outcome.NOT_CHARGED) & open_finding),
            unknown=Count("pk", filter=Q(outcome=Outcome.UNKNOWN_SUBSCRIPTION) & open_finding),
            variance_total=Sum("difference", filter=Q(outcome=Outcome.VARIANCE) & open_finding, default=Decimal(0)),
            leakage_total=Sum("difference", filter=Q(outcome=Outcome.LEAKAGE) & open_finding, default=Decimal(0)),
            microsoft_total=Sum("microsoft_amount", default=Decimal(0)),
            our_total=Sum("our_amount", default=Decimal(0)),
        ).order_by(*group)
    )


def rollup_by_subscription(instance: PartnerCenterInstance, year: int, month: int) -> list[dict[str, object]]:
    """Per subscription (Partner Center id; unknown ones too): lines, open findings per kind, sums at stake."""
    return _rollup(instance, year, month, "customer", "subscription", "pc_subscription_id")


def rollup_by_customer(instance: PartnerCenterInstance, year: int, month: int) -> list[dict[str, object]]:
    return _rollup(instance, year, month, "customer", "customer__company_name")


# -- the reconciliation of one of Microsoft's invoices, for pages, exports and the API -------------------------------

#: Drill-down levels, from the widest to one line: each groups the rows by the fields named here.
LEVELS: dict[str, tuple[str, ...]] = {
    "reseller": ("customer__reseller_id", "customer__reseller__name"),
    "customer": ("customer_id", "customer__company_name"),
    "subscription": ("pc_subscription_id", "subscription_id", "subscription__name"),
}


@dataclass(frozen=True)
class MatchFilters:
    """What a page, an export or the API narrows an invoice's rows to (None/empty = everything)."""

    outcome: str = ""
    cause: str = ""
    resolution: str = ""
    charge_type: str = ""
    reseller_id: int | None = None
    customer_id: int | None = None
    pc_subscription_id: str = ""

    def apply(self, rows: QuerySet[ChargeMatch]) -> QuerySet[ChargeMatch]:
        if self.outcome:
            rows = rows.filter(outcome=self.outcome)
        if self.cause:
            rows = rows.filter(cause=self.cause)
        if self.resolution:
            rows = rows.filter(resolution=self.resolution)
        if self.charge_type:
            rows = rows.filter(charge_type=self.charge_type)
        if self.reseller_id is not None:
            rows = rows.filter(customer__reseller_id=self.reseller_id)
        if self.customer_id is not None:
            rows = rows.filter(customer_id=self.customer_id)
        if self.pc_subscription_id:
            rows = rows.filter(pc_subscription_id=self.pc_subscription_id.lower())
        return rows


def invoice_rows(invoice: MicrosoftInvoice, filters: MatchFilters | None = None) -> QuerySet[ChargeMatch]:
    """The match's rows of the invoice's period: its own Microsoft lines and our lines Microsoft did not charge (a
    period's match covers all its invoices; our unpaired lines belong to none of them)."""
    rows = ChargeMatch.objects.filter(instance_id=invoice.instance_id, year=invoice.year, month=invoice.month).filter(
        Q(microsoft_line__invoice=invoice) | Q(microsoft_line__isnull=True))
    return (filters or MatchFilters()).apply(rows)


def invoice_lines(invoice: MicrosoftInvoice, filters: MatchFilters | None = None) -> QuerySet[ChargeMatch]:
    return invoice_rows(invoice, filters).select_related(
        "customer__reseller", "subscription", "microsoft_line", "invoice_line", "credit_note_line",
    ).order_by("customer__company_name", "pc_subscription_id", "charge_start", "id")


#: Our sale price of a row: the invoice line's amount, or the credit-note line's (a refund, so negative).
REVENUE = Coalesce(F("invoice_line__amount"), -Func(F("credit_note_line__amount"), function="ABS"),
                   output_field=DecimalField(max_digits=18, decimal_places=2))


def _totals(rows: QuerySet[ChargeMatch]) -> dict[str, Any]:
    open_finding = Q(resolution=Resolution.OPEN)
    zero = Decimal(0)
    return rows.aggregate(
        lines=Count("pk"),
        microsoft_cost=Sum("microsoft_amount", default=zero),
        our_cost=Sum("our_amount", default=zero),
        our_revenue=Sum(REVENUE, default=zero),
        leakage=Sum("difference", filter=Q(outcome=Outcome.LEAKAGE) & open_finding, default=zero),
        leakage_found=Sum("difference", filter=Q(outcome=Outcome.LEAKAGE), default=zero),
        leakage_billed=Sum("difference", filter=Q(outcome=Outcome.LEAKAGE, resolution=Resolution.BILLED),
                           default=zero),
        variance=Sum("difference", filter=Q(outcome=Outcome.VARIANCE) & open_finding, default=zero),
        not_charged=Sum("difference", filter=Q(outcome=Outcome.NOT_CHARGED) & open_finding, default=zero),
        unknown=Sum("difference", filter=Q(outcome=Outcome.UNKNOWN_SUBSCRIPTION) & open_finding, default=zero),
        open_findings=Count("pk", filter=Q(outcome__in=FINDING_OUTCOMES) & open_finding),
    )


@dataclass(frozen=True)
class Summary:
    """An invoice's reconciliation in figures: Microsoft's cost, our revenue and margin, what is at stake."""

    totals: dict[str, Any]
    outcomes: list[dict[str, Any]]  # per outcome: label, lines, open, amount at stake (open)
    causes: list[dict[str, Any]]  # variances per cause: label, lines, open, difference (open)

    @property
    def margin(self) -> Decimal:
        return Decimal(self.totals["our_revenue"]) - Decimal(self.totals["microsoft_cost"])

    @property
    def margin_percent(self) -> Decimal | None:
        revenue = Decimal(self.totals["our_revenue"])
        return (100 * self.margin / revenue).quantize(Decimal("0.1")) if revenue else None


def invoice_summary(invoice: MicrosoftInvoice, filters: MatchFilters | None = None) -> Summary:
    rows = invoice_rows(invoice, filters)
    open_q = Q(resolution=Resolution.OPEN)
    per_outcome: dict[str, dict[str, Any]] = {r["outcome"]: dict(r) for r in rows.values("outcome").annotate(
        lines=Count("pk"), open=Count("pk", filter=open_q),
        at_stake=Sum("difference", filter=open_q, default=Decimal(0))).order_by()}
    per_cause = {r["cause"]: r for r in rows.filter(outcome=Outcome.VARIANCE).values("cause").annotate(
        lines=Count("pk"), open=Count("pk", filter=open_q),
        difference=Sum("difference", filter=open_q, default=Decimal(0))).order_by()}
    none: dict[str, Any] = {"lines": 0, "open": 0, "at_stake": Decimal(0)}
    outcomes = []
    for value, label in Outcome.choices:
        found: dict[str, Any] = per_outcome.get(value, none)
        finding = value != Outcome.MATCHED
        outcomes.append({"outcome": value, "label": label, "lines": found["lines"],
                         "open": found["open"] if finding else 0,
                         "at_stake": found["at_stake"] if finding else Decimal(0)})
    causes = [{"cause": value, "label": label, **{k: per_cause[value][k] for k in ("lines", "open", "difference")}}
              for value, label in Cause.choices if value in per_cause]
    return Summary(totals=_totals(rows), outcomes=outcomes, causes=causes)


def invoice_drill(invoice: MicrosoftInvoice, level: str, filters: MatchFilters | None = None
                  ) -> list[dict[str, Any]]:
    """The invoice's rows rolled up at one drill-down level (reseller, customer or subscription), with the same
    figures as the summary per group, widest stake first."""
    group = LEVELS[level]
    open_finding = Q(outcome__in=FINDING_OUTCOMES, resolution=Resolution.OPEN)
    rows = invoice_rows(invoice, filters).values(*group).annotate(
        lines=Count("pk"),
        microsoft_cost=Sum("microsoft_amount", default=Decimal(0)),
        our_revenue=Sum(REVENUE, default=Decimal(0)),
        open_findings=Count("pk", filter=open_finding),
        leakage=Sum("difference", filter=Q(outcome=Outcome.LEAKAGE) & open_finding, default=Decimal(0)),
        variance=Sum("difference", filter=Q(outcome=Outcome.VARIANCE) & open_finding, default=Decimal(0)),
    ).order_by("-open_findings", *group)
    result = []
    for row in rows:
        row["margin"] = row["our_revenue"] - row["microsoft_cost"]
        row["key"], row["name"] = _group_key(level, row)
        result.append(row)
    return result


def _group_key(level: str, row: dict[str, Any]) -> tuple[object, str]:
    if level == "reseller":
        return row["customer__reseller_id"], row["customer__reseller__name"] or "No reseller (customer unknown)"
    if level == "customer":
        return row["customer_id"], row["customer__company_name"] or "Customer not in the BSS"
    return row["pc_subscription_id"], row["subscription__name"] or "Subscription not in the BSS"


def invoice_charge_types(invoice: MicrosoftInvoice) -> list[str]:
    return sorted(set(invoice_rows(invoice).exclude(charge_type="").values_list("charge_type", flat=True)))


def invoice_resellers(invoice: MicrosoftInvoice) -> list[tuple[int, str]]:
    rows = invoice_rows(invoice).exclude(customer=None).values_list("customer__reseller_id", "customer__reseller__name")
    return sorted(set(rows), key=lambda r: r[1])


def invoice_customers(invoice: MicrosoftInvoice) -> list[tuple[int, str]]:
    rows = invoice_rows(invoice).exclude(customer=None).values_list("customer_id", "customer__company_name")
    return sorted(set(rows), key=lambda r: r[1])


def import_progress(invoice: MicrosoftInvoice) -> dict[str, Any]:
    """An import's state for the live progress box (the page polls it while it runs)."""
    invoice.refresh_from_db()
    active = invoice.status in (ImportStatus.PENDING, ImportStatus.EXPORTING, ImportStatus.IMPORTING)
    total = invoice.blobs_total
    return {
        "status": invoice.status, "status_label": invoice.get_status_display(), "active": active,
        "blobs_done": invoice.blobs_done, "blobs_total": total, "line_count": invoice.line_count,
        "percent": min(100, int(100 * invoice.blobs_done / total)) if total else (100 if not active else 0),
        "error": invoice.error,
    }


def last_run(instance_id: int, year: int, month: int) -> MatchRun | None:
    return MatchRun.objects.filter(instance_id=instance_id, year=year, month=month).first()
