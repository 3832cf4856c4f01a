from __future__ import annotations

import logging
from typing import cast

import pytest
import requests
import responses
from responses import matchers

from partnercenter import (
    AppUserAuthRequiredError,
    BadRequestError,
    PartnerCenterClient,
    RequestTimeoutError,
    ServerError,
    StaticTokenProvider,
    ThrottledError,
    TransportError,
)
from partnercenter._transport import path_template, resource_family

from .conftest import BASE, FakeSleep, fixture_json

CUSTOMER_ID = "eebd1b55-5360-4438-a11d-5c06918c3014"


@responses.activate
def test_retries_503_with_same_request_id_and_fresh_correlation_id(client: PartnerCenterClient, fake_sleep: FakeSleep):
    url = f"{BASE}/v1/customers"
    responses.add(responses.POST, url, json={"code": 800003, "description": "boom"}, status=503)
    responses.add(responses.POST, url, json=fixture_json("customer-create-response"), status=201)

    customer = client.customers.create(
        request_id="4b7c2f6e-0000-4000-8000-000000000001",
        domain="xyz.onmicrosoft.com",
        company_name="test company",
        email="test@outlook.com",
        address=_address(),
    )

    assert customer.id == "dfd8cc0a-c592-468c-8461-869a38d24738"
    sent = [c.request.headers for c in responses.calls]
    assert len(sent) == 2
    assert {h["MS-RequestId"] for h in sent} == {"4b7c2f6e-0000-4000-8000-000000000001"}
    assert sent[0]["MS-CorrelationId"] != sent[1]["MS-CorrelationId"]
    assert all(h["MS-Contract-Version"] == "v1" for h in sent)
    assert all(h["Authorization"] == "Bearer app-token" for h in sent)
    assert len(fake_sleep.calls) == 1 and 0 < fake_sleep.calls[0] <= 0.5


@responses.activate
def test_429_waits_retry_after_seconds(client: PartnerCenterClient, fake_sleep: FakeSleep):
    url = f"{BASE}/v1/customers/{CUSTOMER_ID}"
    responses.add(
        responses.GET, url, json=fixture_json("error-429-throttled-response"), status=429, headers={"Retry-After": "7"}
    )
    responses.add(responses.GET, url, json=fixture_json("customer-get-response"))

    customer = client.customers.get(customer_id=CUSTOMER_ID)

    assert customer.id == CUSTOMER_ID
    assert fake_sleep.calls == [7.0]


@responses.activate
def test_429_gives_up_after_max_retries_with_retry_after(client: PartnerCenterClient, fake_sleep: FakeSleep):
    url = f"{BASE}/v1/customers/{CUSTOMER_ID}"
    for _ in range(3):
        responses.add(
            responses.GET,
            url,
            json={"statusCode": 429, "message": "slow down"},
            status=429,
            headers={"Retry-After": "3"},
        )

    with pytest.raises(ThrottledError) as info:
        client.customers.get(customer_id=CUSTOMER_ID)

    assert info.value.retry_after == 3.0
    assert info.value.retryable is True
    assert info.value.description == "slow down"
    assert fake_sleep.calls == [3.0, 3.0]
    assert len(responses.calls) == 3


@responses.activate
def test_long_retry_after_is_left_to_the_caller(client: PartnerCenterClient, fake_sleep: FakeSleep):
    url = f"{BASE}/v1/customers/{CUSTOMER_ID}"
    responses.add(
        responses.GET, url, json={"statusCode": 429, "message": "x"}, status=429, headers={"Retry-After": "600"}
    )

    with pytest.raises(ThrottledError) as info:
        client.customers.get(customer_id=CUSTOMER_ID)

    assert info.value.retry_after == 600.0
    assert fake_sleep.calls == []
    assert len(responses.calls) == 1


@responses.activate
def test_400_is_not_retried(client: PartnerCenterClient, fake_sleep: FakeSleep):
    url = f"{BASE}/v1/customers/{CUSTOMER_ID}"
    responses.add(
        responses.GET,
        url,
        json={"code": 800002, "description": "Invalid request input", "data": [], "source": "PartnerFD"},
        status=400,
    )

    with pytest.raises(BadRequestError) as info:
        client.customers.get(customer_id=CUSTOMER_ID)

    assert info.value.code == 800002
    assert info.value.retryable is False
    assert len(responses.calls) == 1
    assert fake_sleep.calls == []


@responses.activate
def test_connection_error_is_retried(client: PartnerCenterClient, fake_sleep: FakeSleep):
    url = f"{BASE}/v1/customers/{CUSTOMER_ID}"
    responses.add(responses.GET, url, body=requests.ConnectionError("reset"))
    responses.add(responses.GET, url, json=fixture_json("customer-get-response"))

    assert client.customers.get(customer_id=CUSTOMER_ID).id == CUSTOMER_ID
    assert len(responses.calls) == 2
    assert len(fake_sleep.calls) == 1


