"""Orders: placing one (`order_place`: the customer and its tenant, the MCA acceptance, the order and its lines)
and status changes. The rules an order must satisfy first are in `bss.services.order_validation` (re-exported here).

`provisioning.services.orders.order_submit` is the entry point the storefront and the API call: it calls
`order_place` and creates the order's Partner Center operations in the same transaction. The only Partner Center
call here is the live check that a new tenant's domain is free (`domain_prefix_check`), made before the order is
written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from bss.choices import ORDER_TRANSITIONS, OrderKind, OrderStatus, RelationshipStatus
from bss.exceptions import ApplicationError, InvalidTransition, NotFound
from bss.inputs import ExistingTenantInput, MCAAcceptanceInput, NewCustomerInput, OrderLineInput
from bss.models import (
    Customer,
    Marketplace,
    MCAAcceptance,
    MicrosoftTenant,
    Order,
    OrderLine,
    Reseller,
    Subscription,
    User,
)
from bss.services import mca as mca_services
from bss.services.accounts import customer_create, tenant_create
from bss.services.audit import audit_record, snapshot
from bss.services.order_validation import (
    GUID_RE,
    ONMICROSOFT_SUFFIX,
    BillingCycleNotAllowed,
    DomainCheck,
    DomainTaken,
    DuplicateSubmissionKey,
    InstanceNotAcceptingOrders,
    InvalidCustomerDetails,
    InvalidDomainPrefix,
    MCARequired,
    OrderRefused,
    QuantityOutOfRange,
    RepeatOrderRefused,
    customer_address_problem,
    domain_prefix_check,
    domain_prefix_normalize,
    domain_prefix_problem,
    order_validate_instance,
    order_validate_lines,
    order_validate_new_customer,
    order_validate_repeat,
    order_validate_targets,
)

__all__ = [  # the validation is re-exported: callers know `bss.services.orders` as the place of order rules
    "GUID_RE",
    "BillingCycleNotAllowed",
    "DomainCheck",
    "DomainTaken",
    "DuplicateSubmissionKey",
    "InstanceNotAcceptingOrders",
    "InvalidCustomerDetails",
    "InvalidDomainPrefix",
    "MCARequired",
    "OrderRefused",
    "PlacedOrder",
    "QuantityOutOfRange",
    "RepeatOrderRefused",
    "domain_prefix_check",
    "domain_prefix_normalize",
    "domain_prefix_problem",
    "order_create",
    "order_place",
    "order_set_status",
    "order_validate_instance",
    "order_validate_lines",
    "order_validate_new_customer",
    "order_validate_repeat",
    "order_validate_targets",
]


@dataclass(frozen=True)
class PlacedOrder:
    """What `order_place` did: the order; `placed` False when it had been placed already (same submission key);
    the MCA acceptance to attest to Partner Center (if any) and the subscriptions that order lines add licences to;
    `held_for_staff` when the order waits for staff (its tenant is another reseller's customer's: the orderer is
    answered as for any tenant not related yet, and nothing may go to Partner Center until staff have resolved it)."""

    order: Order
    placed: bool
    acceptance: MCAAcceptance | None = None
    targets: dict[int, Subscription] = field(default_factory=dict)
    held_for_staff: bool = False



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
) -> PlacedOrder:
    """Validate and place an order: the customer and its tenant (new ones created), the MCA acceptance, the order
    and its lines. Partner Center is not asked to do anything here (`provisioning.services.orders.order_submit` adds
    the operations in the same transaction).

    Exactly one of `new_customer` (a new BSS customer) or `customer` (an existing one) is given. With
    `existing_tenant` the order is for the customer's existing Microsoft 365 tenant: it waits in "awaiting
    relationship" until the tenant's admin has accepted the reseller relationship. With `new_customer` alone a new
    tenant `<domain_prefix>.onmicrosoft.com` is created (its availability is checked live first). With `customer`
    alone the order is for that customer's tenant on the marketplace's Partner Center instance.

    The same `submission_key` (one per cart submission: double click, two tabs) returns the order already placed
    (`placed` False) instead of placing a second one. Raises `bss.exceptions.ApplicationError` subclasses with a
    message for the user.
    """
    if not submission_key:
        raise ApplicationError("A submission key is required.", code="submission_key_required")
    existing = _order_for_submission(submission_key, reseller)
    if existing is not None:
        return PlacedOrder(existing, placed=False)
    if (new_customer is None) == (customer is None):
        raise ApplicationError("Give either the new customer's details or an existing customer.", code="bad_request")
    if customer is not None and customer.reseller_id != reseller.pk:
        raise NotFound("Customer not found.")
    order_validate_instance(marketplace=marketplace)
    order_validate_lines(marketplace=marketplace, lines=lines)
    if new_customer is not None and existing_tenant is None:
        order_validate_new_customer(new_customer=new_customer, marketplace=marketplace)
        check = domain_prefix_check(instance=marketplace.instance, prefix=new_customer.domain_prefix)
        if not check.available and check.taken:
            raise DomainTaken(check.message)
    elif new_customer is not None:  # a new customer with its existing tenant: the same address rules
        address = customer_address_problem(
            marketplace=marketplace, country=new_customer.country, state=new_customer.state,
            address_line1=new_customer.address_line1, contact_phone=new_customer.contact_phone,
        )
        if address:
            raise InvalidCustomerDetails(address[1], extra={"field": address[0]})
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
        return PlacedOrder(existing, placed=False)


def _order_for_submission(submission_key: str, reseller: Reseller) -> Order | None:
    order = Order.objects.filter(submission_key=submission_key).first()
    if order is not None and order.reseller_id != reseller.pk:
        raise DuplicateSubmissionKey("This submission key has already been used.")
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
) -> PlacedOrder:
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
    conflict: MicrosoftTenant | None = None
    if existing_tenant is not None:
        kind = OrderKind.EXISTING_TENANT
        ref = existing_tenant.domain_or_tenant_id.strip().lower()
        if not ref:
            raise OrderRefused("Enter the tenant's domain or tenant id.", code="tenant_required")
        tenant = MicrosoftTenant.objects.filter(
            Q(default_domain=ref) | Q(pc_customer_id=ref), instance=instance
        ).first()
        if tenant is not None and (customer is None or tenant.customer_id != customer.pk):
            if tenant.customer.reseller_id == reseller.pk:
                raise OrderRefused(f"The tenant {ref} already belongs to another of your customers.",
                                   code="tenant_taken")
            # Another reseller's customer: saying so would tell this reseller who the other one serves. The order
            # waits as for any tenant not related yet, held for staff (audited below, visible to staff only).
            conflict = tenant
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
            raise OrderRefused(
                "This customer has no Microsoft tenant in this marketplace's Partner Center account yet.",
                code="tenant_required",
            )
        if tenant.relationship_status != RelationshipStatus.ACTIVE or not tenant.pc_customer_id:
            raise OrderRefused(
                f"The tenant {tenant.default_domain} is still being set up; order again once its first order "
                "has completed.",
                code="tenant_not_ready",
            )

    order_validate_repeat(tenant=tenant, lines=lines)
    targets = order_validate_targets(customer=customer, lines=lines)

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
                default_domain=domain_prefix_normalize(new_customer.domain_prefix)
                + ONMICROSOFT_SUFFIX,
            )

    acceptance = None
    if mca is not None:
        acceptance = mca_services.mca_acceptance_record(actor=actor, customer=customer, tenant=tenant, mca=mca)
    elif kind != OrderKind.ADD_ON:
        acceptance = MCAAcceptance.objects.filter(customer=customer).order_by("-accepted_at", "-id").first()
    else:
        acceptance = mca_services.mca_pending_attestation(customer=customer)

    order = order_create(
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
    if conflict is not None:
        _tenant_conflict_record(actor=actor, order=order, tenant=conflict, reseller=reseller)
    return PlacedOrder(order, placed=True, acceptance=acceptance, targets=targets, held_for_staff=conflict is not None)


def _tenant_conflict_record(*, actor: User, order: Order, tenant: MicrosoftTenant, reseller: Reseller) -> None:
    """Staff's record of an order for a tenant that another reseller's customer has (an audit event: staff only)."""
    owner = tenant.customer
    audit_record(
        actor=actor,
        action="order.tenant_conflict",
        obj=order,
        after={
            "tenant": tenant.default_domain,
            "tenant_id": tenant.pk,
            "ordering_reseller": f"{reseller.name} (#{reseller.pk})",
            "ordering_customer_id": order.customer_id,
            "tenant_reseller": f"{owner.reseller.name} (#{owner.reseller_id})",
            "tenant_customer": f"{owner.company_name} (#{owner.pk})",
            "held": "awaiting relationship until staff resolve it",
        },
    )


@transaction.atomic
def order_create(
    *,
    actor: User,
    kind: str,
    customer: Customer,
    tenant: MicrosoftTenant,
    reseller: Reseller,
    marketplace: Marketplace,
    lines: Sequence[OrderLineInput],
    submission_key: str,
    status: str = OrderStatus.PENDING,
) -> Order:
    """Create the order and its lines (a snapshot of what was sold) and audit it. Validation happens before."""
    if kind not in OrderKind.values:
        raise ApplicationError(f"Unknown order kind {kind!r}.", code="invalid_order_kind")
    order = Order.objects.create(
        kind=kind,
        status=status,
        customer=customer,
        tenant=tenant,
        reseller=reseller,
        marketplace=marketplace,
        placed_by=actor if actor.pk else None,
        currency=marketplace.currency,
        submission_key=submission_key or None,
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                pc_product_id=line.pc_product_id,
                pc_sku_id=line.pc_sku_id,
                pc_availability_id=line.pc_availability_id,
                product_name=line.product_name,
                quantity=line.quantity,
                term_duration=line.term_duration or "",
                billing_cycle=line.billing_cycle,
                unit_price=line.unit_price,
                currency=line.currency.upper(),
                target_subscription_id=line.target_subscription_id,
                parent_subscription_id=line.parent_subscription_id,
                promotion_id=line.promotion_id or "",
                promotion_ends_on=line.promotion_ends_on,
                regular_unit_price=line.regular_unit_price,
            )
            for line in lines
        ]
    )
    audit_record(
        actor=actor,
        action="order.place",
        obj=order,
        after={
            **snapshot(order, ["kind", "status", "customer_id", "tenant_id", "reseller_id", "marketplace_id"]),
            "lines": "; ".join(f"{line.quantity} x {line.product_name} ({line.billing_cycle})" for line in lines),
        },
    )
    return order


@transaction.atomic
def order_set_status(*, order: Order, status: str, actor: User | None = None, reason: str = "") -> Order:
    """Move the order to `status` if the transition table allows it (a no-op if it is there already); audited."""
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    if order.status == status:
        return order
    if status not in ORDER_TRANSITIONS.get(order.status, set()):
        raise InvalidTransition(
            f"Order {str(order.number)[:8]} cannot go from {order.get_status_display()} to "
            f"{OrderStatus(status).label}.",
            extra={"from": order.status, "to": status},
        )
    before = snapshot(order, ["status", "failure_reason"])
    order.status = status
    fields = ["status", "updated_at"]
    if status == OrderStatus.FAILED:
        order.failure_reason = reason[:2000]
        fields.append("failure_reason")
    elif order.failure_reason:
        order.failure_reason = ""
        fields.append("failure_reason")
    if status == OrderStatus.COMPLETED:
        order.completed_at = timezone.now()
        fields.append("completed_at")
    order.save(update_fields=fields)
    audit_record(
        actor=actor,
        actor_label="" if actor else "provisioning",
        action=f"order.{status}",
        obj=order,
        before=before,
        after=snapshot(order, ["status", "failure_reason"]),
    )
    return order
