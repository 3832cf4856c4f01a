"""What the subscription changes (quantity, status, auto-renew, cancel) share: one call to Partner Center, done once
the subscription Partner Center returns reflects the change; the read-back after a timeout reads the subscription and
calls again only if the change is not there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from partnercenter.client import PartnerCenterClient
from partnercenter.resources.subscriptions import SubscriptionsResource
from partnercenter.types import Subscription as PCSubscription
from provisioning.models import ProvisioningOperation
from provisioning.pipeline.base import Effect, Outcome, PermanentFailure, Step, sanitize

# The call for one kind: (the client's subscriptions resource, the operation, the ids and MS-RequestId) -> subscription
Call = Callable[[SubscriptionsResource, ProvisioningOperation, dict[str, Any]], PCSubscription]
Reflects = Callable[[ProvisioningOperation, PCSubscription], bool]


def _subscription_ids(op: ProvisioningOperation) -> tuple[str, str]:
    sub = op.subscription
    if sub is None or not sub.pc_subscription_id:
        raise PermanentFailure("The subscription has no Partner Center id.", code="subscription_not_linked")
    if not sub.tenant.pc_customer_id:
        raise PermanentFailure("The customer's tenant has no Partner Center id yet.", code="tenant_not_ready")
    return sub.tenant.pc_customer_id, sub.pc_subscription_id


def change_step(call: Call, reflects: Reflects, apply: Effect) -> Step:
    """The `Step` of one kind of subscription change."""

    def execute(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
        customer_id, subscription_id = _subscription_ids(op)
        ids = {"customer_id": customer_id, "subscription_id": subscription_id, "request_id": str(op.ms_request_id)}
        updated = call(client.subscriptions, op, ids)
        if not reflects(op, updated):
            return Outcome(
                wait=30.0, message="Partner Center accepted the change and is still applying it.", data=updated
            )
        return Outcome(
            result={"quantity": updated.quantity, "status": updated.status}, response=sanitize(updated), data=updated
        )

    def settle(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
        customer_id, subscription_id = _subscription_ids(op)
        current = client.subscriptions.get(customer_id=customer_id, subscription_id=subscription_id)
        if reflects(op, current):
            return Outcome(
                result={"quantity": current.quantity, "status": current.status, "settled_by": "read-back"},
                response=sanitize(current),
                data=current,
            )
        return execute(client, op)

    return Step(execute=execute, settle=settle, apply=apply)
