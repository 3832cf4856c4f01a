"""What an order must satisfy before anything is created (`order_place` in `bss.services.orders` applies these):
an instance that takes orders, lines within the SKU's bounds (`bss.rules.quantities`) and an allowed billing cycle,
complete and well-formed customer details (a country that is an ISO 3166 code and a market the instance sells in,
an address, a phone number where Partner Center needs one), a free domain prefix (checked live), no second order of
a plan the tenant already has (unless the plan makes a new subscription per order), targets of "Buy extra
licences" that are the customer's active subscriptions. Each refusal is an `OrderRefused` with a message for the
user.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bss.choices import BillingCycle, OrderStatus, SubscriptionStatus
from bss.exceptions import ApplicationError
from bss.inputs import NewCustomerInput, OrderLineInput
from bss.models import Customer, Marketplace, MicrosoftTenant, OrderLine, PartnerCenterInstance, Subscription
from bss.partner_center import get_client
from bss.rules.countries import country_problem, markets_of
from bss.rules.quantities import QuantityBounds, is_azure_plan, quantity_bounds_problem
from partnercenter import errors as pc_errors

logger = logging.getLogger(__name__)

# Partner Center's rule for the initial domain: letters and digits only, at most 27 characters.
DOMAIN_PREFIX_RE = re.compile(r"^[a-z0-9]{1,27}$")
ONMICROSOFT_SUFFIX = ".onmicrosoft.com"
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{5,30}$")
# Countries where Partner Center requires a state/province, resp. a phone number, on the customer's address.
STATE_REQUIRED_COUNTRIES = frozenset({"US", "CA", "AU", "BR", "IN"})
PHONE_REQUIRED_COUNTRIES = frozenset({"AM", "AZ", "BY", "KZ", "KG", "MD", "RU", "TJ", "UZ", "UA"})
#: One name for adding licences to a subscription the customer has, everywhere (workspace, messages, API).
BUY_EXTRA_LICENCES = "Buy extra licences"
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
        if is_azure_plan(line.pc_product_id) and (line.quantity != 1 or line.term_duration):
            raise QuantityOutOfRange(
                f"{line.product_name}: an Azure plan is billed by usage; order exactly one, with no term.",
                extra={"min": 1, "max": 1, "quantity": line.quantity},
            )
        bounds = QuantityBounds.of_sku(line.min_quantity, line.max_quantity)
        problem = "" if is_azure_plan(line.pc_product_id) else quantity_bounds_problem(line.quantity, bounds)
        if problem:
            raise QuantityOutOfRange(
                f"{line.product_name}: quantity {line.quantity} is not allowed; it must be {bounds.describe()}. "
                f"{problem}",
                extra={"min": bounds.minimum, "max": bounds.maximum, "quantity": line.quantity},
            )
        if line.unit_price < 0:
            raise OrderRefused(f"{line.product_name}: the price cannot be negative.", code="invalid_price")
        if line.currency.upper() != marketplace.currency.upper():
            raise OrderRefused(
                f"{line.product_name}: priced in {line.currency}, but this marketplace sells in "
                f"{marketplace.currency}.",
                code="currency_mismatch",
            )


def customer_address_problem(
    *, marketplace: Marketplace, country: str, state: str, address_line1: str, contact_phone: str
) -> tuple[str, str] | None:
    """(field, why) when the customer's country, address or phone would be refused by Partner Center or is not
    served here: the country must be an ISO 3166-1 alpha-2 code and a market the marketplace's instance sells in."""
    code = (country or "").strip().upper()
    instance = marketplace.instance
    problem = country_problem(code, markets_of(instance.default_market, instance.markets, marketplace.market))
    if problem:
        return "country", problem
    if code in STATE_REQUIRED_COUNTRIES and not (state or "").strip():
        return "state", f"A state or province is required for addresses in {code}."
    address = (address_line1 or "").strip()
    if len(address) < 3 or not re.search(r"[A-Za-z0-9]", address):
        return "address_line1", "The address is not a street address."
    phone = (contact_phone or "").strip()
    if phone and not (_PHONE_RE.match(phone) and len(re.sub(r"\D", "", phone)) >= 5):
        return "contact_phone", "The contact phone number is not valid: digits, spaces, +, (, ), - only."
    if code in PHONE_REQUIRED_COUNTRIES and not phone:
        return "contact_phone", f"A phone number is required for customers in {code}."
    return None


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
    address = customer_address_problem(
        marketplace=marketplace, country=new_customer.country, state=new_customer.state,
        address_line1=new_customer.address_line1, contact_phone=new_customer.contact_phone,
    )
    if address:
        raise InvalidCustomerDetails(address[1], extra={"field": address[0]})
    if not re.fullmatch(r"[a-z]{2}", (new_customer.language or "").strip().lower()):
        raise InvalidCustomerDetails("The language must be a two-letter code such as en.")
    problem = domain_prefix_problem(new_customer.domain_prefix)
    if problem:
        raise InvalidDomainPrefix(problem)
    domain = domain_prefix_normalize(new_customer.domain_prefix) + ONMICROSOFT_SUFFIX
    if MicrosoftTenant.objects.filter(instance=marketplace.instance, default_domain=domain).exists():
        raise DomainTaken(f"{domain} is already taken; choose another domain prefix.")
    return domain


