"""Auto-apply policies: which finding kinds nightly runs adopt from Partner Center unattended, and applying them."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F

from bss.exceptions import ApplicationError
from bss.models import User as BssUser
from bss.services.audit import audit_record
from reconciliation.choices import AUTO_APPLICABLE_KINDS, FindingKind
from reconciliation.models import AutoApplyPolicy, Finding, ReconciliationRun
from reconciliation.services.actions import finding_adopt_partner_center

logger = logging.getLogger(__name__)


def auto_apply_kinds() -> set[str]:
    """The finding kinds nightly runs adopt unattended."""
    return set(AutoApplyPolicy.objects.filter(enabled=True).values_list("kind", flat=True))


@transaction.atomic
def auto_apply_policy_set(*, actor: BssUser, kind: str, enabled: bool) -> AutoApplyPolicy:
    """Turn automatic adoption of Partner Center's value on nightly runs on or off for one finding kind."""
    if kind not in AUTO_APPLICABLE_KINDS:
        raise ApplicationError(
            f"{FindingKind(kind).label if kind in FindingKind.values else kind} cannot be applied automatically.",
            code="not_auto_applicable",
        )
    policy, _ = AutoApplyPolicy.objects.select_for_update(of=("self",)).get_or_create(kind=kind)
    before = {"enabled": policy.enabled}
    policy.enabled, policy.updated_by = enabled, actor
    policy.save(update_fields=["enabled", "updated_by", "updated_at"])
    audit_record(actor=actor, action="reconciliation_policy.set", obj=policy, before=before, after={"enabled": enabled})
    return policy


def findings_auto_apply(*, run_id: int, findings: list[Finding]) -> int:
    """Nightly runs: adopt Partner Center's value for the kinds whose auto-apply policy is on."""
    kinds = auto_apply_kinds()
    applied = 0
    for finding in findings:
        if finding.kind not in kinds:
            continue
        try:
            finding_adopt_partner_center(actor=None, finding=finding, auto=True)
        except ApplicationError as exc:
            logger.info("auto-apply of finding %s skipped: %s", finding.pk, exc.message)
            continue
        applied += 1
    if applied:
        ReconciliationRun.objects.filter(pk=run_id).update(auto_applied_count=F("auto_applied_count") + applied)
    return applied
