"""Changes at renewal through the API: the same service and refusals as the pages, against the simulator."""

import pytest

from bss.models import Subscription
from tests.api.test_commerce_api import _api_for, _order_body, shop  # noqa: F401  (shop is a fixture)

pytestmark = pytest.mark.django_db


def test_schedule_read_and_clear_a_change_at_renewal(shop, pc_sim, django_capture_on_commit_callbacks):  # noqa: F811
    api = _api_for(shop)
    [offer] = api.get("/api/v1/catalog/offers/").json()["offers"]
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/orders/place/", _order_body(offer["offer_id"], prefix="apinextterm"), format="json",
                 HTTP_IDEMPOTENCY_KEY="order-next-term")
    sub = Subscription.objects.get()
    held = pc_sim.app.state.partner(pc_sim.partners.direct.tenant_id).subscriptions[sub.pc_subscription_id]
    url = f"/api/v1/subscriptions/{sub.pk}/next-term/"

    state = api.get(url).json()
    assert state["instruction"] is None and state["renews_after"] == sub.commitment_end_date.isoformat()

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(url, {"quantity": 2, "billing_cycle": "annual"}, format="json")
    assert response.status_code == 202, response.json()
    assert api.get(f"/api/v1/operations/{response.json()['id']}/").json()["status"] == "succeeded"
    assert held.scheduled_next_term_instructions["quantity"] == 2
    state = api.get(url).json()
    assert state["instruction"]["quantity"] == 2 and state["confirmed_at"] is not None

    refused = api.post(url, {"term_duration": "P9Y"}, format="json")
    assert refused.status_code == 400 and "term_duration" in str(refused.json())
    refused = api.post(url, {}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "empty_instruction"

    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(url).status_code == 202
    assert held.scheduled_next_term_instructions is None and api.get(url).json()["instruction"] is None
    assert api.delete(url).json()["code"] == "no_instruction"
