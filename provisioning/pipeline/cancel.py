"""Cancel a subscription (within the new-commerce window, checked when the change was asked for); on success the
BSS subscription is cancelled too."""

from __future__ import annotations

from typing import Any

from bss.services import subscriptions as subscription_services
from partnercenter.resources.subscriptions import SubscriptionsResource
from partnercenter.types import Subscription as PCSubscription
from provisioning.models import ProvisioningOperation
from provisioning.pipeline.base import Outcome, subscription_of
from provisioning.pipeline.subscription_change import change_step


def _cancel(subs: SubscriptionsResource, op: ProvisioningOperation, ids: dict[str, Any]) -> PCSubscription:
    return subs.cancel(**ids)


def _is_deleted(op: ProvisioningOperation, sub: PCSubscription) -> bool:
    return (sub.status or "").lower() == "deleted"


def cancelled(op: ProvisioningOperation, outcome: Outcome) -> None:
    subscription_services.subscription_apply_cancel(
        subscription=subscription_of(op), pc=outcome.data, actor=op.created_by
    )


STEP = change_step(_cancel, _is_deleted, cancelled)
