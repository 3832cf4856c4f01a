"""Order intake: placing an order creates its chain of Partner Center operations; plus the storefront's checks
(domain prefix, reseller relationship) and the new tenant's initial admin credentials, shown once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from bss.choices import CspModel, OrderKind, OrderStatus, RelationshipStatus
from bss.exceptions import ApplicationError, NotFound
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
from bss.services import mca as mca_services
from bss.services import orders as order_services
from bss.services.accounts import customer_create, tenant_create
from bss.services.audit import audit_record
from partnercenter import errors as pc_errors
from provisioning.choices import OperationKind, OperationStatus
from provisioning.inputs import ExistingTenantInput, MCAAcceptanceInput, NewCustomerInput, OrderLineInput
from provisioning.models import InitialAdminCredentials, ProvisioningOperation
from provisioning.pipeline.base import GUID_RE
from provisioning.services.engine import operation_execute
from provisioning.services.lifecycle import enqueue

logger = logging.getLogger(__name__)

CREDENTIALS_TTL_HOURS = getattr(settings, "PROVISIONING_CREDENTIALS_TTL_HOURS", 72)


class MCARequired(ApplicationError):
    code = "mca_required"


def order_place(
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
    """Validate and place an order; provisioning starts once the transaction has committed.

    Exactly one of `new_customer` (a new BSS customer) or `customer` (an existing one) is given. With
    `existing_tenant` the order is for the customer's existing Microsoft 365 tenant: it waits in "awaiting
    relationship" until the tenant's admin has accepted the reseller relationship. With `new_customer` alone a new
    tenant `<domain_prefix>.onmicrosoft.com` is created (its availability is checked live first). With `customer`
    alone the order is for that customer's tenant on the marketplace's Partner Center instance.

    The same `submission_key` (one per cart submission: double click, two tabs) returns the order already placed
    instead of placing a second one. Raises `bss.exceptions.ApplicationError` subclasses with a message for the user.
    """
    if not submission_key:
        raise ApplicationError("A submission key is required.", code="submission_key_required")
    existing = _order_for_submission(submission_key, reseller)
    if existing is not None:
        return existing
    if (new_customer is None) == (customer is None):
        raise ApplicationError("Give either the new customer's details or an existing customer.", code="bad_request")
    if customer is not None and customer.reseller_id != reseller.pk:
        raise NotFound("Customer not found.")
    order_services.order_validate_instance(marketplace=marketplace)
    order_services.order_validate_lines(marketplace=marketplace, lines=lines)
    if new_customer is not None and existing_tenant is None:
        order_services.order_validate_new_customer(new_customer=new_customer, marketplace=marketplace)
        check = domain_prefix_check(instance=marketplace.instance, prefix=new_customer.domain_prefix)
        if not check.available and check.taken:
            raise order_services.DomainTaken(check.message)
    try:
        with transaction.atomic():
            return _order_place_atomic(
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
    except IntegrityError:
        # Two submissions of the same cart raced: the unique submission key let exactly one through.
        existing = _order_for_submission(submission_key, reseller)
        if existing is None:
            raise
        return existing



def _order_for_submission(submission_key: str, reseller: Reseller) -> Order | None:
    order = Order.objects.filter(submission_key=submission_key).first()
    if order is not None and order.reseller_id != reseller.pk:
        raise order_services.DuplicateSubmissionKey("This submission key has already been used.")
    return order



def _order_place_atomic(
    *,
    actor: User,
    marketplace: Marketplace,
    reseller: Reseller,
    lines: list[OrderLineInput],
    new_customer: NewCustomerInput | None,
    customer: Customer | None,
    existing_tenant: ExistingTenantInput | None,
    mca: MCAAcceptanceInput | None,
    submission_key: str,
) -> Order:
    instance = marketplace.instance
    if customer is not None:
        customer = Customer.objects.select_for_update(of=("self",)).get(pk=customer.pk)
    if mca is None and (customer is None or not mca_services.mca_on_record(customer=customer)):
        raise MCARequired(
            "The customer's acceptance of the Microsoft Customer Agreement must be on record before ordering: "
            "let the customer accept it, or confirm that the customer has accepted it."
        )
    if mca is not None:
        mca_services.mca_validate(actor=actor, mca=mca)

    tenant: MicrosoftTenant | None = None
    if existing_tenant is not None:
        kind = OrderKind.EXISTING_TENANT
        ref = existing_tenant.domain_or_tenant_id.strip().lower()
        if not ref:
            raise order_services.OrderRefused("Enter the tenant's domain or tenant id.", code="tenant_required")
        tenant = MicrosoftTenant.objects.filter(
            Q(default_domain=ref) | Q(pc_customer_id=ref), instance=instance
        ).first()
        if tenant is not None and (customer is None or tenant.customer_id != customer.pk):
            raise order_services.OrderRefused(
                f"The tenant {ref} already belongs to another customer.", code="tenant_taken"
            )
    elif new_customer is not None:
        kind = OrderKind.NEW_CUSTOMER
    else:
        kind = OrderKind.ADD_ON
        tenant = (
            MicrosoftTenant.objects.filter(customer=customer, instance=instance)
            .exclude(relationship_status=RelationshipStatus.REMOVED)
            .order_by("id")
            .first()
        )
        if tenant is None:
            raise order_services.OrderRefused(
                "This customer has no Microsoft tenant in this marketplace's Partner Center account yet.",
                code="tenant_required",
            )
        if tenant.relationship_status != RelationshipStatus.ACTIVE or not tenant.pc_customer_id:
            raise order_services.OrderRefused(
                f"The tenant {tenant.default_domain} is still being set up; order again once its first order "
                "has completed.",
                code="tenant_not_ready",
            )

    order_services.order_validate_repeat(tenant=tenant, lines=lines)
    targets = order_services.order_validate_targets(customer=customer, lines=lines)

    if customer is None:
        assert new_customer is not None
        customer = customer_create(
            actor=actor,
            reseller=reseller,
            marketplace=marketplace,
            company_name=new_customer.company_name.strip(),
            country=new_customer.country.strip().upper(),
            contact_first_name=new_customer.contact_first_name.strip(),
            contact_last_name=new_customer.contact_last_name.strip(),
            contact_email=new_customer.contact_email.strip(),
            contact_phone=new_customer.contact_phone.strip(),
            address_line1=new_customer.address_line1.strip(),
            city=new_customer.city.strip(),
            state=new_customer.state.strip(),
            postal_code=new_customer.postal_code.strip(),
            culture=new_customer.culture,
        )
    if tenant is None:
        if existing_tenant is not None:
            ref = existing_tenant.domain_or_tenant_id.strip().lower()
            tenant = tenant_create(
                actor=actor,
                customer=customer,
                instance=instance,
                default_domain=ref,
                pc_customer_id=ref if GUID_RE.match(ref) else None,
                relationship_status=RelationshipStatus.AWAITING_ACCEPTANCE,
            )
        else:
            assert new_customer is not None
            tenant = tenant_create(
                actor=actor,
                customer=customer,
                instance=instance,
                default_domain=order_services.domain_prefix_normalize(new_customer.domain_prefix)
                + order_services.ONMICROSOFT_SUFFIX,
            )

    acceptance = None
    if mca is not None:
        acceptance = mca_services.mca_acceptance_record(actor=actor, customer=customer, tenant=tenant, mca=mca)
    elif kind != OrderKind.ADD_ON:
        acceptance = MCAAcceptance.objects.filter(customer=customer).order_by("-accepted_at", "-id").first()
    else:
        acceptance = mca_services.mca_pending_attestation(customer=customer)

    order = order_services.order_create(
        actor=actor,
        kind=kind,
        customer=customer,
        tenant=tenant,
        reseller=reseller,
        marketplace=marketplace,
        lines=lines,
        submission_key=submission_key,
        status=OrderStatus.AWAITING_RELATIONSHIP if kind == OrderKind.EXISTING_TENANT else OrderStatus.PENDING,
    )
    first = _create_order_operations(
        order=order,
        actor=actor,
        instance=instance,
        tenant=tenant,
        new_customer=new_customer if kind == OrderKind.NEW_CUSTOMER else None,
        existing_tenant=existing_tenant,
        acceptance=acceptance,
        targets=targets,
        reseller=reseller,
    )
    if first is not None:
        enqueue(first.pk)
    return order



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
    elif existing_tenant is not None and tenant.relationship_status != RelationshipStatus.ACTIVE:
        steps.append(
            (OperationKind.AWAIT_RELATIONSHIP, {"domain_or_tenant_id": existing_tenant.domain_or_tenant_id}, None)
        )
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



@dataclass(frozen=True)
class DomainCheck:
    available: bool
    message: str
    domain: str = ""
    taken: bool = False



def domain_prefix_check(*, instance: PartnerCenterInstance, prefix: str) -> DomainCheck:
    """Format rules, then a live `HEAD /v1/domains/{prefix}.onmicrosoft.com` through the instance's client."""
    problem = order_services.domain_prefix_problem(prefix)
    if problem:
        return DomainCheck(False, problem)
    domain = order_services.domain_prefix_normalize(prefix) + order_services.ONMICROSOFT_SUFFIX
    if MicrosoftTenant.objects.filter(instance=instance, default_domain=domain).exists():
        return DomainCheck(False, f"{domain} is already taken; choose another prefix.", domain, taken=True)
    try:
        available = get_client(instance).customers.is_domain_available(domain=domain)
    except pc_errors.PartnerCenterError as exc:
        logger.warning("domain check failed for instance %s: %s", instance.pk, exc)
        return DomainCheck(False, "Partner Center could not be asked right now; try again in a moment.", domain)
    if not available:
        return DomainCheck(False, f"{domain} is already taken; choose another prefix.", domain, taken=True)
    return DomainCheck(True, f"{domain} is available.", domain)



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

