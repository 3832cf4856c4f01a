"""Orders: placing one (`order_place`: validation, the customer and its tenant, the MCA acceptance, the order and its
lines), the validation rules it applies, and status changes.

`provisioning.services.orders.order_submit` is the entry point the storefront and the API call: it calls
`order_place` and creates the order's Partner Center operations in the same transaction. The only Partner Center
call here is the live check that a new tenant's domain is free (`domain_prefix_check`), made before the order is
written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from bss.choices import (
    ORDER_TRANSITIONS,
    BillingCycle,
    OrderKind,
    OrderStatus,
    RelationshipStatus,
    SubscriptionStatus,
)
from bss.exceptions import ApplicationError, InvalidTransition, NotFound
from bss.inputs import ExistingTenantInput, MCAAcceptanceInput, NewCustomerInput, OrderLineInput
from bss.models import (
    Customer,
    Marketplace,
    MCAAcceptance,
    MicrosoftTenant,
    Order,
    OrderLine,
    PartnerCenterInstance,
    Reseller,
    Subscription,
    User,
)
from bss.partner_center import get_client
from bss.services import mca as mca_services
from bss.services.accounts import customer_create, tenant_create
from bss.services.audit import audit_record, snapshot
from partnercenter import errors as pc_errors

logger = logging.getLogger(__name__)

# Partner Center's rule for the initial domain: letters and digits only, at most 27 characters.
DOMAIN_PREFIX_RE = re.compile(r"^[a-z0-9]{1,27}$")
ONMICROSOFT_SUFFIX = ".onmicrosoft.com"
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_OPEN_ORDER_STATUSES = (OrderStatus.PENDING, OrderStatus.AWAITING_RELATIONSHIP, OrderStatus.PROVISIONING)


class OrderRefused(ApplicationError):
    """The order cannot be placed as given; `message` tells the user why and what to do."""

    code = "order_refused"


class InstanceNotAcceptingOrders(OrderRefused):
    code = "instance_not_accepting_orders"


class BillingCycleNotAllowed(OrderRefused):
    code = "billing_cycle_not_allowed"


class QuantityOutOfRange(OrderRefused):
    code = "quantity_out_of_range"


class InvalidCustomerDetails(OrderRefused):
    code = "invalid_customer_details"


class InvalidDomainPrefix(OrderRefused):
    code = "invalid_domain_prefix"


class DomainTaken(OrderRefused):
    code = "domain_taken"


class RepeatOrderRefused(OrderRefused):
    code = "repeat_order_refused"


class DuplicateSubmissionKey(OrderRefused):
    code = "duplicate_submission_key"


class MCARequired(ApplicationError):
    code = "mca_required"


@dataclass(frozen=True)
class DomainCheck:
    available: bool
    message: str
    domain: str = ""
    taken: bool = False


@dataclass(frozen=True)
class PlacedOrder:
    """What `order_place` did: the order; `placed` False when it had been placed already (same submission key);
    the MCA acceptance to attest to Partner Center (if any) and the subscriptions that order lines add licences to."""

    order: Order
    placed: bool
    acceptance: MCAAcceptance | None = None
    targets: dict[int, Subscription] = field(default_factory=dict)


def domain_prefix_normalize(prefix: str) -> str:
    """`Contoso` -> `contoso`; a pasted `contoso.onmicrosoft.com` is accepted too."""
    value = (prefix or "").strip().lower()
    if value.endswith(ONMICROSOFT_SUFFIX):
        value = value[: -len(ONMICROSOFT_SUFFIX)]
    return value


def domain_prefix_problem(prefix: str) -> str | None:
    """Why a domain prefix cannot be used (format rules only), or None if it is well formed."""
    value = domain_prefix_normalize(prefix)
    if not value:
        return "Enter a domain prefix for the new tenant (the part before .onmicrosoft.com)."
    if len(value) > 27:
        return "The domain prefix can be at most 27 characters long."
    if not DOMAIN_PREFIX_RE.match(value):
        return "The domain prefix can contain only letters and digits (no spaces, dots or hyphens)."
    return None


def domain_prefix_check(*, instance: PartnerCenterInstance, prefix: str) -> DomainCheck:
    """Format rules, then a live `HEAD /v1/domains/{prefix}.onmicrosoft.com` through the instance's client."""
    problem = domain_prefix_problem(prefix)
    if problem:
        return DomainCheck(False, problem)
    domain = domain_prefix_normalize(prefix) + ONMICROSOFT_SUFFIX
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


