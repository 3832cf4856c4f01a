"""Hardening 10 through the API: an order for a tenant that another reseller's customer has is answered as for any
tenant not related yet (201, awaiting the relationship), never "already belongs to another customer".

API client (JSON answers; a browser adds nothing)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.keys import api_key_create
from bss.models import AuditEvent
from tests.factories.bss import (
    CustomerFactory,
    MicrosoftTenantFactory,
    ResellerFactory,
    ResellerUserFactory,
    reseller_of,
)
from tests.storefront.conftest import BUSINESS_BASIC

pytestmark = pytest.mark.django_db


def _body(offer_id, tenant):
    return {
        "existing_tenant": tenant,
        "new_customer": {
            "company_name": "Fourth Coffee", "domain_prefix": "fourthcoffeeprobe", "contact_first_name": "Ana",
            "contact_last_name": "Bowman", "contact_email": "ana@fourthcoffee.example",
            "contact_phone": "4255550100", "address_line1": "1 Microsoft Way", "city": "Redmond", "state": "WA",
            "postal_code": "98052", "country": "US",
        },
        "lines": [{"offer_id": offer_id, "quantity": 5, "term_duration": "P1M", "billing_cycle": "monthly"}],
        "mca": {"signatory_first_name": "Ana", "signatory_last_name": "Bowman",
                "signatory_email": "ana@fourthcoffee.example", "accepted_at": timezone.now().isoformat()},
    }


def test_the_api_answers_another_resellers_tenant_like_an_unrelated_one(marketplace, publish, pc_sim,
                                                                         django_capture_on_commit_callbacks):
    offer = publish(BUSINESS_BASIC)
    other = ResellerFactory(parent=marketplace.owner, name="Birch Reseller")
    MicrosoftTenantFactory(customer=CustomerFactory(reseller=other, marketplace=marketplace),
                           default_domain="birchs.onmicrosoft.com")
    admin = ResellerUserFactory(is_reseller_admin=True, reseller__parent=marketplace.owner)
    _key, secret = api_key_create(actor=admin, reseller=reseller_of(admin), name="integration")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")

    with django_capture_on_commit_callbacks(execute=True):
        probed = api.post("/api/v1/orders/place/", _body(offer.pk, "birchs.onmicrosoft.com"), format="json",
                          HTTP_IDEMPOTENCY_KEY="probe-1")
        unrelated = api.post("/api/v1/orders/place/", _body(offer.pk, "nobodys.onmicrosoft.com"), format="json",
                             HTTP_IDEMPOTENCY_KEY="probe-2")

    assert probed.status_code == unrelated.status_code == 201, probed.json()
    assert probed.json()["status"] == unrelated.json()["status"] == "awaiting_relationship"
    assert "another customer" not in probed.content.decode()
    assert AuditEvent.objects.filter(action="order.tenant_conflict", object_id=str(probed.json()["id"])).exists()
