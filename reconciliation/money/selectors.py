"""Reads of Microsoft's bill: imports, findings, and the outcomes rolled up per subscription and per customer."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from bss.models import PartnerCenterInstance
from reconciliation.money.choices import FINDING_OUTCOMES, Outcome, Resolution
from reconciliation.money.models import ChargeMatch, MicrosoftInvoice


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
