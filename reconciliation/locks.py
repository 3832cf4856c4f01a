"""Row locks of the reconciliation app (select_for_update, taken only here)."""

from bss.models import MicrosoftTenant, Subscription
from reconciliation.models import Finding, ReconciliationRun


def tenant_lock(tenant_id: int) -> MicrosoftTenant:
    """Serialises the checks of one tenant (two overlapping runs must not both upsert its findings)."""
    return MicrosoftTenant.objects.select_for_update(of=("self",)).get(pk=tenant_id)


def finding_lock(finding_id: int) -> Finding:
    return (
        Finding.objects.select_for_update(of=("self",)).select_related("tenant", "customer", "run").get(pk=finding_id)
    )


def subscription_lock(subscription_id: int) -> Subscription:
    return Subscription.objects.select_for_update(of=("self",)).get(pk=subscription_id)


def run_lock(run_id: int) -> ReconciliationRun:
    return ReconciliationRun.objects.select_for_update(of=("self",)).get(pk=run_id)
