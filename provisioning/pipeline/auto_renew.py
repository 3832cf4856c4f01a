"""Turn a subscription's auto-renew on or off; on success the BSS flag follows."""

from __future__ import annotations

from typing import Any

from bss.services import subscriptions as subscription_services
from partnercenter.resources.subscriptions import SubscriptionsResource
from partnercenter.types import Subscription as PCSubscription
from provisioning.models import ProvisioningOperation
from provisioning.pipeline.base import Outcome, subscription_of
from provisioning.pipeline.subscription_change import change_step


def _set_auto_renew(subs: SubscriptionsResource, op: ProvisioningOperation, ids: dict[str, Any]) -> PCSubscription:
    return subs.set_auto_renew(enabled=bool(op.payload["auto_renew"]), **ids)


def _reflects(op: ProvisioningOperation, sub: PCSubscription) -> bool:
    return sub.auto_renew_enabled == bool(op.payload["auto_renew"])


def auto_renew_changed(op: ProvisioningOperation, outcome: Outcome) -> None:
    subscription_services.subscription_apply_auto_renew(
        subscription=subscription_of(op), pc=outcome.data, actor=op.created_by
    )


STEP = change_step(_set_auto_renew, _reflects, auto_renew_changed)
