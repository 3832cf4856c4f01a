"""100,000 seats never reach Partner Center: the catalog's and the cart's quantity fields carry the SKU's bounds
(min/max attributes), the cart refuses with the reason, and the API refuses an order the same way (one rule:
`bss.rules.quantities.quantity_bounds_problem`).

Test client and API client: server-side refusals and attributes of the served HTML (a browser adds nothing)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.keys import api_key_create
from bss.models import Order
from provisioning.models import ProvisioningOperation
from storefront.models import CartLine
from tests.factories.bss import ResellerUserFactory, reseller_of
from tests.storefront.conftest import BUSINESS_BASIC
from tests.storefront.flow import add_to_cart

pytestmark = pytest.mark.django_db


def test_the_catalog_field_carries_the_bounds_and_the_cart_refuses_100000(reseller_client, publish, marketplace):
    offer = publish(BUSINESS_BASIC)

    catalog = reseller_client.get(reverse("storefront:catalog")).content.decode()
    assert 'name="quantity" value="1" min="1" max="300" aria-label="Quantity of' in catalog

    refused = reseller_client.post(reverse("storefront:cart_add"), {"offer": offer.pk, "plan": "P1M:monthly",
                                                                     "quantity": 100_000}, follow=True)
    assert "The maximum quantity is 300." in refused.content.decode()
    assert not CartLine.objects.exists()

    add_to_cart(reseller_client, offer, quantity=5)
    line = CartLine.objects.get()
    updated = reseller_client.post(reverse("storefront:cart_update", args=[line.pk]), {"quantity": 100_000},
                                   follow=True)
    assert "The maximum quantity is 300." in updated.content.decode()
    line.refresh_from_db()
    assert line.quantity == 5


def test_the_api_refuses_100000_seats_before_any_operation(marketplace, publish, pc_sim):
    offer = publish(BUSINESS_BASIC)
    admin = ResellerUserFactory(is_reseller_admin=True, reseller__parent=marketplace.owner)
    _key, secret = api_key_create(actor=admin, reseller=reseller_of(admin), name="integration")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    body = {
        "new_customer": {
            "company_name": "Fourth Coffee", "domain_prefix": "fourthcoffee100k", "contact_first_name": "Ana",
            "contact_last_name": "Bowman", "contact_email": "ana@fourthcoffee.example",
            "contact_phone": "4255550100", "address_line1": "1 Microsoft Way", "city": "Redmond", "state": "WA",
            "postal_code": "98052", "country": "US",
        },
        "lines": [{"offer_id": offer.pk, "quantity": 100_000, "term_duration": "P1M", "billing_cycle": "monthly"}],
        "mca": {"signatory_first_name": "Ana", "signatory_last_name": "Bowman",
                "signatory_email": "ana@fourthcoffee.example", "accepted_at": timezone.now().isoformat()},
    }

    refused = api.post("/api/v1/orders/place/", body, format="json", HTTP_IDEMPOTENCY_KEY="big-1")

    assert refused.status_code == 400, refused.json()
    assert refused.json()["code"] == "quantity_out_of_range" and "300" in refused.json()["message"]
    assert not Order.objects.exists() and not ProvisioningOperation.objects.exists()
    assert pc_sim.control.requests(method="POST", path="/v1/customers*") == []