@responses.activate
def test_timeouts_exhaust_retries_into_timeout_error(client: PartnerCenterClient, fake_sleep: FakeSleep):
    url = f"{BASE}/v1/customers/{CUSTOMER_ID}"
    for _ in range(3):
        responses.add(responses.GET, url, body=requests.ReadTimeout("slow"))

    with pytest.raises(RequestTimeoutError) as info:
        client.customers.get(customer_id=CUSTOMER_ID)

    assert isinstance(info.value, TransportError)
    assert info.value.retryable is True
    assert len(responses.calls) == 3
    assert len(fake_sleep.calls) == 2
    # backoff grows: second wait ceiling is twice the first
    assert fake_sleep.calls[1] <= 1.0


@responses.activate
def test_5xx_exhausted_raises_server_error(client: PartnerCenterClient):
    url = f"{BASE}/v1/customers/{CUSTOMER_ID}"
    for _ in range(3):
        responses.add(responses.GET, url, body="<html>bad gateway</html>", status=502)

    with pytest.raises(ServerError) as info:
        client.customers.get(customer_id=CUSTOMER_ID)

    assert info.value.http_status == 502
    assert info.value.correlation_id


@responses.activate
def test_401_refreshes_token_once(fake_sleep: FakeSleep):
    provider = StaticTokenProvider("t")
    client = PartnerCenterClient(api_base_url=BASE, token_provider=provider, sleep=fake_sleep)
    url = f"{BASE}/v1/customers/{CUSTOMER_ID}"
    responses.add(responses.GET, url, json={"code": 400, "description": "Access denied"}, status=401)
    responses.add(responses.GET, url, json=fixture_json("customer-get-response"))

    assert client.customers.get(customer_id=CUSTOMER_ID).id == CUSTOMER_ID
    assert provider.invalidations == 1
    assert fake_sleep.calls == []


@responses.activate
def test_explicit_timeout_is_passed(client: PartnerCenterClient):
    seen: list[object] = []
    original = requests.Session.request

    def spy(self: requests.Session, *args: object, **kwargs: object) -> requests.Response:
        seen.append(kwargs.get("timeout"))
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    responses.add(responses.GET, f"{BASE}/v1/customers/{CUSTOMER_ID}", json=fixture_json("customer-get-response"))
    requests.Session.request = spy  # type: ignore[method-assign]
    try:
        client.customers.get(customer_id=CUSTOMER_ID)
    finally:
        requests.Session.request = original  # type: ignore[method-assign]
    assert seen == [(5.0, 30.0)]


@responses.activate
def test_paging_follows_next_links_with_and_without_v1(client: PartnerCenterClient):
    def page(ids: list[str], next_uri: str | None, token: str | None) -> dict:
        body: dict = {
            "totalCount": len(ids),
            "items": [{"id": i, "companyProfile": {"domain": f"{i}.onmicrosoft.com"}} for i in ids],
            "links": {"self": {"uri": "/customers?size=2", "method": "GET", "headers": []}},
            "attributes": {"objectType": "Collection"},
        }
        if next_uri:
            body["links"]["next"] = {
                "uri": next_uri,
                "method": "GET",
                "headers": [{"key": "MS-ContinuationToken", "value": token}],
            }
        return body

    responses.add(
        responses.GET,
        f"{BASE}/v1/customers",
        json=page(["a", "b"], "/customers?size=2&seekOperation=Next", "tok1"),
        match=[matchers.query_param_matcher({"size": "2"})],
    )
    responses.add(
        responses.GET,
        f"{BASE}/v1/customers",
        json=page(["c", "d"], "/v1/customers?size=2&seekOperation=Next", "tok2"),
        match=[
            matchers.query_param_matcher({"size": "2", "seekOperation": "Next"}),
            matchers.header_matcher({"MS-ContinuationToken": "tok1"}),
        ],
    )
    responses.add(
        responses.GET,
        f"{BASE}/v1/customers",
        json=page(["e"], None, None),
        match=[
            matchers.query_param_matcher({"size": "2", "seekOperation": "Next"}),
            matchers.header_matcher({"MS-ContinuationToken": "tok2"}),
        ],
    )

    pages = list(client.customers.list_pages(page_size=2))

    assert [[c.id for c in p.items] for p in pages] == [["a", "b"], ["c", "d"], ["e"]]
    assert [p.continuation_token for p in pages] == ["tok1", "tok2", None]
    assert [c.request.url for c in responses.calls][1:] == [
        f"{BASE}/v1/customers?size=2&seekOperation=Next",
        f"{BASE}/v1/customers?size=2&seekOperation=Next",
    ]
    assert [c.domain for c in client.customers.list(page_size=2)] == [
        "a.onmicrosoft.com",
        "b.onmicrosoft.com",
        "c.onmicrosoft.com",
        "d.onmicrosoft.com",
        "e.onmicrosoft.com",
    ]


