"""Permission-scoped reads. Every tenant-scoped object is fetched here with the acting user; a foreign object
is "not found" (NotFound), never "forbidden", so that its existence is not revealed. Provider staff see what the
tool permissions they hold show (`bss.rules.permissions.staff_may_view`, one table for every door)."""

import re
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from bss.choices import ResellerKind, SubscriptionStatus, UserRole
from bss.exceptions import NotFound
from bss.models import Customer, Marketplace, MCAAcceptance, MicrosoftTenant, Order, Reseller, Subscription, User
from bss.rules.cycles import CYCLE_MONTHS
from bss.rules.permissions import Resource, staff_may_view


def user_is_provider_staff(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_superuser or user.is_provider_staff))


def _customer_scope(user: User, resource: Resource, prefix: str = "") -> Q:
    """A Q filter selecting the `resource` rows (of customers through `prefix`) the user may see."""
    if user_is_provider_staff(user):
        return Q() if staff_may_view(user, resource) else Q(pk__in=[])
    if user.is_authenticated and user.is_active:
        if user.role == UserRole.RESELLER and user.reseller_id:
            return Q(**{f"{prefix}reseller_id": user.reseller_id})
        if user.role == UserRole.CUSTOMER and user.customer_id:
            return Q(**{f"{prefix}pk": user.customer_id})
    return Q(pk__in=[])


def reseller_list_for_user(*, user: User) -> QuerySet[Reseller]:
    qs = Reseller.objects.select_related("parent")
    if user_is_provider_staff(user):
        return qs
    if user.is_authenticated and user.role == UserRole.RESELLER and user.reseller_id:
        return qs.filter(pk=user.reseller_id)
    return qs.none()


def marketplace_list_for_user(*, user: User) -> QuerySet[Marketplace]:
    """Marketplaces the user may shop in (the one resolver, for the storefront and the API).

    Provider staff: every active marketplace. A light reseller buys in its provider's marketplaces; a tenant
    reseller in its own (and its provider's when it has none of its own). A customer user: its customer's.
    """
    qs = Marketplace.objects.select_related("instance", "owner").filter(is_active=True)
    if user_is_provider_staff(user):
        return qs
    if not (user.is_authenticated and user.is_active):
        return qs.none()
    if user.role == UserRole.RESELLER and user.reseller is not None:
        reseller = user.reseller
        if reseller.kind == ResellerKind.TENANT and qs.filter(owner=reseller).exists():
            return qs.filter(owner=reseller)
        if reseller.kind == ResellerKind.PROVIDER:
            return qs.filter(owner=reseller)
        return qs.filter(owner_id=reseller.parent_id) if reseller.parent_id else qs.none()
    if user.role == UserRole.CUSTOMER and user.customer is not None:
        return qs.filter(pk=user.customer.marketplace_id)
    return qs.none()


_SLUG_RE = re.compile(r"[-a-zA-Z0-9_]{1,100}")


def marketplace_for_user(*, user: User, slug: str = "") -> Marketplace:
    """The marketplace a user shops in: the one named by `slug` among `marketplace_list_for_user`, else (not for
    staff, who pick one by slug) the first of them."""
    marketplaces = marketplace_list_for_user(user=user)
    if slug:
        # Only a well-formed slug reaches the database (a NUL byte or other junk is simply not a marketplace).
        candidate = marketplaces.filter(slug=slug).first() if _SLUG_RE.fullmatch(slug) else None
    else:
        candidate = None if user_is_provider_staff(user) else marketplaces.first()
    if candidate is None:
        raise NotFound("Marketplace not found." if slug else "No marketplace is available to this account.")
    return candidate


# Months in one billing period: an order line's unit price is per unit per billing period.
_MONTHS = Case(
    *(When(billing_cycle=cycle, then=Value(months)) for cycle, months in CYCLE_MONTHS.items() if months != 1),
    default=Value(1),
)


def reseller_list_with_figures(*, user: User) -> QuerySet[Reseller]:
    """Resellers with their customer count and monthly recurring revenue (active subscriptions at the prices
    they were ordered at, per month)."""
    revenue = (
        Subscription.objects.filter(
            customer__reseller=OuterRef("pk"), status=SubscriptionStatus.ACTIVE, order_line__isnull=False
        )
        .values("customer__reseller")
        .annotate(
            total=Sum(
                ExpressionWrapper(
                    F("quantity") * F("order_line__unit_price") / _MONTHS,
                    output_field=DecimalField(max_digits=18, decimal_places=4),
                )
            )
        )
        .values("total")
    )
    customers = Customer.objects.filter(reseller=OuterRef("pk")).values("reseller").annotate(n=Count("pk")).values("n")
    return reseller_list_for_user(user=user).annotate(
        customer_count=Coalesce(Subquery(customers), 0),
        monthly_revenue=Coalesce(
            Subquery(revenue, output_field=DecimalField(max_digits=18, decimal_places=4)), Value(Decimal(0))
        ),
    )


