"""Write operations of the storefront: the cart, and turning a checked-out cart into an order.

Carts are per-user scratch data (not audited: the order that comes out of a cart is). Placing an order is
`provisioning.services.orders.order_submit`'s job; `checkout_place` only builds its inputs from the cart and the
wizard, and empties the cart once the order exists.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from bss.exceptions import ApplicationError
from bss.inputs import ExistingTenantInput, MCAAcceptanceInput, NewCustomerInput, OrderLineInput
from bss.models import Customer, Marketplace, Order, Reseller, User
from bss.services.order_validation import repeat_purchase_problem
from catalog import lifecycle as catalog_lifecycle
from catalog.offers import store_offer_get
from provisioning.services import orders as provisioning_services
from storefront import selectors
from storefront.models import Cart, CartLine


class CartError(ApplicationError):
    code = "cart_invalid"


class OfferUnavailable(CartError):
    code = "offer_unavailable"


class PlanNotOffered(CartError):
    code = "plan_not_offered"


class QuantityOutOfRange(CartError):
    code = "quantity_out_of_range"


class AlreadyOwned(CartError):
    code = "repeat_order_refused"


class CheckoutError(ApplicationError):
    code = "checkout_invalid"


def _orderable_offer(*, marketplace: Marketplace, offer_id: int) -> selectors.StoreOffer:
    try:
        return store_offer_get(marketplace=marketplace, offer_id=offer_id)
    except ApplicationError:
        raise OfferUnavailable(
            "This product cannot be ordered: it is not published in this marketplace or has been discontinued."
        ) from None


def _check_quantity(*, offer: selectors.StoreOffer, quantity: int) -> None:
    problem = selectors.quantity_problem(offer=offer, quantity=quantity)
    if problem:
        raise QuantityOutOfRange(
            f"{offer.name}: {quantity} is not allowed. {problem}",
            extra={"min": offer.min_quantity, "max": offer.max_quantity, "quantity": quantity},
        )


def _check_not_owned(
    *, user: User, marketplace: Marketplace, offer: selectors.StoreOffer, term_duration: str, billing_cycle: str
) -> None:
    """A customer user is told at once (not at "Place order") that its organisation has this plan already: the
    core's rule (`bss.services.order_validation.repeat_purchase_problem`), pointing to "Buy extra licences"."""
    tenant = selectors.customer_tenant_for_user(user=user, marketplace=marketplace)
    problem, extra = repeat_purchase_problem(
        tenant=tenant, pc_product_id=offer.pc_product_id, pc_sku_id=offer.pc_sku_id, term_duration=term_duration,
        billing_cycle=billing_cycle, product_name=offer.name,
        new_subscription_per_order=offer.new_subscription_per_order,
    )
    if problem:
        raise AlreadyOwned(problem, extra=extra)


def _locked_cart(*, user: User, marketplace: Marketplace) -> Cart:
    """The user's cart in the marketplace, created if needed, locked for the rest of the transaction."""
    try:
        with transaction.atomic():
            Cart.objects.get_or_create(user=user, marketplace=marketplace)
    except IntegrityError:  # created concurrently by the user's other tab: fine, lock that one
        pass
    return Cart.objects.select_for_update(of=("self",)).get(user=user, marketplace=marketplace)


