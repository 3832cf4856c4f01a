"""Steps of the storefront checkout as a user takes them (Django test client), shared by the storefront tests."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from bss.models import Order
from provisioning.services import sweep as provisioning_services

NEW_CUSTOMER = {
    "company_name": "Adventure Works Cycles",
    "domain_prefix": "adventureworks42",
    "contact_first_name": "Ana",
    "contact_last_name": "Ruiz",
    "contact_email": "ana.ruiz@adventure-works.test",
    "contact_phone": "+1 206 555 0133",
    "address_line1": "1 Microsoft Way",
    "city": "Redmond",
    "state": "WA",
    "postal_code": "98052",
    "country": "US",
}

SIGNATORY = {
    "signatory_first_name": "Ana",
    "signatory_last_name": "Ruiz",
    "signatory_email": "ana.ruiz@adventure-works.test",
    "signatory_phone": "2065550133",
    "accept": "on",
}


def add_to_cart(client, offer, plan: str = "P1M:monthly", quantity: int = 1):
    return client.post(reverse("storefront:cart_add"), {"offer": offer.pk, "plan": plan, "quantity": quantity})


def choose(client, kind: str, customer=None):
    data = {"kind": kind}
    if customer is not None:
        data["customer"] = customer.pk
    return client.post(reverse("storefront:checkout_customer"), data)


def details(client, **overrides):
    return client.post(reverse("storefront:checkout_details"), {**NEW_CUSTOMER, **overrides})


def accept_mca(client, **overrides):
    data = {**SIGNATORY, "accepted_on": timezone.localdate().isoformat(), **overrides}
    return client.post(reverse("storefront:checkout_mca"), {k: v for k, v in data.items() if v is not None})


def review_key(client) -> str:
    response = client.get(reverse("storefront:checkout_review"))
    assert response.status_code == 200, response
    return response.context["submission_key"]


def place(client, capture, key: str):
    """POST the review form; provisioning tasks registered on commit run (eagerly) as they would after a commit."""
    with capture(execute=True):
        return client.post(reverse("storefront:checkout_place"), {"submission_key": key})


def new_customer_checkout(client, capture, **detail_overrides):
    """The whole wizard for a new customer; returns the placement response."""
    assert choose(client, "new").status_code == 302
    response = details(client, **detail_overrides)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert accept_mca(client).status_code == 302
    return place(client, capture, review_key(client))


def settle(pc_sim, order: Order, *, rounds: int = 6) -> Order:
    """Let time pass: the simulator finishes provisioning its orders, and the periodic sweep runs due steps."""
    for _ in range(rounds):
        order.refresh_from_db()
        if order.status in ("completed", "failed", "awaiting_relationship"):
            break
        pc_sim.control.advance(minutes=30)
        provisioning_services.operations_enqueue_due(now=timezone.now() + timedelta(hours=2))
    order.refresh_from_db()
    return order