def customer_list_for_user(*, user: User, search: str = "") -> QuerySet[Customer]:
    qs = Customer.objects.select_related("reseller", "marketplace").filter(_customer_scope(user, Resource.CUSTOMER))
    if search:
        qs = qs.filter(Q(company_name__icontains=search) | Q(tenants__default_domain__icontains=search)).distinct()
    return qs


def customer_get_for_user(*, user: User, customer_id: int) -> Customer:
    try:
        return customer_list_for_user(user=user).get(pk=customer_id)
    except Customer.DoesNotExist:
        raise NotFound("Customer not found.") from None


def tenant_list_for_user(*, user: User) -> QuerySet[MicrosoftTenant]:
    return MicrosoftTenant.objects.select_related("customer", "instance").filter(
        _customer_scope(user, Resource.CUSTOMER, "customer__")
    )


def order_list_for_user(*, user: User) -> QuerySet[Order]:
    return Order.objects.select_related("customer", "tenant", "reseller", "marketplace").filter(
        _customer_scope(user, Resource.ORDER, "customer__")
    )


def order_get_for_user(*, user: User, order_id: int) -> Order:
    try:
        return order_list_for_user(user=user).prefetch_related("lines").get(pk=order_id)
    except Order.DoesNotExist:
        raise NotFound("Order not found.") from None


def subscription_list_for_user(*, user: User) -> QuerySet[Subscription]:
    return Subscription.objects.select_related("customer", "tenant", "tenant__instance").filter(
        _customer_scope(user, Resource.SUBSCRIPTION, "customer__")
    )


def subscription_get_for_user(*, user: User, subscription_id: int) -> Subscription:
    try:
        return subscription_list_for_user(user=user).get(pk=subscription_id)
    except Subscription.DoesNotExist:
        raise NotFound("Subscription not found.") from None


def mca_acceptance_list_for_user(*, user: User) -> QuerySet[MCAAcceptance]:
    """MCA acceptances (signatories' names, e-mails and phones): staff need the MCA log's permission."""
    return MCAAcceptance.objects.select_related("customer", "customer__reseller", "recorded_by", "tenant").filter(
        _customer_scope(user, Resource.MCA_ACCEPTANCE, "customer__")
    )


# --- Marketplaces: which marketplace a user belongs to or manages ------------------------------------------


def tenant_marketplaces() -> QuerySet[Marketplace]:
    return Marketplace.objects.select_related("owner", "instance").filter(
        is_active=True, owner__kind=ResellerKind.TENANT, owner__is_active=True
    )


def user_belongs_to_marketplace(user: User, marketplace: Marketplace) -> bool:
    """A user of the owning reseller, or a user of one of its customers who shops in this marketplace."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.role == UserRole.RESELLER:
        return user.reseller_id == marketplace.owner_id
    if user.role == UserRole.CUSTOMER and user.customer is not None:
        customer = user.customer
        return customer.reseller_id == marketplace.owner_id and customer.marketplace_id == marketplace.pk
    return False


def tenant_marketplace_for_member(*, user: User, slug: str) -> Marketplace:
    """The tenant reseller's marketplace at /m/<slug>/ for one of its members (provider staff may open any)."""
    marketplace = tenant_marketplaces().filter(slug=slug).first()
    if marketplace is None or not (user_is_provider_staff(user) or user_belongs_to_marketplace(user, marketplace)):
        raise NotFound("Marketplace not found.")
    return marketplace


def tenant_admin_marketplace(user: User) -> Marketplace:
    """The marketplace a tenant reseller's admin user manages."""
    if not (user.is_authenticated and user.is_active and user.role == UserRole.RESELLER and user.is_reseller_admin):
        raise NotFound("Not found.")
    marketplace = tenant_marketplaces().filter(owner_id=user.reseller_id).order_by("pk").first()
    if marketplace is None:
        raise NotFound("Not found.")
    return marketplace
