"""Upgrade a subscription (a Partner Center transition): move some or all of its licences to a higher SKU, into a new
co-terminous subscription or an existing one. On completion the BSS records the target, the source's new quantity
and a `convert` ledger entry on each side (`bss.services.upgrades`).

Idempotent: a transition is created at most once per operation. The transition's id is kept in the operation's
result as soon as Partner Center answers; a later attempt (still running, or after a timeout) looks for it in the
source's transitions instead of creating another one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from bss.services import upgrades as upgrade_services
from partnercenter.client import PartnerCenterClient
from partnercenter.lifecycle_types import Transition
from partnercenter.types import Subscription as PCSubscription
from provisioning.models import ProvisioningOperation
from provisioning.pipeline.base import Outcome, PermanentFailure, Step, sanitize, subscription_of
from provisioning.pipeline.subscription_change import _subscription_ids


@dataclass(frozen=True)
class _Done:
    transition: Transition
    target: PCSubscription


def _outcome(client: PartnerCenterClient, op: ProvisioningOperation, transition: Transition) -> Outcome:
    customer_id, _ = _subscription_ids(op)
    result = {
        "transition_id": transition.id,
        "to_subscription_id": transition.to_subscription_id,
        "quantity": transition.quantity,
        "status": (transition.status or "").strip(),
    }
    failed = [e for e in transition.events if (e.status or "").strip().lower() == "failed"]
    if failed or (transition.status or "").strip().lower() == "failed":
        raise PermanentFailure("Partner Center could not complete the upgrade.", code="transition_failed")
    if not transition.completed or not transition.to_subscription_id:
        return Outcome(result=result, wait=15.0, message="Partner Center is applying the upgrade.")
    target = client.subscriptions.get(customer_id=customer_id, subscription_id=transition.to_subscription_id)
    return Outcome(result=result, response=sanitize(transition), data=_Done(transition, target))


def _known(client: PartnerCenterClient, op: ProvisioningOperation) -> Transition | None:
    """This operation's transition if Partner Center already has it (by the id kept, or, after a lost answer, the
    one transition to the same target and quantity made since the operation was asked for)."""
    customer_id, subscription_id = _subscription_ids(op)
    transitions = client.subscriptions.list_transitions(customer_id=customer_id, subscription_id=subscription_id)
    kept = (op.result or {}).get("transition_id")
    if kept:
        return next((t for t in transitions if t.id == kept), None)
    target = str(op.payload["to_catalog_item_id"]).upper()
    converts = subscription_of(op).ledger.filter(kind="convert").exclude(reference_id="")
    recorded = set(converts.values_list("reference_id", flat=True))
    started = op.created_at
    for t in transitions:
        when = next((e.timestamp for e in t.events if e.timestamp is not None), None)
        if (
            t.id not in recorded
            and (t.to_catalog_item_id or "").upper() == target
            and t.quantity == int(op.payload["quantity"])
            and (when is None or when >= started)
        ):
            return t
    return None


def execute(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    customer_id, subscription_id = _subscription_ids(op)
    if (op.result or {}).get("transition_id"):
        known = _known(client, op)
        if known is None:
            raise PermanentFailure("Partner Center no longer lists the upgrade it started.", code="transition_lost")
        return _outcome(client, op, known)
    payload = op.payload
    transition = client.subscriptions.create_transition(
        customer_id=customer_id,
        subscription_id=subscription_id,
        to_catalog_item_id=payload["to_catalog_item_id"],
        quantity=int(payload["quantity"]),
        to_subscription_id=payload.get("to_subscription_id") or None,
        transition_type=payload.get("transition_type") or "transition_only",
        request_id=str(op.ms_request_id),
    )
    return _outcome(client, op, transition)


def settle(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    known = _known(client, op)
    if known is not None:
        outcome = _outcome(client, op, known)
        outcome.result["settled_by"] = "read-back"
        return outcome
    return execute(client, op)


def _price(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def upgraded(op: ProvisioningOperation, outcome: Outcome) -> None:
    done = outcome.data
    if not isinstance(done, _Done):  # a replayed success without the typed answer: nothing new to record
        return
    events = [e.timestamp for e in done.transition.events if e.timestamp is not None]
    upgrade_services.subscription_record_upgrade(
        source=subscription_of(op),
        transition_id=done.transition.id or str(op.ms_request_id),
        moved=int(done.transition.quantity or op.payload["quantity"]),
        pc_target=done.target,
        at=max(events) if events else timezone.now(),
        target_unit_price=_price(op.payload.get("unit_price")),
        currency=op.payload.get("currency") or "",
        target_name=op.payload.get("target_name") or "",
        actor=op.created_by,
    )
    source = subscription_of(op)
    source.refresh_from_db()
    if source.quantity > 0:
        # A partial upgrade is a mid-term change of the source: Microsoft deleted its change at renewal.
        from provisioning.services.renewals import next_term_reapply  # the services import the pipeline's registry

        next_term_reapply(subscription=source, reason="after_upgrade")


STEP = Step(execute=execute, settle=settle, apply=upgraded)
