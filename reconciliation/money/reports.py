"""Reads of Microsoft's bill over time and ahead of time: margin and leakage per month (the chart), and the unbilled
preview of the open month (what Microsoft will charge, from the unbilled import, against what we will invoice, from
billing's unbilled charges)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from billing.selectors import unbilled_charges
from bss.models import Customer, PartnerCenterInstance, Subscription
from reconciliation.money.choices import InvoiceKind, Outcome
from reconciliation.money.models import ChargeMatch, MicrosoftChargeLine, MicrosoftInvoice
from reconciliation.money.selectors import REVENUE


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    microsoft_cost: Decimal
    our_revenue: Decimal
    leakage: Decimal  # found by the match, whatever became of it since

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def margin(self) -> Decimal:
        return self.our_revenue - self.microsoft_cost


def monthly_trend(instance: PartnerCenterInstance, *, months: int = 12) -> list[Month]:
    """Per matched month (the last `months`, oldest first): Microsoft's cost, our revenue, margin, leakage found."""
    rows = (ChargeMatch.objects.filter(instance=instance).values("year", "month")
            .annotate(microsoft_cost=Sum("microsoft_amount", default=Decimal(0)),
                      our_revenue=Sum(REVENUE, default=Decimal(0)),
                      leakage=Sum("difference", filter=Q(outcome=Outcome.LEAKAGE), default=Decimal(0)))
            .order_by("-year", "-month")[:months])
    return [Month(r["year"], r["month"], r["microsoft_cost"], r["our_revenue"], r["leakage"]) for r in reversed(rows)]


@dataclass
class PreviewRow:
    """One subscription of the open month: Microsoft's charges so far against ours."""

    pc_subscription_id: str
    name: str = ""
    customer: str = ""
    subscription_id: int | None = None
    microsoft: Decimal = Decimal(0)
    microsoft_lines: int = 0
    our_cost: Decimal = Decimal(0)
    our_revenue: Decimal = Decimal(0)
    our_lines: int = 0

    @property
    def difference(self) -> Decimal:
        """Microsoft's charge minus the cost our rating expects: what the match would report."""
        return self.microsoft - self.our_cost

    @property
    def margin(self) -> Decimal:
        return self.our_revenue - self.microsoft

    @property
    def leakage(self) -> bool:
        return self.microsoft_lines > 0 and self.our_lines == 0 and self.microsoft != 0


@dataclass
class UnbilledPreview:
    year: int
    month: int
    unbilled_import: MicrosoftInvoice | None
    rows: list[PreviewRow] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)

    def total(self, name: str) -> Decimal:
        return sum((getattr(row, name) for row in self.rows), Decimal(0))

    @property
    def totals(self) -> dict[str, Decimal]:
        return {name: self.total(name) for name in ("microsoft", "our_cost", "our_revenue", "difference", "margin")}


def _latest_unbilled(instance: PartnerCenterInstance, year: int, month: int) -> MicrosoftInvoice | None:
    return (MicrosoftInvoice.objects.filter(instance=instance, kind=InvoiceKind.UNBILLED, year=year, month=month)
            .exclude(generation=0).order_by("-imported_at").first())


def unbilled_preview(instance: PartnerCenterInstance, *, now: dt.datetime | None = None) -> UnbilledPreview:
    """The open month per subscription: Microsoft's unbilled lines so far (the latest unbilled import of the month)
    against the charges our next invoices will carry for the instance's customers (sale price and expected cost)."""
    now = (now or timezone.now()).astimezone(dt.UTC)
    imported = _latest_unbilled(instance, now.year, now.month)
    preview = UnbilledPreview(year=now.year, month=now.month, unbilled_import=imported)
    rows: dict[str, PreviewRow] = {}

    def row(pc_id: str) -> PreviewRow:
        return rows.setdefault(pc_id, PreviewRow(pc_subscription_id=pc_id))

    if imported is not None:
        lines = (MicrosoftChargeLine.objects.current().filter(invoice=imported).values("pc_subscription_id")
                 .annotate(amount=Sum("subtotal", default=Decimal(0)), n=Count("pk")).order_by())
        for line in lines:
            found = row((line["pc_subscription_id"] or "").lower())
            found.microsoft, found.microsoft_lines = line["amount"], line["n"]
    customers = Customer.objects.filter(tenants__instance=instance).distinct().order_by("company_name")
    for customer in customers:
        unbilled = unbilled_charges(customer=customer, now=now)
        preview.problems += [p.as_dict() for p in unbilled.problems]
        for draft in unbilled.lines:
            found = row((draft.subscription.pc_subscription_id or "").lower())
            found.our_revenue += draft.charge.amount
            found.our_cost += draft.charge.cost_amount
            found.our_lines += 1
    known = {(s.pc_subscription_id or "").lower(): s for s in Subscription.objects.select_related("customer").filter(
        tenant__instance=instance, pc_subscription_id__in=[k for k in rows if k])}
    for pc_id, found in rows.items():
        sub = known.get(pc_id)
        if sub is not None:
            found.subscription_id, found.name, found.customer = sub.pk, sub.name, sub.customer.company_name
        else:
            found.name = "Subscription not in the BSS"
    preview.rows = sorted(rows.values(), key=lambda r: (r.customer, r.name, r.pc_subscription_id))
    return preview