def order_validate_instance(*, marketplace: Marketplace) -> None:
    instance = marketplace.instance
    if not marketplace.is_active:
        raise InstanceNotAcceptingOrders(f"The marketplace {marketplace.name} is closed for new orders.")
    if not instance.accepts_orders:
        raise InstanceNotAcceptingOrders(
            f"The Partner Center account {instance.name} is retired or inactive and takes no new orders; "
            "existing subscriptions stay visible."
        )


def order_validate_lines(*, marketplace: Marketplace, lines: Sequence[OrderLineInput]) -> None:
    """Quantities within the offer's limits, billing cycle allowed, one currency (the marketplace's)."""
    if not lines:
        raise OrderRefused("The order has no lines.", code="order_empty")
    annual_allowed = marketplace.annual_billing_enabled and marketplace.instance.annual_provisioning_enabled
    for line in lines:
        if line.billing_cycle not in BillingCycle.values:
            raise BillingCycleNotAllowed(f"{line.product_name}: unknown billing cycle {line.billing_cycle!r}.")
        if line.billing_cycle == BillingCycle.ANNUAL and not annual_allowed:
            raise BillingCycleNotAllowed(
                f"{line.product_name}: annual billing is not offered in this marketplace; choose monthly billing."
            )
        maximum = line.max_quantity
        if line.quantity < max(line.min_quantity, 1) or (maximum is not None and line.quantity > maximum):
            low = max(line.min_quantity, 1)
            limits = f"between {low} and {maximum}" if maximum else f"at least {low}"
            raise QuantityOutOfRange(
                f"{line.product_name}: quantity {line.quantity} is not allowed; it must be {limits}.",
                extra={"min": line.min_quantity, "max": maximum, "quantity": line.quantity},
            )
        if line.unit_price < 0:
            raise OrderRefused(f"{line.product_name}: the price cannot be negative.", code="invalid_price")
        if line.currency.upper() != marketplace.currency.upper():
            raise OrderRefused(
                f"{line.product_name}: priced in {line.currency}, but this marketplace sells in "
                f"{marketplace.currency}.",
                code="currency_mismatch",
            )


def order_validate_new_customer(*, new_customer: NewCustomerInput, marketplace: Marketplace) -> str:
    """Company and contact details complete and well formed; returns the tenant's initial domain."""
    missing = [
        label
        for label, value in (
            ("company name", new_customer.company_name),
            ("contact first name", new_customer.contact_first_name),
            ("contact last name", new_customer.contact_last_name),
            ("contact email", new_customer.contact_email),
            ("address", new_customer.address_line1),
            ("city", new_customer.city),
            ("postal code", new_customer.postal_code),
            ("country", new_customer.country),
        )
        if not (value or "").strip()
    ]
    if missing:
        raise InvalidCustomerDetails("Please fill in: " + ", ".join(missing) + ".")
    if not _EMAIL_RE.match(new_customer.contact_email.strip()):
        raise InvalidCustomerDetails("The contact email address is not valid.")
    country = new_customer.country.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise InvalidCustomerDetails("The country must be a two-letter ISO code such as US or DE.")
    if country in {"US", "CA", "AU", "BR", "IN"} and not new_customer.state.strip():
        raise InvalidCustomerDetails(f"A state or province is required for addresses in {country}.")
    if not re.fullmatch(r"[a-z]{2}", (new_customer.language or "").strip().lower()):
        raise InvalidCustomerDetails("The language must be a two-letter code such as en.")
    problem = domain_prefix_problem(new_customer.domain_prefix)
    if problem:
        raise InvalidDomainPrefix(problem)
    domain = domain_prefix_normalize(new_customer.domain_prefix) + ONMICROSOFT_SUFFIX
    if MicrosoftTenant.objects.filter(instance=marketplace.instance, default_domain=domain).exists():
        raise DomainTaken(f"{domain} is already taken; choose another domain prefix.")
    return domain


