"""Reads of the storefront, scoped to the acting user.

A marketplace, cart line or order the user may not see is "not found" (`bss.exceptions.NotFound`), never
"forbidden". What can be bought comes from the catalog app; this module only shapes it for the pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from bss import selectors as bss_selectors
from bss.choices import BillingCycle, OrderStatus, RelationshipStatus, TermDuration, UserRole
from bss.exceptions import NotFound
from bss.models import Customer, Marketplace, MCAAcceptance, MicrosoftTenant, Order, Reseller, User
from bss.rules.quantities import quantity_bounds_problem
from catalog import offers as offer_source
from catalog import selectors as catalog_selectors
from storefront.models import Cart, CartLine

# Re-exported for the views: the storefront's view of a sellable offer.
StoreOffer = offer_source.StoreOffer
Plan = offer_source.Plan


# -- marketplaces -------------------------------------------------------------------------------------------
def marketplace_list_for_user(*, user: User) -> QuerySet[Marketplace]:
    """Marketplaces the user may shop in: the one resolver the API uses too (`bss.selectors`)."""
    return bss_selectors.marketplace_list_for_user(user=user)


def marketplace_get_for_user(*, user: User, slug: str) -> Marketplace:
    try:
        return marketplace_list_for_user(user=user).get(slug=slug)
    except Marketplace.DoesNotExist:
        raise NotFound("Marketplace not found.") from None


def reseller_for_order(*, user: User, marketplace: Marketplace) -> Reseller:
    """Whose order it is: the reseller user's reseller, the customer's reseller, or (staff) the marketplace owner."""
    if user.role == UserRole.RESELLER and user.reseller is not None:
        return user.reseller
    if user.role == UserRole.CUSTOMER and user.customer is not None:
        return user.customer.reseller
    return marketplace.owner


# -- catalog ------------------------------------------------------------------------------------------------
def annual_billing_allowed(*, marketplace: Marketplace) -> bool:
    """Annual billing is offered only when both the marketplace and its instance enable it (the catalog's rule)."""
    return catalog_selectors.annual_billing_allowed(marketplace)


def store_offer_list(
    *, marketplace: Marketplace, search: str = "", family: str = "", term: str = "", billing_cycle: str = ""
) -> list[StoreOffer]:
    """Published, active offers of the marketplace with their allowed plans, filtered as the catalog page asks."""
    return store_offer_filter(
        offers=offer_source.offers_for_marketplace(marketplace=marketplace),
        search=search, family=family, term=term, billing_cycle=billing_cycle,
    )


def store_offer_filter(
    *, offers: list[StoreOffer], search: str = "", family: str = "", term: str = "", billing_cycle: str = ""
) -> list[StoreOffer]:
    """Offers matching a search text and a product family, keeping only the plans of the wanted term/cycle."""
    search = search.strip().lower()
    result = []
    for offer in offers:
        if search and search not in offer.search_text:
            continue
        if family and offer.family != family:
            continue
        plans = [p for p in offer.plans if (not term or p.term_duration == term)
                 and (not billing_cycle or p.billing_cycle == billing_cycle)]
        if not plans:
            continue
        result.append(offer if len(plans) == len(offer.plans) else offer.with_plans(plans))
    return result


def store_offer_facets(*, offers: list[StoreOffer]) -> tuple[list[str], list[str], list[str]]:
    """Product families, terms and billing cycles present among `offers` (for the filter drop-downs)."""
    families = sorted({o.family for o in offers if o.family})
    term_order = [t for t in TermDuration.values if t]
    terms = [t for t in term_order if any(p.term_duration == t for o in offers for p in o.plans)]
    cycles = [c for c in BillingCycle.values if any(p.billing_cycle == c for o in offers for p in o.plans)]
    return families, terms, cycles


# -- carts --------------------------------------------------------------------------------------------------
def cart_get_for_user(*, user: User, marketplace: Marketplace) -> Cart | None:
    return Cart.objects.filter(user=user, marketplace=marketplace).first()


def cart_line_get_for_user(*, user: User, line_id: int) -> CartLine:
    """A line of one of the user's own carts (carts are personal: nobody else's line is visible)."""
    try:
        return CartLine.objects.select_related("cart", "cart__marketplace", "cart__marketplace__instance").get(
            pk=line_id, cart__user=user
        )
    except CartLine.DoesNotExist:
        raise NotFound("Cart line not found.") from None


def cart_line_count(*, user: User) -> int:
    if not user.is_authenticated:
        return 0
    return CartLine.objects.filter(cart__user=user).count()


@dataclass(frozen=True)
class PricedLine:
    """A cart line as the pages show it: current price, limits, and why it cannot be ordered (if so)."""

    id: int
    offer_id: int
    product_name: str
    family: str
    term_duration: str
    billing_cycle: str
    quantity: int
    unit_price: Decimal
    min_quantity: int
    max_quantity: int | None
    problem: str = ""
    offer: StoreOffer | None = None
    priced: bool = True
    promotion_id: str = ""  # asked for; Partner Center confirms eligibility (and the price) at checkout

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def term_label(self) -> str:
        return TermDuration(self.term_duration).label if self.term_duration in TermDuration.values else "No term"

    @property
    def billing_label(self) -> str:
        return BillingCycle(self.billing_cycle).label if self.billing_cycle in BillingCycle.values else "—"


@dataclass(frozen=True)
class CycleTotal:
    billing_cycle: str
    label: str
    amount: Decimal


@dataclass(frozen=True)
class CartTotals:
    by_cycle: list[CycleTotal]
    first_invoice: Decimal


@dataclass
class CartSummary:
    """Everything the cart page, the checkout steps and the placement need to know about a cart."""

    cart: Cart | None
    currency: str
    lines: list[PricedLine] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [f"{line.product_name}: {line.problem}" for line in self.lines if line.problem]

    @property
    def is_orderable(self) -> bool:
        return bool(self.lines) and not self.problems

    @property
    def totals(self) -> CartTotals:
        by_cycle: dict[str, Decimal] = {}
        for line in self.lines:
            by_cycle[line.billing_cycle] = by_cycle.get(line.billing_cycle, Decimal(0)) + line.total
        ordered = [c for c in BillingCycle.values if c in by_cycle]
        return CartTotals(
            by_cycle=[CycleTotal(c, BillingCycle(c).label, by_cycle[c]) for c in ordered],
            first_invoice=sum(by_cycle.values(), Decimal(0)),
        )

    @property
    def fingerprint(self) -> str:
        """Identifies the cart's exact content; a checkout key is only valid for the content it was made for."""
        return "|".join(f"{li.offer_id}:{li.term_duration}:{li.billing_cycle}:{li.quantity}" for li in self.lines)


def quantity_problem(*, offer: StoreOffer, quantity: int) -> str:
    """Why `quantity` cannot be ordered of `offer`: the one rule of the SKU's bounds (`bss.rules.quantities`)."""
    return quantity_bounds_problem(quantity, offer.bounds)


def cart_summary(*, marketplace: Marketplace, cart: Cart | None) -> CartSummary:
    """Prices every line from the catalog now and flags lines that can no longer be ordered as they are."""
    summary = CartSummary(cart=cart, currency=marketplace.currency)
    if cart is None:
        return summary
    lines = list(cart.lines.all())
    offers = offer_source.offers_by_id(marketplace=marketplace, offer_ids=[line.offer_id for line in lines])
    for line in lines:
        offer = offers.get(line.offer_id)
        plan = offer.plan(line.term_duration, line.billing_cycle) if offer else None
        if offer is None:
            problem = "no longer sold in this marketplace (unpublished or discontinued). Remove it to continue."
        elif plan is None:
            problem = "this term and billing cycle is no longer offered. Remove it and add the product again."
        else:
            problem = quantity_problem(offer=offer, quantity=line.quantity)
        summary.lines.append(
            PricedLine(
                id=line.pk,
                offer_id=line.offer_id,
                product_name=offer.name if offer else offer_source.offer_name(offer_id=line.offer_id),
                family=offer.family if offer else "",
                term_duration=line.term_duration,
                billing_cycle=line.billing_cycle,
                quantity=line.quantity,
                unit_price=plan.unit_price if plan else Decimal(0),
                min_quantity=offer.min_quantity if offer else 1,
                max_quantity=offer.max_quantity if offer else None,
                problem=problem,
                offer=offer,
                priced=plan is not None,
                promotion_id=line.promotion_id,
            )
        )
    return summary


# -- checkout -----------------------------------------------------------------------------------------------
def checkout_customer_list(*, user: User, marketplace: Marketplace) -> QuerySet[Customer]:
    """Existing customers an order in this marketplace may be for: the user's, with an active Microsoft tenant.

    Staff order in the storefront on behalf of the marketplace owner, so only for the owner's own customers."""
    customers = bss_selectors.customer_list_for_user(user=user)
    if user.role == UserRole.PROVIDER_STAFF:
        customers = customers.filter(reseller=marketplace.owner)
    return (
        customers
        .filter(
            marketplace=marketplace,
            tenants__instance=marketplace.instance,
            tenants__relationship_status=RelationshipStatus.ACTIVE,
        )
        .distinct()
        .order_by("company_name")
    )


def customer_tenant_for_user(*, user: User, marketplace: Marketplace) -> MicrosoftTenant | None:
    """A customer user's own Microsoft tenant on the marketplace's instance (None for other users)."""
    if user.role != UserRole.CUSTOMER or user.customer_id is None:
        return None
    return (
        MicrosoftTenant.objects.filter(customer_id=user.customer_id, instance=marketplace.instance,
                                       relationship_status=RelationshipStatus.ACTIVE)
        .order_by("id")
        .first()
    )


def checkout_customer_get(*, user: User, marketplace: Marketplace, customer_id: int) -> Customer:
    try:
        return checkout_customer_list(user=user, marketplace=marketplace).get(pk=customer_id)
    except Customer.DoesNotExist:
        raise NotFound("Customer not found.") from None


def mca_on_record(*, customer: Customer) -> MCAAcceptance | None:
    return MCAAcceptance.objects.filter(customer=customer).order_by("-accepted_at").first()


# -- orders -------------------------------------------------------------------------------------------------
def order_history_for_user(*, user: User, search: str = "", status: str = "") -> QuerySet[Order]:
    qs = bss_selectors.order_list_for_user(user=user).annotate(line_count=Count("lines"))
    if search:
        qs = qs.filter(
            Q(customer__company_name__icontains=search)
            | Q(tenant__default_domain__icontains=search)
            | Q(number__istartswith=search)
        )
    if status and status in OrderStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def order_get_for_user(*, user: User, order_id: int) -> Order:
    return bss_selectors.order_get_for_user(user=user, order_id=order_id)


def order_by_submission_key(*, user: User, submission_key: str) -> Order | None:
    """The order a checkout key already produced (double click, second tab), if the user may see it."""
    if not submission_key:
        return None
    return bss_selectors.order_list_for_user(user=user).filter(submission_key=submission_key).first()