@transaction.atomic
def cart_add_line(
    *, user: User, marketplace: Marketplace, offer_id: int, term_duration: str, billing_cycle: str, quantity: int,
    promotion_id: str = "",
) -> CartLine:
    """Add `quantity` licences of an offer in one term/billing cycle to the user's cart in the marketplace.

    The same offer and plan already in the cart gets its quantity raised instead of a second line. Raises
    OfferUnavailable (not published, discontinued, another marketplace), PlanNotOffered (e.g. annual billing where
    it is not enabled) or QuantityOutOfRange (the resulting quantity is outside the SKU's limits).
    """
    offer = _orderable_offer(marketplace=marketplace, offer_id=offer_id)
    if offer.plan(term_duration, billing_cycle) is None:
        raise PlanNotOffered(f"{offer.name} is not offered with this term and billing cycle in this marketplace.")
    _check_not_owned(user=user, marketplace=marketplace, offer=offer, term_duration=term_duration,
                     billing_cycle=billing_cycle)
    promotion_id = (promotion_id or "").strip()
    if promotion_id and catalog_lifecycle.promotion_for_plan(
        marketplace=marketplace, promotion_id=promotion_id, pc_product_id=offer.pc_product_id,
        pc_sku_id=offer.pc_sku_id, term_duration=term_duration, billing_cycle=billing_cycle,
    ) is None:
        raise PlanNotOffered(f"{offer.name}: the promotion {promotion_id} is not running for this term and billing "
                             "cycle.", code="promotion_not_offered")
    cart = _locked_cart(user=user, marketplace=marketplace)
    line = CartLine.objects.filter(
        cart=cart, offer_id=offer.id, term_duration=term_duration, billing_cycle=billing_cycle
    ).first()
    new_quantity = quantity + (line.quantity if line else 0)
    _check_quantity(offer=offer, quantity=new_quantity)
    if line is None:
        line = CartLine.objects.create(
            cart=cart, offer_id=offer.id, term_duration=term_duration, billing_cycle=billing_cycle, quantity=quantity,
            promotion_id=promotion_id,
        )
    else:
        line.quantity = new_quantity
        line.promotion_id = promotion_id or line.promotion_id
        line.save(update_fields=["quantity", "promotion_id", "updated_at"])
    cart.save(update_fields=["updated_at"])
    return line


@transaction.atomic
def cart_update_line(*, line: CartLine, quantity: int) -> CartLine:
    """Set a line's quantity (within the offer's limits; the offer must still be orderable)."""
    offer = _orderable_offer(marketplace=line.cart.marketplace, offer_id=line.offer_id)
    _check_quantity(offer=offer, quantity=quantity)
    line = CartLine.objects.select_for_update(of=("self",)).get(pk=line.pk)
    line.quantity = quantity
    line.save(update_fields=["quantity", "updated_at"])
    return line


@transaction.atomic
def cart_remove_line(*, line: CartLine) -> None:
    CartLine.objects.filter(pk=line.pk).delete()


@transaction.atomic
def cart_clear(*, cart: Cart) -> None:
    CartLine.objects.filter(cart=cart).delete()


def order_lines_from_cart(*, summary: selectors.CartSummary) -> list[OrderLineInput]:
    """The order's lines: a snapshot of each cart line at today's price. Refuses a cart that cannot be ordered."""
    if not summary.lines:
        raise CheckoutError("Your cart is empty.", code="cart_empty")
    if summary.problems:
        raise CheckoutError("Some lines of your cart cannot be ordered: " + " ".join(summary.problems))
    lines = []
    for line in summary.lines:
        offer = line.offer
        plan = offer.plan(line.term_duration, line.billing_cycle) if offer else None
        if offer is None or plan is None:  # pragma: no cover - excluded by `problems`
            raise CheckoutError(f"{line.product_name} cannot be ordered.")
        lines.append(
            OrderLineInput(
                pc_product_id=offer.pc_product_id,
                pc_sku_id=offer.pc_sku_id,
                pc_availability_id=plan.availability_id,
                product_name=offer.name,
                quantity=line.quantity,
                term_duration=line.term_duration,
                billing_cycle=line.billing_cycle,
                unit_price=plan.unit_price,
                currency=summary.currency,
                min_quantity=offer.min_quantity,
                max_quantity=offer.max_quantity,
                new_subscription_per_order=offer.new_subscription_per_order,
                promotion_id=line.promotion_id,
            )
        )
    return lines


def checkout_place(
    *,
    actor: User,
    marketplace: Marketplace,
    reseller: Reseller,
    cart: Cart,
    submission_key: str,
    mca: MCAAcceptanceInput | None,
    new_customer: NewCustomerInput | None = None,
    customer: Customer | None = None,
    existing_tenant: ExistingTenantInput | None = None,
) -> Order:
    """Place the order for the cart (through `provisioning.services.orders.order_submit`) and empty the cart.

    Idempotent on `submission_key`: the same key (double click, a second tab) yields the order it already
    produced, even once the cart is empty. Errors are ApplicationErrors with a message for the user; nothing is
    created when one is raised.
    """
    existing = selectors.order_by_submission_key(user=actor, submission_key=submission_key)
    if existing is not None:
        return existing
    summary = selectors.cart_summary(marketplace=marketplace, cart=cart)
    lines = order_lines_from_cart(summary=summary)
    order = provisioning_services.order_submit(
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
    cart_clear(cart=cart)
    return order