def _same_plan(*, product_id: str, sku_id: str, term: str, cycle: str) -> dict[str, str]:
    return {
        "pc_product_id__iexact": product_id,
        "pc_sku_id__iexact": sku_id,
        "term_duration": term or "",
        "billing_cycle": cycle,
    }


def repeat_purchase_problem(
    *, tenant: MicrosoftTenant | None, pc_product_id: str, pc_sku_id: str, term_duration: str, billing_cycle: str,
    product_name: str, new_subscription_per_order: bool = False,
) -> tuple[str, dict[str, object]]:
    """Why this plan (product, SKU, term and billing cycle) should not be bought again for the tenant, or "": the
    tenant already has a subscription of exactly this plan (licences are added to it with "Buy extra licences"), or
    an order of it is still in progress. Another plan of the same product (monthly beside annual, another term) is a
    second subscription and allowed; so is every order of a plan that makes a new subscription per order."""
    if new_subscription_per_order or tenant is None or tenant.pk is None:
        return "", {}
    plan = _same_plan(product_id=pc_product_id, sku_id=pc_sku_id, term=term_duration, cycle=billing_cycle)
    existing = (
        Subscription.objects.filter(tenant=tenant, **plan)
        .exclude(status__in=[SubscriptionStatus.DELETED, SubscriptionStatus.EXPIRED, SubscriptionStatus.DISABLED])
        .first()
    )
    if existing is not None and is_azure_plan(pc_product_id):
        return (
            f"{tenant.default_domain} already has an Azure plan; one is enough: add Azure subscriptions to it in "
            "the Azure portal.",
            {"subscription_id": existing.pk},
        )
    if existing is not None:
        return (
            f"{tenant.default_domain} already has {existing.name} (x{existing.quantity}) on this plan. Use "
            f"\"{BUY_EXTRA_LICENCES}\" on that subscription instead of ordering it again, or choose another term "
            "or billing cycle for a second subscription.",
            {"subscription_id": existing.pk},
        )
    in_flight = (
        OrderLine.objects.filter(
            order__tenant=tenant, order__status__in=_OPEN_ORDER_STATUSES, target_subscription__isnull=True,
            **plan,
        )
        .select_related("order")
        .first()
    )
    if in_flight is not None:
        return (
            f"{product_name} is already being ordered for {tenant.default_domain} (order "
            f"{str(in_flight.order.number)[:8]}); use \"{BUY_EXTRA_LICENCES}\" once that order has completed.",
            {"order_id": in_flight.order_id},
        )
    return "", {}


def order_validate_repeat(*, tenant: MicrosoftTenant | None, lines: Sequence[OrderLineInput]) -> None:
    """No plan twice in one order, and no second order of a plan the tenant already has (`repeat_purchase_problem`);
    plans that make a new subscription per order are exempt."""
    seen: set[tuple[str, str, str, str]] = set()
    for line in lines:
        if line.new_subscription_per_order or line.target_subscription_id:
            continue
        key = (line.pc_product_id.upper(), line.pc_sku_id.upper(), line.term_duration or "", line.billing_cycle)
        if key in seen:
            raise RepeatOrderRefused(
                f"{line.product_name} appears twice in this order; order it once with the total quantity."
            )
        seen.add(key)
        problem, extra = repeat_purchase_problem(
            tenant=tenant, pc_product_id=line.pc_product_id, pc_sku_id=line.pc_sku_id,
            term_duration=line.term_duration, billing_cycle=line.billing_cycle, product_name=line.product_name,
        )
        if problem:
            raise RepeatOrderRefused(problem, extra=extra)


def order_validate_targets(*, customer: Customer | None, lines: Sequence[OrderLineInput]) -> dict[int, Subscription]:
    """Lines that add licences to an existing subscription: it must be the customer's, and active."""
    targets: dict[int, Subscription] = {}
    for line in lines:
        if line.parent_subscription_id:
            base = (
                Subscription.objects.filter(pk=line.parent_subscription_id, customer=customer).first()
                if customer is not None and customer.pk
                else None
            )
            if base is None or base.status != SubscriptionStatus.ACTIVE or not base.pc_subscription_id:
                raise OrderRefused(
                    f"{line.product_name}: an add-on needs an active base subscription of this customer.",
                    code="addon_base_not_active",
                )
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
