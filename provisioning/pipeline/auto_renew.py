"""Turn a subscription's auto-renew on or off; on success the BSS flag follows (off: the change at renewal is
dropped, as Partner Center drops it)."""

from __future__ import annotations

from typing import Any

from bss.services import renewals as renewal_services
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
    sub = subscription_services.subscription_apply_auto_renew(
        subscription=subscription_of(op), pc=outcome.data, actor=op.created_by
    )
    if not sub.auto_renew:
        # No next term: the change at renewal the BSS kept is dropped with Partner Center's.
        renewal_services.next_term_instruction_forget(subscription=sub, actor=op.created_by, reason="auto_renew_off")


STEP = change_step(_set_auto_renew, _reflects, auto_renew_changed)
