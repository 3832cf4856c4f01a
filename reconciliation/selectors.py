"""Reads of the reconciliation tool. It is a provider-staff tool: every read takes the acting user and returns
nothing for anyone else (the views also require the app's permissions)."""

from django.db.models import Q, QuerySet

from bss.exceptions import NotFound
from bss.models import User
from bss.selectors import user_is_provider_staff
from reconciliation.models import AutoApplyPolicy, Finding, ReconciliationCustomerCheck, ReconciliationRun


def run_list(*, user: User) -> QuerySet[ReconciliationRun]:
    qs = ReconciliationRun.objects.select_related("instance", "reseller", "customer", "started_by")
    return qs if user_is_provider_staff(user) else qs.none()


def run_get(*, user: User, run_id: int) -> ReconciliationRun:
    try:
        return run_list(user=user).get(pk=run_id)
    except ReconciliationRun.DoesNotExist:
        raise NotFound("Reconciliation run not found.") from None


def run_checks_unfinished(*, run: ReconciliationRun) -> QuerySet[ReconciliationCustomerCheck]:
    return run.checks.select_related("tenant__customer").exclude(status="done").order_by("status", "pk")


def finding_filter_q(
    *,
    status: str = "",
    kind: str = "",
    run_id: int | None = None,
    instance_id: int | None = None,
    reseller_id: int | None = None,
    customer_id: int | None = None,
) -> Q:
    """The findings list's filter (shared by the list and by bulk actions over "everything matching")."""
    q = Q()
    if status:
        q &= Q(status=status)
    if kind:
        q &= Q(kind=kind)
    if run_id:
        q &= Q(run_id=run_id)
    if instance_id:
        q &= Q(tenant__instance_id=instance_id)
    if reseller_id:
        q &= Q(customer__reseller_id=reseller_id)
    if customer_id:
        q &= Q(customer_id=customer_id)
    return q


def finding_list(*, user: User, filters: Q | None = None) -> QuerySet[Finding]:
    qs = Finding.objects.select_related(
        "run", "tenant__instance", "customer__reseller", "subscription", "suggested_subscription", "resolved_by"
    )
    if not user_is_provider_staff(user):
        return qs.none()
    return qs.filter(filters) if filters is not None else qs


def finding_get(*, user: User, finding_id: int) -> Finding:
    try:
        return finding_list(user=user).get(pk=finding_id)
    except Finding.DoesNotExist:
        raise NotFound("Finding not found.") from None


def auto_apply_policies() -> dict[str, bool]:
    return dict(AutoApplyPolicy.objects.values_list("kind", "enabled"))
