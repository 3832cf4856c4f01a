"""Carts and checkout: line validation (catalog, currency, terms, quantities, participants), then a two-step
checkout that places one order per order group."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..body import CIDict, plain
from ..catalog import AZURE_PLAN_PRODUCT, Offer
from ..catalog_data import PROMOTIONS
from ..errors import PCError
from ..state import Cart, CartLine, Customer, Order, OrderLine
from .core import SANDBOX_SEATS, SANDBOX_SUBSCRIPTIONS, BackendCore, Caller, cycle, has_mca, to_int
from .orders import Orders

BILLING_CYCLES = {"monthly", "annual", "triennial", "biennial", "one_time", "none", "unknown"}


class Carts:
    def __init__(self, core: BackendCore, orders: Orders) -> None:
        self.core = core
        self.orders = orders

    def offer_for(self, catalog_item_id: str, country: str) -> Offer | None:
        return self.core.catalog.find(catalog_item_id, country)

    def _cart(self, caller: Caller, customer: Customer, cart_id: str) -> Cart:
        cart = caller.partner.carts.get(cart_id.lower())
        if cart is None or cart.customer_id != customer.id or cart.expires <= self.core.now:
            raise PCError(404, 800008, description=f"Unable to retrieve cart ID {cart_id}")
        return cart

    def create(self, caller: Caller, customer_id: str, body: CIDict, request_id: str | None = None) -> Cart:
        customer = self.core.customer(caller, customer_id)
        if request_id:
            # Idempotent on MS-RequestId: a replayed POST answers with the cart the first one created.
            known = caller.partner.carts.get(caller.partner.cart_requests.get(request_id.lower(), ""))
            if known is not None and known.customer_id == customer.id:
                return known
        now = self.core.now
        cart = Cart(
            id=self.core.state.ids.guid(), customer_id=customer.id, created=now, modified=now,
            expires=now + dt.timedelta(days=self.core.state.config.cart_expiry_days),
            last_modified_user=caller.user_id or caller.partner.user_id, lines=[],
        )
        self._fill(caller, customer, cart, body)
        caller.partner.carts[cart.id] = cart
        if request_id:
            caller.partner.cart_requests[request_id.lower()] = cart.id
        return cart

    def update(self, caller: Caller, customer_id: str, cart_id: str, body: CIDict) -> Cart:
        customer = self.core.customer(caller, customer_id)
        cart = self._cart(caller, customer, cart_id)
        if cart.status != "Active" or cart.processing:
            raise PCError(400, 800065, cart.id)
        self._fill(caller, customer, cart, body)
        cart.modified = self.core.now
        cart.last_modified_user = caller.user_id or caller.partner.user_id
        return cart

    def get(self, caller: Caller, customer_id: str, cart_id: str) -> Cart:
        return self._cart(caller, self.core.customer(caller, customer_id), cart_id)

    def _fill(self, caller: Caller, customer: Customer, cart: Cart, body: CIDict) -> None:
        raw_lines = body.get("lineItems")
        if not isinstance(raw_lines, list) or not raw_lines:
            raise PCError(400, 800002, description="Invalid request input: lineItems must be a non-empty array")
        if "partnerOnRecordAttestationAccepted" in body:
            cart.partner_on_record_attestation_accepted = bool(body.get("partnerOnRecordAttestationAccepted"))
        lines: list[CartLine] = []
        for position, raw in enumerate(raw_lines):
            item = raw if isinstance(raw, CIDict) else CIDict()
            line_id = to_int(item.get("id", position), "lineItems.id")
            if line_id != position:
                raise PCError(400, 800071)
            if not item.text("catalogItemId") or item.get("quantity") is None:
                raise PCError(400, 800002, description="Invalid request input: catalogItemId and quantity are "
                              "required on every line item")
            participants = [
                {"key": cycle(p.get("key")), "value": str(p.get("value") or "")}
                for p in item.get("participants") or [] if isinstance(p, CIDict)
            ]
            renews_to = item.get("renewsTo")
            line = CartLine(
                id=line_id,
                catalog_item_id=item.text("catalogItemId") or "",
                quantity=to_int(item.get("quantity"), "quantity"),
                billing_cycle=cycle(item.get("billingCycle")),
                term_duration=(item.text("termDuration") or None),
                friendly_name=item.text("friendlyName"),
                currency_code=item.text("currencyCode") or "",
                promotion_id=item.text("promotionId"),
                provisioning_context=plain(item.get("provisioningContext") or {}),
                participants=participants,
                custom_term_end_date=item.text("customTermEndDate"),
                renews_to=plain(renews_to) if isinstance(renews_to, dict) else None,
                attestation_accepted=item.get("attestationAccepted"),
            )
            line.error = self._line_error(caller, customer, line)
            lines.append(line)
        groups: dict[str, str] = {}
        for line in lines:
            offer = self.offer_for(line.catalog_item_id, customer.country)
            key = offer.product_type if offer else "error"
            line.order_group = groups.setdefault(key, str(len(groups)))
        cart.lines = lines

    def _line_error(self, caller: Caller, customer: Customer, line: CartLine) -> dict[str, Any] | None:
        def error(code: int, description: str, **extra: Any) -> dict[str, Any]:
            return {"errorCode": code, "errorDescription": description, "additionalInformation": extra}

        offer = self.offer_for(line.catalog_item_id, customer.country)
        if offer is None and not self.core.catalog.is_stale(line.catalog_item_id):
            return error(10001, f"CatalogItemId {line.catalog_item_id} is not valid for country {customer.country}")
        if offer is None:
            return None  # a rotated availability: accepted here, refused at checkout with 400019
        currency = offer.currency
        if line.currency_code and line.currency_code.upper() != currency:
            return error(10000, f"Currency {line.currency_code} is not supported; use {currency}")
        line.currency_code = currency
        if not offer.is_purchasable:
            return error(500600, "The offer is no longer available for purchase")
        if not line.billing_cycle:
            return error(10010, "BillingCycle is required")  # a line error, not a 400 for the whole cart
        if line.billing_cycle not in BILLING_CYCLES:
            return error(10010, f"Invalid billing cycle {line.billing_cycle}")
        duration = line.term_duration.upper() if line.term_duration else None
        if offer.product_type == "Azure":
            duration = None
        if offer.term(duration, line.billing_cycle) is None:
            return error(10013, f"Billing plan {line.billing_cycle} with term {line.term_duration} is not "
                         "supported for this catalog item")
        line.term_duration = duration
        if line.quantity < offer.min_quantity or line.quantity > offer.max_quantity:
            return error(10015 if line.quantity > offer.max_quantity else 10010,
                         f"Quantity must be between {offer.min_quantity} and {offer.max_quantity}")
        if caller.partner.sandbox and line.quantity > SANDBOX_SEATS:
            return error(10009, "Sandbox limit exceeded")
        if line.participants and caller.partner.kind != "indirect_provider":
            return error(10004, "Participants are not supported for this partner")
        for participant in line.participants:
            if participant["key"] not in ("transaction_reseller", "additional_transaction_reseller"):
                return error(10010, f"Unknown participant key {participant['key']}")
        if line.promotion_id and not _promotion_fits(line.promotion_id, offer.product_id, offer.sku_id, duration,
                                                     line.billing_cycle):
            return error(10014, f"Promotion {line.promotion_id} is not valid for this line", promotionErrorCode=27007)
        return None

    # -- checkout ------------------------------------------------------------------------------------------
    def checkout_begin(self, caller: Caller, customer_id: str, cart_id: str) -> tuple[Cart, dict[str, Any] | None]:
        """First half of checkout: validate and mark the cart processing (or return the first result)."""
        customer = self.core.customer(caller, customer_id)
        cart = self._cart(caller, customer, cart_id)
        if cart.checkout_result is not None:
            return cart, cart.checkout_result
        if cart.processing:
            raise PCError(409, 800064, cart.id)
        if cart.status != "Active":
            raise PCError(400, 800065, cart.id)
        errors = [line for line in cart.lines if line.error]
        if errors:
            raise PCError(400, 800009, data=[{"lineItemId": e.id, **(e.error or {})} for e in errors])
        offers: list[Offer] = []
        for line in cart.lines:
            offer = self.offer_for(line.catalog_item_id, customer.country)
            if offer is None:
                # A rotated availability (accepted into the cart) or an offer gone since the cart was filled.
                raise PCError(404, 400019)
            offers.append(offer)
        if not has_mca(customer):
            raise PCError(403, 13605)
        partner = caller.partner
        if any(line.participants for line in cart.lines) and not cart.partner_on_record_attestation_accepted:
            raise PCError(400, 900206)
        for line in cart.lines:
            for participant in line.participants:
                reseller = partner.reseller_by_mpn(participant["value"])
                if reseller is None:
                    if participant["value"] == partner.mpn_id:
                        raise PCError(400, 2072, description="The partner ID on record can't be the provider's "
                                      "own partner ID")
                    raise PCError(404, 800015)
                if not reseller.mpa_accepted:
                    raise PCError(403, 900123)
        existing = self.core.subs_of(partner, customer.id)
        if any(offer.product_type == "Azure" for offer in offers) and any(
            s.product_id == AZURE_PLAN_PRODUCT and s.status != "deleted" for s in existing
        ):
            raise PCError(403, 800089, description="The customer already has an Azure plan; only one Azure plan "
                          "is allowed per customer")
        if partner.sandbox and len(existing) + len(cart.lines) > SANDBOX_SUBSCRIPTIONS:
            raise PCError(400, 800018)
        cart.processing = True
        return cart, None

    def checkout_commit(self, caller: Caller, cart: Cart) -> list[Order]:
        """Second half of checkout: create one order per order group.

        The caller renders the orders and keeps that first result on ``cart.checkout_result``: a repeated
        checkout of the same cart answers with it.
        """
        customer = caller.partner.customers[cart.customer_id]
        now = self.core.now
        ids = self.core.state.ids
        delay = dt.timedelta(seconds=self.core.state.config.order_provisioning_seconds)
        orders: list[Order] = []
        groups: dict[str, list[CartLine]] = {}
        for line in cart.lines:
            groups.setdefault(line.order_group, []).append(line)
        for group_lines in groups.values():
            order_id = ids.hex12()
            order_lines: list[OrderLine] = []
            first_offer: Offer | None = None
            for number, line in enumerate(group_lines):
                offer = self.offer_for(line.catalog_item_id, customer.country)
                assert offer is not None
                first_offer = first_offer or offer
                price, list_price = offer.unit_prices(line.term_duration, line.billing_cycle)
                reseller = next((p["value"] for p in line.participants if p["key"] == "transaction_reseller"), None)
                if reseller is None and customer.associated_partner_id:
                    associated = caller.partner.resellers.get(customer.associated_partner_id)
                    reseller = associated.mpn_id if associated else None
                order_lines.append(OrderLine(
                    line_item_number=number, offer_id=offer.catalog_item_id, product_id=offer.product_id,
                    sku_id=offer.sku_id, availability_id=offer.availability_id,
                    subscription_id=ids.guid(), term_duration=line.term_duration,
                    billing_cycle=line.billing_cycle, friendly_name=line.friendly_name or offer.sku_title,
                    quantity=line.quantity, country=customer.country, partner_id_on_record=reseller,
                    additional_partner_ids=[p["value"] for p in line.participants
                                            if p["key"] == "additional_transaction_reseller"],
                    pricing={"listPrice": list_price, "discountedPrice": price, "proratedPrice": price,
                             "price": price, "extendedPrice": round(price * line.quantity, 2)},
                    promotion_id=line.promotion_id, provisioning_context=dict(line.provisioning_context),
                ))
            assert first_offer is not None
            order = Order(
                id=order_id, customer_id=customer.id, billing_cycle=group_lines[0].billing_cycle,
                currency_code=first_offer.currency, currency_symbol=first_offer.currency_symbol, lines=order_lines,
                created=now, completes_at=now + delay,
                total_price=round(sum(line.pricing["extendedPrice"] for line in order_lines), 2),
            )
            caller.partner.orders[order.id] = order
            caller.partner.customer_orders.setdefault(customer.id, []).append(order.id)
            caller.partner.pending_orders.add(order.id)
            orders.append(order)
            self.core.audit(caller, "create_order", "order", customer, {"Id": order.id},
                            {"OrderId": order.id, "BillingCycle": order.billing_cycle,
                             **{f"OfferId-{line.line_item_number}": line.offer_id for line in order_lines},
                             **{f"SubscriptionId-{line.line_item_number}": line.subscription_id
                                for line in order_lines},
                             **{f"Quantity-{line.line_item_number}": line.quantity for line in order_lines}})
        cart.status = "Ordered"
        cart.processing = False
        cart.modified = now
        self.orders.settle(caller.partner)
        return orders

    @staticmethod
    def checkout_abort(cart: Cart) -> None:
        cart.processing = False


def _promotion_fits(promotion_id: str, product_id: str, sku_id: str, duration: str | None, billing_cycle: str) -> bool:
    """Whether the promotion exists and covers this product, SKU, term and billing cycle (seat limits and
    ownership are promotionEligibilities' business)."""
    return any(
        p["id"].lower() == promotion_id.lower() and (p["productId"], p["skuId"]) == (product_id, sku_id)
        and p["duration"] == (duration or "") and billing_cycle in p["cycles"]
        for p in PROMOTIONS
    )
