"""The checkout refuses a country that is no ISO 3166 code ("XX") or no market the instance sells in, a made-up
address and a malformed phone at the details step, with the reason beside the field, before any tenant exists
(the core's rule, `bss.services.order_validation.customer_address_problem`).

Test client: a form error re-rendered by the server; a browser adds nothing here."""

from __future__ import annotations

import pytest

from bss.models import Customer, MicrosoftTenant
from tests.storefront.conftest import BUSINESS_BASIC
from tests.storefront.flow import add_to_cart, choose, details

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "field", "words"),
    [
        ({"country": "XX"}, "country", "not a country code"),
        ({"country": "JP", "state": ""}, "country", "sells in US"),
        ({"address_line1": "--"}, "address_line1", "street address"),
        ({"contact_phone": "+1 (((("}, "contact_phone", "phone number"),
    ],
)
def test_the_details_step_refuses_what_partner_center_would(reseller_client, publish, pc_sim, typed, field, words):
    add_to_cart(reseller_client, publish(BUSINESS_BASIC))
    choose(reseller_client, "new")

    response = details(reseller_client, **typed)

    assert response.status_code == 400
    assert any(words in e for e in response.context["form"].errors[field])
    assert not Customer.objects.exists() and not MicrosoftTenant.objects.exists()
    assert pc_sim.control.requests(method="POST", path="/v1/customers") == []
