"""Findings as checks record them: upsert a tenant's differences, clear the ones gone, guard status changes.

Also the BSS subscription as the comparators see it (`bss_snapshot`). Partner Center's error is reported with
`bss.partner_center.pc_error_message`, as everywhere.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from bss.exceptions import InvalidTransition
from bss.models import MicrosoftTenant, Subscription
from reconciliation import comparators, locks
from reconciliation.choices import FINDING_LIVE_STATUSES, FINDING_TRANSITIONS, FindingStatus, Resolution
from reconciliation.models import Finding, ReconciliationRun


def finding_check_transition(finding: Finding, new: str) -> None:
    if new not in FINDING_TRANSITIONS.get(finding.status, set()):
        raise InvalidTransition(
            f"Finding #{finding.pk} is {finding.get_status_display().lower()} and cannot become {new}.",
            extra={"from": finding.status, "to": new},
        )


def _finding_key(kind: str, subscription_id: int | None, pc_subscription_id: str) -> tuple[str, int | None, str]:
    return (kind, subscription_id, pc_subscription_id.lower())


@transaction.atomic
def findings_record(
    *,
    run: ReconciliationRun,
    tenant: MicrosoftTenant,
    differences: list[comparators.Difference],
    details: dict[str, dict[str, Any]],
) -> tuple[list[Finding], int]:
    """Upsert the tenant's findings from this check: a difference seen before updates its live finding (an
    ignored one stays ignored while its values are unchanged), a live finding not seen again is "cleared".
    Returns the open findings of this check and the number of pending ones."""
    locks.tenant_lock(tenant.pk)
    now = timezone.now()
    live = {
        _finding_key(f.kind, f.subscription_id, f.pc_subscription_id): f
        for f in Finding.objects.filter(tenant=tenant, status__in=[*FINDING_LIVE_STATUSES, FindingStatus.IGNORED])
    }
    valid_ids = set(Subscription.objects.filter(tenant=tenant).values_list("pk", flat=True))
    opened: list[Finding] = []
    pending = 0
    seen: set[tuple[str, int | None, str]] = set()
    for diff in differences:
        key = _finding_key(diff.kind, diff.bss_subscription_id, diff.pc_subscription_id)
        seen.add(key)
        status = FindingStatus.PENDING if diff.pending else FindingStatus.OPEN
        values = {
            "run": run,
            "summary": diff.summary[:255],
            "bss_values": dict(diff.bss_values),
            "pc_values": dict(diff.pc_values),
            "pc_details": details.get(diff.pc_subscription_id.lower(), {}),
            "suggested_subscription_id": diff.suggested_link_id if diff.suggested_link_id in valid_ids else None,
            "last_seen_at": now,
        }
        finding = live.get(key)
        if finding is None:
            finding = Finding.objects.create(
                kind=diff.kind,
                status=status,
                tenant=tenant,
                customer_id=tenant.customer_id,
                subscription_id=diff.bss_subscription_id,
                pc_customer_id=tenant.pc_customer_id or "",
                pc_subscription_id=diff.pc_subscription_id,
                **values,
            )
        else:
            unchanged = finding.bss_values == values["bss_values"] and finding.pc_values == values["pc_values"]
            if finding.status == FindingStatus.IGNORED and unchanged:
                status = FindingStatus.IGNORED
            elif finding.status == FindingStatus.IGNORED:
                values.update(resolution="", resolved_by=None, resolved_at=None)
            for name, value in values.items():
                setattr(finding, name, value)
            if finding.status != status:
                finding_check_transition(finding, status)
                finding.status = status
            finding.save(update_fields=[*values, "status"])
        if status == FindingStatus.PENDING:
            pending += 1
        elif status == FindingStatus.OPEN:
            opened.append(finding)
    for key, finding in live.items():
        if key not in seen:
            finding.status, finding.resolution, finding.resolved_at = FindingStatus.RESOLVED, Resolution.CLEARED, now
            finding.resolved_by, finding.run = None, run
            finding.save(update_fields=["status", "resolution", "resolved_at", "resolved_by", "run"])
    return opened, pending


def bss_snapshot(sub: Subscription) -> comparators.BssSubscription:
    """The BSS subscription as the comparators see it (and as a finding records its BSS side)."""
    return comparators.BssSubscription(
        id=sub.pk,
        pc_subscription_id=sub.pc_subscription_id,
        name=sub.name,
        quantity=sub.quantity,
        status=sub.status,
        auto_renew=sub.auto_renew,
        billing_cycle=sub.billing_cycle,
        term_duration=sub.term_duration,
        pc_offer_id=sub.pc_offer_id,
        pc_product_id=sub.pc_product_id,
        pc_sku_id=sub.pc_sku_id,
        commitment_end_date=sub.commitment_end_date,
        created_at=sub.created_at,
        updated_at=sub.updated_at,
    )
