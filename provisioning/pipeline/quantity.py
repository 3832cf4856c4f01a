"""Change a subscription's licence quantity (a change asked for, or an order line adding licences); on success the
BSS quantity follows, with its licence ledger row, and the wanted next-term instruction is re-applied."""

from __future__ import annotations

from typing import Any

from bss.services import subscriptions as subscription_services
from partnercenter.resources.subscriptions import SubscriptionsResource
from partnercenter.types import Subscription as PCSubscription
from provisioning.models import ProvisioningOperation
from provisioning.pipeline.base import Outcome, subscription_of
from provisioning.pipeline.subscription_change import change_step


def _set_quantity(subs: SubscriptionsResource, op: ProvisioningOperation, ids: dict[str, Any]) -> PCSubscription:
    return subs.set_quantity(quantity=int(op.payload["quantity"]), **ids)


def _reflects(op: ProvisioningOperation, sub: PCSubscription) -> bool:
    return sub.quantity == int(op.payload["quantity"])


def quantity_changed(op: ProvisioningOperation, outcome: Outcome) -> None:
    subscription_services.subscription_apply_quantity(
        subscription=subscription_of(op),
        pc=outcome.data,
        actor=op.created_by,
        reason=op.payload.get("reason", "change"),
    )
    # Microsoft deleted the scheduled next-term instruction with this mid-term change: send the wanted one again.
    from provisioning.services.renewals import next_term_reapply  # the services import the pipeline's registry

    next_term_reapply(subscription=subscription_of(op), reason="after_quantity_change")


STEP = change_step(_set_quantity, _reflects, quantity_changed)