def order_validate_repeat(*, tenant: MicrosoftTenant | None, lines: Sequence[OrderLineInput]) -> None:
    """Unless the plan makes a new subscription per order, a second order of the same offer for the same tenant is
    refused, pointing at "add licences" on the existing subscription (or the order still in progress)."""
    seen: set[tuple[str, str]] = set()
    for line in lines:
        if line.new_subscription_per_order or line.target_subscription_id:
            continue
        key = (line.pc_product_id.upper(), line.pc_sku_id.upper())
        if key in seen:
            raise RepeatOrderRefused(
                f"{line.product_name} appears twice in this order; order it once with the total quantity."
            )
        seen.add(key)
        if tenant is None or tenant.pk is None:
            continue
        existing = (
            Subscription.objects.filter(
                tenant=tenant, pc_product_id__iexact=line.pc_product_id, pc_sku_id__iexact=line.pc_sku_id
            )
            .exclude(status__in=[SubscriptionStatus.DELETED, SubscriptionStatus.EXPIRED, SubscriptionStatus.DISABLED])
            .first()
        )
        if existing is not None:
            raise RepeatOrderRefused(
                f"{tenant.default_domain} already has {existing.name} (x{existing.quantity}). Use \"Add licences\" "
                "on that subscription instead of ordering it again.",
                extra={"subscription_id": existing.pk},
            )
        in_flight = OrderLine.objects.filter(
            order__tenant=tenant,
            order__status__in=_OPEN_ORDER_STATUSES,
            pc_product_id__iexact=line.pc_product_id,
            pc_sku_id__iexact=line.pc_sku_id,
            target_subscription__isnull=True,
        ).first()
        if in_flight is not None:
            raise RepeatOrderRefused(
                f"{line.product_name} is already being ordered for {tenant.default_domain} (order "
                f"{str(in_flight.order.number)[:8]}); add licences once that order has completed.",
                extra={"order_id": in_flight.order_id},
            )


def order_validate_targets(*, customer: Customer | None, lines: Sequence[OrderLineInput]) -> dict[int, Subscription]:
    """Lines that add licences to an existing subscription: it must be the customer's, and active."""
    targets: dict[int, Subscription] = {}
    for line in lines:
        if not line.target_subscription_id:
            continue
        sub = (
            Subscription.objects.filter(pk=line.target_subscription_id, customer=customer).first()
            if customer is not None and customer.pk
            else None
        )
        if sub is None:
            raise OrderRefused("The subscription to add licences to was not found.", code="target_not_found")
        if sub.status != SubscriptionStatus.ACTIVE or not sub.pc_subscription_id:
            raise OrderRefused(
                f"Licences can be added only to an active subscription; {sub.name} is {sub.get_status_display()}.",
                code="target_not_active",
            )
        targets[line.target_subscription_id] = sub
    return targets


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
    if existing_tenant is not None:
        kind = OrderKind.EXISTING_TENANT
        ref = existing_tenant.domain_or_tenant_id.strip().lower()
        if not ref:
            raise OrderRefused("Enter the tenant's domain or tenant id.", code="tenant_required")
        tenant = MicrosoftTenant.objects.filter(
            Q(default_domain=ref) | Q(pc_customer_id=ref), instance=instance
        ).first()
        if tenant is not None and (customer is None or tenant.customer_id != customer.pk):
            raise OrderRefused(
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
    return PlacedOrder(order, placed=True, acceptance=acceptance, targets=targets)


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
