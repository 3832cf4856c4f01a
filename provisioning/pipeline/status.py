"""Suspend or reactivate a subscription; on success the BSS status follows Partner Center's."""

from __future__ import annotations

from typing import Any

from bss.services import subscriptions as subscription_services
from partnercenter.resources.subscriptions import SubscriptionsResource
from partnercenter.types import Subscription as PCSubscription
from provisioning.models import ProvisioningOperation
from provisioning.pipeline.base import Outcome, subscription_of
from provisioning.pipeline.subscription_change import change_step


def _suspend(subs: SubscriptionsResource, op: ProvisioningOperation, ids: dict[str, Any]) -> PCSubscription:
    return subs.suspend(**ids)


def _reactivate(subs: SubscriptionsResource, op: ProvisioningOperation, ids: dict[str, Any]) -> PCSubscription:
    return subs.reactivate(**ids)


def _is_suspended(op: ProvisioningOperation, sub: PCSubscription) -> bool:
    return (sub.status or "").lower() == "suspended"


def _is_active(op: ProvisioningOperation, sub: PCSubscription) -> bool:
    return (sub.status or "").lower() == "active"


def status_changed(op: ProvisioningOperation, outcome: Outcome) -> None:
    subscription_services.subscription_apply_status(
        subscription=subscription_of(op), pc=outcome.data, actor=op.created_by
    )
    # Microsoft deletes the scheduled next-term instruction on a status change: re-apply it once active again.
    from provisioning.services.renewals import next_term_reapply  # the services import the pipeline's registry

    next_term_reapply(subscription=subscription_of(op), reason="after_status_change")


SUSPEND = change_step(_suspend, _is_suspended, status_changed)
REACTIVATE = change_step(_reactivate, _is_active, status_changed)