@responses.activate
def test_domain_availability_head(client: PartnerCenterClient):
    responses.add(responses.HEAD, f"{BASE}/v1/domains/taken.onmicrosoft.com", status=200)
    responses.add(responses.HEAD, f"{BASE}/v1/domains/free.onmicrosoft.com", status=404)

    assert client.customers.is_domain_available(domain="taken.onmicrosoft.com") is False
    assert client.customers.is_domain_available(domain="free.onmicrosoft.com") is True


@responses.activate
def test_app_user_operations_use_user_token(client: PartnerCenterClient):
    responses.add(
        responses.GET,
        f"{BASE}/v1/customers/relationshiprequests",
        json={
            "url": "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship",
            "attributes": {"objectType": "RelationshipRequest"},
        },
    )

    link = client.customers.get_relationship_request_link()

    assert link.url.startswith("https://admin.microsoft.com/")
    assert responses.calls[0].request.headers["Authorization"] == "Bearer user-token"


def test_app_user_operation_without_user_provider_raises_typed_error():
    client = PartnerCenterClient(api_base_url=BASE, token_provider=StaticTokenProvider())

    with pytest.raises(AppUserAuthRequiredError, match="App\\+User"):
        client.agreements.get_metadata()


@responses.activate
def test_one_log_line_per_call_without_secrets(client: PartnerCenterClient, caplog: pytest.LogCaptureFixture):
    responses.add(responses.GET, f"{BASE}/v1/customers/{CUSTOMER_ID}", json=fixture_json("customer-get-response"))

    with caplog.at_level(logging.INFO, logger="partnercenter"):
        client.customers.get(customer_id=CUSTOMER_ID)

    records = [r for r in caplog.records if r.name == "partnercenter"]
    assert len(records) == 1
    text = records[0].getMessage()
    assert "GET /v1/customers/{id}" in text and "status=200" in text and "correlation_id=" in text
    assert "app-token" not in text and "Bearer" not in text and CUSTOMER_ID not in text


@responses.activate
def test_subscription_patch_starts_from_fresh_get_and_sends_full_body_with_if_match(client: PartnerCenterClient):
    sub = fixture_json("subscription-get-response-nce")
    sub["attributes"]["etag"] = "etag-v3"
    sub["autoRenewEnabled"] = True
    sub["scheduledNextTermInstructions"] = {"quantity": 20}
    url = f"{BASE}/v1/customers/c1/subscriptions/{sub['id']}"
    updated = dict(sub, quantity=12)
    responses.add(responses.GET, url, json=sub)
    responses.add(responses.PATCH, url, json=updated)

    result = client.subscriptions.set_quantity(
        customer_id="c1", subscription_id=sub["id"], quantity=12, request_id="req-1"
    )

    assert result.quantity == 12
    patch = responses.calls[1].request
    assert patch.headers["If-Match"] == '"etag-v3"'
    assert patch.headers["MS-RequestId"] == "req-1"
    import json as _json

    body = _json.loads(cast(str, patch.body))
    assert body["quantity"] == 12
    assert body["autoRenewEnabled"] is True
    assert body["scheduledNextTermInstructions"] == {"quantity": 20}
    assert body["offerId"] == sub["offerId"]


@responses.activate
def test_subscription_patch_202_polls_location(client: PartnerCenterClient, fake_sleep: FakeSleep):
    sub = fixture_json("subscription-get-response-nce")
    sub["status"] = "active"
    url = f"{BASE}/v1/customers/c1/subscriptions/{sub['id']}"
    responses.add(responses.GET, url, json=sub)
    responses.add(responses.PATCH, url, status=202, headers={"Location": f"/customers/c1/subscriptions/{sub['id']}"})
    responses.add(responses.GET, url, json=sub)
    responses.add(responses.GET, url, json=dict(sub, status="suspended"))

    result = client.subscriptions.suspend(customer_id="c1", subscription_id=sub["id"], request_id="r")

    assert result.status == "suspended"
    assert len(fake_sleep.calls) == 1
    assert [c.request.method for c in responses.calls] == ["GET", "PATCH", "GET", "GET"]


def test_resource_family_and_path_template():
    assert resource_family("/v1/customers/abc/subscriptions/x") == "subscriptions"
    assert resource_family("https://pc.test/v1/customers/abc/carts/1/checkout") == "carts"
    assert resource_family("/v1/customers?size=5") == "customers"
    assert resource_family("/v1/products/CFQ7TTC0LH18/skus") == "catalog"
    assert resource_family("/v1.0/sales/pricesheets(Market='US',PricesheetView='x')/$value") == "pricesheets"
    assert (
        path_template("/v1/customers/6a3f1c2e-9b7d-4f51-8e0a-2c4d6b8f1a93/orders/a6f2c8d1e4b7")
        == "/v1/customers/{id}/orders/{id}"
    )


def _address():
    from partnercenter import Address

    return Address(
        country="US",
        city="Redmond",
        state="WA",
        address_line1="One Microsoft Way",
        postal_code="98052",
        first_name="Test",
        last_name="Test",
    )
