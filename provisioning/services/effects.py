"""The business effect of a confirmed step, applied in the transaction that records it."""

from __future__ import annotations

from typing import Any

from bss.choices import OrderStatus, RelationshipStatus
from bss.models import MCAAcceptance, MicrosoftTenant
from bss.services import mca as mca_services
from bss.services import orders as order_services
from bss.services import subscriptions as subscription_services
from bss.services.audit import audit_record, snapshot
from provisioning import pipeline
from provisioning.choices import SUBSCRIPTION_CHANGE_KINDS, OperationKind
from provisioning.models import InitialAdminCredentials, ProvisioningOperation


def apply_success(op: ProvisioningOperation, outcome: pipeline.Outcome) -> None:
    """The business effect of a confirmed step, in the transaction that records it."""
    kind = op.kind
    actor = op.created_by
    if kind in (OperationKind.CREATE_CUSTOMER, OperationKind.AWAIT_RELATIONSHIP):
        tenant = MicrosoftTenant.objects.select_for_update(of=("self",)).get(pk=op.tenant_id)
        before = snapshot(tenant, ["pc_customer_id", "default_domain", "relationship_status"])
        tenant.pc_customer_id = outcome.result["customer_id"]
        domain = (outcome.result.get("domain") or tenant.default_domain).lower()
        if (
            not MicrosoftTenant.objects.filter(instance_id=tenant.instance_id, default_domain=domain)
            .exclude(pk=tenant.pk)
            .exists()
        ):
            tenant.default_domain = domain
        tenant.relationship_status = RelationshipStatus.ACTIVE
        tenant.save(update_fields=["pc_customer_id", "default_domain", "relationship_status", "updated_at"])
        audit_record(
            actor=None,
            actor_label="provisioning",
            action="tenant.linked",
            obj=tenant,
            before=before,
            after=snapshot(tenant, ["pc_customer_id", "default_domain", "relationship_status"]),
        )
        if outcome.secret is not None and op.order_id is not None:
            InitialAdminCredentials.objects.update_or_create(
                order_id=op.order_id,
                defaults={"user_name": outcome.secret.user_name, "password": outcome.secret.password},
            )
        if kind == OperationKind.AWAIT_RELATIONSHIP and op.order is not None:
            order_services.order_set_status(order=op.order, status=OrderStatus.PROVISIONING)
    elif kind == OperationKind.CONFIRM_AGREEMENT:
        acceptance = MCAAcceptance.objects.get(pk=op.payload["acceptance_id"])
        if acceptance.attested_at is None:
            mca_services.mca_mark_attested(acceptance=acceptance, tenant=op.tenant)
    elif kind == OperationKind.RECORD_SUBSCRIPTIONS:
        _record_order_subscriptions(op, outcome)
    elif kind in SUBSCRIPTION_CHANGE_KINDS:
        pc = outcome.data
        sub = op.subscription
        if kind == OperationKind.CHANGE_QUANTITY:
            subscription_services.subscription_apply_quantity(
                subscription=sub, pc=pc, actor=actor, reason=op.payload.get("reason", "change")
            )
        elif kind == OperationKind.SET_AUTO_RENEW:
            subscription_services.subscription_apply_auto_renew(subscription=sub, pc=pc, actor=actor)
        elif kind == OperationKind.CANCEL:
            subscription_services.subscription_apply_cancel(subscription=sub, pc=pc, actor=actor)
        else:
            subscription_services.subscription_apply_status(subscription=sub, pc=pc, actor=actor)



def _record_order_subscriptions(op: ProvisioningOperation, outcome: pipeline.Outcome) -> None:
    order = op.order
    cart_op = ProvisioningOperation.objects.get(order=order, kind=OperationKind.CREATE_CART)
    lines = {line.pk: line for line in order.lines.all()}
    unmatched = [dict(entry) for entry in cart_op.payload["lines"]]
    tenant = MicrosoftTenant.objects.get(pk=op.tenant_id)
    for pc in sorted(outcome.data["subscriptions"], key=lambda s: s.id):
        entry = _match_line(unmatched, pc)
        line = lines.get(entry["order_line_id"]) if entry else None
        sub = subscription_services.subscription_record_from_partner_center(
            tenant=tenant, order_line=line, pc=pc, actor=order.placed_by
        )
        if pc.id in outcome.data["entitlements"]:
            subscription_services.subscription_record_entitlements(
                subscription=sub, entitlements=outcome.data["entitlements"][pc.id]
            )



def _match_line(unmatched: list[dict[str, Any]], pc: Any) -> dict[str, Any] | None:
    """The cart line a Partner Center subscription came from: same catalog item (else same product and SKU)."""
    offer = (pc.offer_id or "").upper()
    for rule in (
        lambda e: e["catalog_item_id"].upper() == offer and e["quantity"] == pc.quantity,
        lambda e: e["catalog_item_id"].upper() == offer,
        lambda e: e["catalog_item_id"].upper().split(":")[:2] == offer.split(":")[:2],
    ):
        for entry in unmatched:
            if rule(entry):
                unmatched.remove(entry)
                return entry
    return None

