"""Reads of the import tool. Only provider staff with `imports.run_import` reach them (the views check)."""

from django.db.models import Count, Q, QuerySet

from bss.choices import ResellerKind
from bss.exceptions import NotFound
from bss.models import Marketplace, PartnerCenterInstance, Reseller
from reconciliation.imports.choices import Classification, Outcome
from reconciliation.imports.models import ImportItem, ImportReseller, ImportResultRow, ImportRun


def instance_list_importable() -> QuerySet[PartnerCenterInstance]:
    return PartnerCenterInstance.objects.filter(is_active=True).order_by("name")


def provider_marketplace_for(*, instance: PartnerCenterInstance) -> Marketplace | None:
    """The instance's provider marketplace: the active marketplace on this instance owned by a provider."""
    return (
        Marketplace.objects.select_related("owner")
        .filter(instance=instance, owner__kind=ResellerKind.PROVIDER, is_active=True)
        .order_by("pk")
        .first()
    )


def reseller_marketplace_for(*, reseller: Reseller, instance: PartnerCenterInstance) -> Marketplace | None:
    return Marketplace.objects.filter(owner=reseller, instance=instance, is_active=True).order_by("pk").first()


def reseller_list_mappable() -> QuerySet[Reseller]:
    """Resellers an admin may map an unknown indirect reseller to by hand."""
    return Reseller.objects.select_related("parent").filter(is_active=True).order_by("kind", "name")


def run_list(*, instance: PartnerCenterInstance | None = None) -> QuerySet[ImportRun]:
    qs = ImportRun.objects.select_related("instance", "started_by")
    if instance is not None:
        qs = qs.filter(instance=instance)
    return qs


def run_get(*, run_id: int) -> ImportRun:
    try:
        return run_list().get(pk=run_id)
    except ImportRun.DoesNotExist:
        raise NotFound("Import run not found.") from None


def run_items(*, run: ImportRun, classification: str = "", search: str = "") -> QuerySet[ImportItem]:
    qs = run.items.select_related("linked_customer", "customer")
    if classification:
        qs = qs.filter(classification=classification)
    if search:
        qs = qs.filter(Q(company_name__icontains=search) | Q(domain__icontains=search))
    return qs


def run_classification_counts(*, run: ImportRun) -> dict[str, int]:
    counts = {row["classification"]: row["n"] for row in run.items.values("classification").annotate(n=Count("id"))}
    return {value: counts.get(value, 0) for value in Classification.values}


def run_selected_count(*, run: ImportRun) -> int:
    return run.items.filter(selected=True).exclude(classification=Classification.CONFLICT).count()


def run_resellers(*, run: ImportRun) -> list[ImportReseller]:
    """The run's indirect resellers, each with `customer_count` (customers of the preview that belong to it)."""
    counts = {
        row["reseller_partner_id"]: row["n"]
        for row in run.items.exclude(reseller_partner_id="").values("reseller_partner_id").annotate(n=Count("id"))
    }
    resellers = list(run.resellers.select_related("reseller"))
    for reseller in resellers:
        reseller.customer_count = counts.get(reseller.partner_id, 0)  # type: ignore[attr-defined]
    return resellers


def run_rows(*, run: ImportRun, outcome: str = "") -> QuerySet[ImportResultRow]:
    qs = run.rows.select_related("item")
    if outcome:
        qs = qs.filter(outcome=outcome)
    return qs


def run_outcome_counts(*, run: ImportRun) -> dict[str, int]:
    counts = {row["outcome"]: row["n"] for row in run.rows.values("outcome").annotate(n=Count("id"))}
    return {value: counts.get(value, 0) for value in Outcome.values if value}
