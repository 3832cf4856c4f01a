"""Order intake: an order placed by the core (`bss.services.orders.order_place`) gets its chain of Partner Center
operations (`order_submit`, what the storefront and the API call); plus the storefront's checks (reseller
relationship; the domain prefix check is the core's, re-exported here) and the new tenant's initial admin
credentials, shown once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bss.choices import CspModel, OrderKind, RelationshipStatus
from bss.inputs import ExistingTenantInput, MCAAcceptanceInput, NewCustomerInput, OrderLineInput
from bss.models import (
    Customer,
    Marketplace,
    MCAAcceptance,
    MicrosoftTenant,
    Order,
    PartnerCenterInstance,
    Reseller,
    Subscription,
    User,
)
from bss.partner_center import get_client
from bss.services import orders as order_services
from bss.services.audit import audit_record
from bss.services.orders import DomainCheck, domain_prefix_check
from partnercenter import errors as pc_errors
from provisioning.choices import OperationKind, OperationStatus
from provisioning.models import InitialAdminCredentials, ProvisioningOperation
from provisioning.pipeline import gdap as gdap_pipeline
from provisioning.services import promotions as promotion_services
from provisioning.services.engine import operation_execute
from provisioning.services.lifecycle import enqueue

__all__ = [
    "AdminCredentials",
    "DomainCheck",  # the domain check is the core's; re-exported for the storefront's live check
    "RelationshipCheck",
    "credentials_purge_expired",
    "domain_prefix_check",
    "order_check_relationship_now",
    "order_pop_admin_credentials",
    "order_progress",
    "order_submit",
    "relationship_request_link",
]

CREDENTIALS_TTL_HOURS = getattr(settings, "PROVISIONING_CREDENTIALS_TTL_HOURS", 72)


def order_submit(
    *,
    actor: User,
    marketplace: Marketplace,
    reseller: Reseller,
    lines: list[OrderLineInput],
    new_customer: NewCustomerInput | None = None,
    customer: Customer | None = None,
    existing_tenant: ExistingTenantInput | None = None,
    mca: MCAAcceptanceInput | None,
    submission_key: str,
) -> Order:
    """Place an order (the core's `order_place`: validation, customer and tenant, MCA acceptance, order and lines)
    and create its chain of Partner Center operations in the same transaction; provisioning starts once it has
    committed. The order already placed with this `submission_key` is returned as it is (its operations exist)."""
    # Promotions named on lines are confirmed by Partner Center (and priced) before anything is written.
    lines = promotion_services.lines_with_promotions(marketplace=marketplace, customer=customer, lines=lines)
    with transaction.atomic():
        placed = order_services.order_place(
            actor=actor,
            marketplace=marketplace,
            reseller=reseller,
            lines=lines,
            new_customer=new_customer,
            customer=customer,
            existing_tenant=existing_tenant,
            mca=mca,
            submission_key=submission_key,
        )
        if placed.placed:
            order = placed.order
            first = _create_order_operations(
                order=order,
                actor=actor,
                instance=marketplace.instance,
                tenant=order.tenant,
                new_customer=new_customer if order.kind == OrderKind.NEW_CUSTOMER else None,
                existing_tenant=existing_tenant,
                acceptance=placed.acceptance,
                targets=placed.targets,
                reseller=reseller,
                held_for_staff=placed.held_for_staff,
            )
            if first is not None:
                enqueue(first.pk)
    return placed.order


def _create_order_operations(
    *,
    order: Order,
    actor: User,
    instance: PartnerCenterInstance,
    tenant: MicrosoftTenant,
    new_customer: NewCustomerInput | None,
    existing_tenant: ExistingTenantInput | None,
    acceptance: MCAAcceptance | None,
    targets: dict[int, Subscription],
    reseller: Reseller,
    held_for_staff: bool = False,
) -> ProvisioningOperation | None:
    """The order's steps, chained: each depends on the previous one. Returns the first."""
    steps: list[tuple[str, dict[str, Any], Subscription | None]] = []
    customer = order.customer
    if new_customer is not None:
        steps.append(
            (
                OperationKind.CREATE_CUSTOMER,
                {
                    "domain": tenant.default_domain,
                    "company_name": customer.company_name,
                    "email": customer.contact_email,
                    "culture": new_customer.culture or "en-US",
                    "language": (new_customer.language or "en").lower(),
                    "associated_partner_id": _associated_partner_id(instance, reseller),
                    "address": {
                        "country": customer.country,
                        "city": customer.city,
                        "state": customer.state,
                        "address_line1": customer.address_line1,
                        "postal_code": customer.postal_code,
                        "first_name": customer.contact_first_name,
                        "last_name": customer.contact_last_name,
                        "phone_number": customer.contact_phone,
                    },
                },
                None,
            )
        )
    elif existing_tenant is not None and (held_for_staff or tenant.relationship_status != RelationshipStatus.ACTIVE):
        payload: dict[str, Any] = {"domain_or_tenant_id": existing_tenant.domain_or_tenant_id}
        if held_for_staff:  # the tenant is another reseller's customer's: it waits for staff, never for Microsoft
            payload["held_for_staff"] = True
        steps.append((OperationKind.AWAIT_RELATIONSHIP, payload, None))
    if existing_tenant is not None and new_customer is None and not held_for_staff:
        # GDAP asked at once: its approval link is shown next to the reseller relationship's
        steps[:0] = gdap_pipeline.order_steps(instance)
    if acceptance is not None and acceptance.attested_at is None:
        steps.append((OperationKind.CONFIRM_AGREEMENT, {"acceptance_id": acceptance.pk}, None))
    cart_lines = [line for line in order.lines.all() if line.target_subscription_id is None]
    if cart_lines:
        steps.append(
            (
                OperationKind.CREATE_CART,
                {
                    "lines": [
                        {
                            "order_line_id": line.pk,
                            "catalog_item_id": f"{line.pc_product_id}:{line.pc_sku_id}:{line.pc_availability_id}",
                            "product_name": line.product_name,
                            "quantity": line.quantity,
                            "billing_cycle": line.billing_cycle,
                            "term_duration": line.term_duration,
                            **({"promotion_id": line.promotion_id} if line.promotion_id else {}),
                        }
                        for line in cart_lines
                    ],
                    "transaction_reseller_id": _transaction_reseller_id(instance, reseller),
                },
                None,
            )
        )
        steps += [
            (OperationKind.CHECKOUT, {}, None),
            (OperationKind.AWAIT_ORDER, {}, None),
            (OperationKind.RECORD_SUBSCRIPTIONS, {}, None),
        ]
    for line in order.lines.all():
        if line.target_subscription_id is not None:
            target = targets[line.target_subscription_id]
            steps.append(
                (
                    OperationKind.CHANGE_QUANTITY,
                    {"quantity": target.quantity + line.quantity, "order_line_id": line.pk, "reason": "order"},
                    target,
                )
            )
    if new_customer is not None:  # once the customer exists: ask for admin rights from the default GDAP template
        steps += gdap_pipeline.order_steps(instance)
    previous = first = None
    for sequence, (kind, payload, subscription) in enumerate(steps, start=1):
        op = ProvisioningOperation.objects.create(
            kind=kind,
            instance=instance,
            order=order,
            tenant=tenant,
            subscription=subscription,
            sequence=sequence,
            depends_on=previous,
            payload=payload,
            created_by=actor if actor is not None and actor.pk else None,
        )
        first = first or op
        previous = op
    return first


def _associated_partner_id(instance: PartnerCenterInstance, reseller: Reseller) -> str:
    if instance.csp_model == CspModel.INDIRECT_PROVIDER and reseller.parent_id and reseller.pc_tenant_id:
        return reseller.pc_tenant_id
    return ""


def _transaction_reseller_id(instance: PartnerCenterInstance, reseller: Reseller) -> str:
    """Indirect providers put the reseller's partner id on every cart line (partner of record)."""
    if instance.csp_model == CspModel.INDIRECT_PROVIDER and reseller.parent_id and reseller.partner_id:
        return reseller.partner_id
    return ""


def relationship_request_link(*, instance: PartnerCenterInstance, reseller: Reseller) -> str:
    """The link the existing tenant's global admin opens to accept the reseller relationship.

    Indirect providers: the invitation names the indirect reseller (its tenant id, else its partner id) and the
    provider, so the customer accepts both; otherwise Partner Center's own link for this partner."""
    if (
        instance.csp_model == CspModel.INDIRECT_PROVIDER
        and reseller.parent_id
        and (reseller.pc_tenant_id or reseller.partner_id)
    ):
        return (
            "https://admin.microsoft.com/Adminportal/Home?invType=IndirectResellerRelationship"
            f"&partnerId={reseller.pc_tenant_id or reseller.partner_id}&msppId=0"
            f"&indirectCSPId={instance.partner_tenant_id}#/BillingAccounts/partner-invitation"
        )
    return get_client(instance).customers.get_relationship_request_link().url


@dataclass(frozen=True)
class RelationshipCheck:
    found: bool
    message: str
    order: Order


def order_check_relationship_now(*, order: Order) -> RelationshipCheck:
    """The "check now" button: look for the relationship at once (instead of at the next periodic check)."""
    op = (
        ProvisioningOperation.objects.filter(order=order, kind=OperationKind.AWAIT_RELATIONSHIP)
        .order_by("sequence")
        .first()
    )
    if op is None or op.status == OperationStatus.SUCCEEDED:
        order.refresh_from_db()
        return RelationshipCheck(True, "The reseller relationship is in place.", order)
    if op.status in (OperationStatus.FAILED, OperationStatus.CANCELLED):
        order.refresh_from_db()
        return RelationshipCheck(False, "This order is no longer waiting for the relationship.", order)
    try:
        op = operation_execute(operation_id=op.pk, worker=f"check-now-{uuid.uuid4().hex[:8]}")
    except pc_errors.PartnerCenterError:
        order.refresh_from_db()
        return RelationshipCheck(False, "Partner Center could not be asked right now; try again in a moment.", order)
    order.refresh_from_db()
    if op.status == OperationStatus.SUCCEEDED:
        return RelationshipCheck(True, "The relationship has been accepted; provisioning continues.", order)
    return RelationshipCheck(False, "Partner Center does not show the relationship yet.", order)


@dataclass(frozen=True)
class AdminCredentials:
    user_name: str
    password: str
    domain: str


@transaction.atomic
def order_pop_admin_credentials(*, order: Order, user: User) -> AdminCredentials | None:
    """The new tenant's initial admin credentials, once: to the user who placed the order, then they are deleted."""
    if not user.is_authenticated or order.placed_by_id != user.pk:
        return None
    held = InitialAdminCredentials.objects.select_for_update(of=("self",)).filter(order=order).first()
    if held is None:
        return None
    credentials = AdminCredentials(user_name=held.user_name, password=held.password, domain=order.tenant.default_domain)
    held.delete()
    audit_record(actor=user, action="order.admin_credentials_shown", obj=order, after={"user_name": held.user_name})
    return credentials


def credentials_purge_expired(*, now: datetime | None = None) -> int:
    """Initial passwords nobody came to see are deleted after the TTL (the admin can reset it in Microsoft 365)."""
    cutoff = (now or timezone.now()) - timedelta(hours=CREDENTIALS_TTL_HOURS)
    deleted, _ = InitialAdminCredentials.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def order_progress(*, order: Order) -> list[ProvisioningOperation]:
    """The order's steps in order, for the live status on the order page."""
    return list(ProvisioningOperation.objects.filter(order=order).order_by("sequence"))

