"""Bulk seeding for benchmarks and large demos: N customers x K subscriptions of one partner in one control call.

A customer here is what a long-standing partner has: an accepted relationship, the Microsoft Customer Agreement
on record, and K subscriptions bought ``daysAgo`` days ago in one completed order (so they are outside Partner
Center's listing delay). Nothing goes through the order pipeline, so 100,000 subscriptions take seconds; the
objects are the same ones the API serves.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from .backend import Backend
from .backend.core import iso
from .body import CIDict
from .errors import PCError
from .seed import _confirm_mca
from .state import Customer, Order, OrderLine, PartnerAccount, Subscription

DEFAULT_ITEMS = ("CFQ7TTC0LH18:0001:CFQ7TTC0K971",)  # Microsoft 365 Business Basic, P1Y
MAX_SUBSCRIPTIONS = 2_000_000


def slim_subscription(sub: Subscription) -> dict[str, Any]:
    """The fields a BSS keeps of a subscription, under Partner Center's names (a subset of the API's JSON)."""
    return {
        "id": sub.id, "offerId": sub.offer_id, "offerName": sub.offer_name, "friendlyName": sub.friendly_name,
        "quantity": sub.quantity, "status": sub.status, "autoRenewEnabled": sub.auto_renew,
        "billingCycle": sub.billing_cycle, "termDuration": sub.term_duration or "",
        "commitmentEndDate": f"{sub.commitment_end.isoformat()}T00:00:00Z" if sub.commitment_end else None,
        "creationDate": iso(sub.created), "effectiveStartDate": iso(sub.effective_start), "orderId": sub.order_id,
        "partnerId": sub.partner_id,
    }


def bulk_seed(backend: Backend, partner: PartnerAccount, body: CIDict) -> dict[str, Any]:
    """Body: ``customers`` (N), ``subscriptionsPerCustomer`` (K), optional ``catalogItemIds`` (bought in turn),
    ``quantity`` (the first subscription's seats; each next one +1), ``daysAgo`` (default 30), ``country`` (US),
    ``prefix`` (domain prefix), ``billing`` (record Microsoft's charges too; default false), ``include``
    (``subscriptions``: the slim subscriptions of every customer, default; ``ids``: customer ids only)."""
    started = time.perf_counter()
    n = int(body.get("customers") or 0)
    k = int(body.get("subscriptionsPerCustomer") or 0)
    if n <= 0 or k < 0 or n * k > MAX_SUBSCRIPTIONS:
        raise PCError(400, 800002, description=f"customers must be > 0 and customers x subscriptionsPerCustomer "
                      f"at most {MAX_SUBSCRIPTIONS}")
    items = [str(i).upper() for i in (body.get("catalogItemIds") or DEFAULT_ITEMS)]
    country = (body.text("country") or "US").upper()
    offers = []
    for item in items:
        product_id, sku_id = item.split(":")[:2]
        offer = backend.catalog.find_sku(product_id, sku_id, country)
        if offer is None:
            raise PCError(400, 800002, description=f"catalog item {item} is not sold in {country}")
        offers.append(offer)
    base_quantity = int(body.get("quantity") or 1)
    created = backend.now - dt.timedelta(days=float(body.get("daysAgo", 30)))
    prefix = (body.text("prefix") or "bulk").lower()
    billing = bool(body.get("billing", False))
    include_subscriptions = (body.text("include") or "subscriptions").lower() == "subscriptions"
    state = backend.state
    ids = state.ids
    result: list[dict[str, Any]] = []
    serial = len(partner.customers)
    with state.lock:
        for _ in range(n):
            serial += 1
            domain = f"{prefix}{serial}x{ids.hex12()[:6]}.onmicrosoft.com"
            customer = Customer(
                id=ids.guid(), commerce_id=ids.guid(), domain=domain,
                company_name=f"{prefix.title()} Customer {serial}",
                email=f"it@{prefix}{serial}.example", culture="en-US", language="en",
                address={"country": country, "city": "Seattle", "state": "WA", "postalCode": "98101",
                         "addressLine1": "400 Pine St", "firstName": "Ana", "lastName": "Ruiz"},
                billing_profile_id=ids.guid(), billing_etag=ids.etag(), created=created, custom_domains=[domain],
            )
            backend.core.attach_customer(partner, customer)
            state.domains[domain] = customer.id
            _confirm_mca(partner, customer.id, created)
            subs = _buy(backend, partner, customer, offers, k, base_quantity, created, billing) if k else []
            entry: dict[str, Any] = {"id": customer.id, "domain": domain, "companyName": customer.company_name}
            if include_subscriptions:
                entry["subscriptions"] = [slim_subscription(s) for s in subs]
            result.append(entry)
    return {"partnerTenantId": partner.tenant_id, "customers": result,
            "subscriptions": n * k, "elapsedMs": int((time.perf_counter() - started) * 1000)}


def _buy(backend: Backend, partner: PartnerAccount, customer: Customer, offers: list[Any], k: int, base_quantity: int,
         created: dt.datetime, billing: bool) -> list[Subscription]:
    """One completed order of ``k`` lines and its ``k`` subscriptions."""
    ids = backend.state.ids
    lines = []
    for j in range(k):
        offer = offers[j % len(offers)]
        term = "P1Y" if ("P1Y", "monthly") in offer.prices else None
        price, list_price = offer.unit_prices(term, "monthly")
        quantity = base_quantity + j
        lines.append(OrderLine(
            line_item_number=j, offer_id=offer.catalog_item_id, product_id=offer.product_id, sku_id=offer.sku_id,
            availability_id=offer.availability_id, subscription_id=ids.guid(), term_duration=term,
            billing_cycle="monthly", friendly_name=f"{offer.sku_title} {j + 1}", quantity=quantity,
            country=customer.country, partner_id_on_record=None,
            pricing={"listPrice": list_price, "discountedPrice": price, "proratedPrice": price, "price": price,
                     "extendedPrice": round(price * quantity, 2)},
        ))
    order = Order(
        id=ids.hex12(), customer_id=customer.id, billing_cycle="monthly", currency_code=offers[0].currency,
        currency_symbol=offers[0].currency_symbol, lines=lines, created=created, completes_at=created,
        total_price=round(sum(line.pricing["extendedPrice"] for line in lines), 2), status="completed",
    )
    partner.orders[order.id] = order
    partner.customer_orders.setdefault(customer.id, []).append(order.id)
    subs = []
    for line in lines:
        offer = offers[line.line_item_number % len(offers)]
        sub = backend.orders.new_subscription(order, line, offer, created)
        partner.subscriptions[sub.id] = sub
        partner.customer_subscriptions.setdefault(customer.id, []).append(sub.id)
        if billing:
            backend.orders.charges.purchased(partner, order, line, sub)
        subs.append(sub)
    return subs
