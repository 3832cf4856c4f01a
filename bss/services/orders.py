"""The domain side of orders: validation rules, creation of the order and its lines, and status changes.

`provisioning.services.order_place` is the entry point the storefront calls; it uses these functions inside its
transaction and adds the Partner Center operations. Nothing here talks to Partner Center.
"""

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from django.db import transaction
from django.utils import timezone

from bss.choices import ORDER_TRANSITIONS, BillingCycle, OrderKind, OrderStatus, SubscriptionStatus
from bss.exceptions import ApplicationError, InvalidTransition
from bss.models import Customer, Marketplace, MicrosoftTenant, Order, OrderLine, Reseller, Subscription, User
from bss.services.audit import audit_record, snapshot

# Partner Center's rule for the initial domain: letters and digits only, at most 27 characters.
DOMAIN_PREFIX_RE = re.compile(r"^[a-z0-9]{1,27}$")
ONMICROSOFT_SUFFIX = ".onmicrosoft.com"
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
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


class OrderLineSpec(Protocol):
    """What `provisioning.inputs.OrderLineInput` carries (structural: bss does not import provisioning)."""

    pc_product_id: str
    pc_sku_id: str
    pc_availability_id: str
    product_name: str
    quantity: int
    term_duration: str
    billing_cycle: str
    unit_price: Decimal
    currency: str
    min_quantity: int
    max_quantity: int | None
    new_subscription_per_order: bool
    target_subscription_id: int | None


class NewCustomerSpec(Protocol):
    company_name: str
    domain_prefix: str
    contact_first_name: str
    contact_last_name: str
    contact_email: str
    contact_phone: str
    address_line1: str
    city: str
    state: str
    postal_code: str
    country: str
    culture: str
    language: str


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


def order_validate_instance(*, marketplace: Marketplace) -> None:
    instance = marketplace.instance
    if not marketplace.is_active:
        raise InstanceNotAcceptingOrders(f"The marketplace {marketplace.name} is closed for new orders.")
    if not instance.accepts_orders:
        raise InstanceNotAcceptingOrders(
            f"The Partner Center account {instance.name} is retired or inactive and takes no new orders; "
            "existing subscriptions stay visible."
        )


def order_validate_lines(*, marketplace: Marketplace, lines: Sequence[OrderLineSpec]) -> None:
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


def order_validate_new_customer(*, new_customer: NewCustomerSpec, marketplace: Marketplace) -> str:
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


def order_validate_repeat(*, tenant: MicrosoftTenant | None, lines: Sequence[OrderLineSpec]) -> None:
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


def order_validate_targets(*, customer: Customer | None, lines: Sequence[OrderLineSpec]) -> dict[int, Subscription]:
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


@transaction.atomic
def order_create(
    *,
    actor: User,
    kind: str,
    customer: Customer,
    tenant: MicrosoftTenant,
    reseller: Reseller,
    marketplace: Marketplace,
    lines: Sequence[OrderLineSpec],
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
