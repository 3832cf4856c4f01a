"""Request shapes of resource methods (responses-mocked)."""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal
from typing import cast

import pytest
import responses
from responses import matchers

from partnercenter import (
    CartLineItemRequest,
    ConfigurationError,
    PartnerCenterClient,
    PreconditionFailedError,
    StaticTokenProvider,
)

from .conftest import BASE, FIXTURES, fixture_json

PRICE_URL = "https://partnerapi.test/v1.0/sales/pricesheets(Market='US',PricesheetView='updatedlicensebased')/$value"


@responses.activate
def test_cart_create_and_checkout(client: PartnerCenterClient):
    responses.add(
        responses.POST, f"{BASE}/v1/customers/c1/carts", json=fixture_json("cart-create-response-2"), status=201
    )
    responses.add(
        responses.POST,
        f"{BASE}/v1/customers/c1/carts/2517c51b-58cd-4abe-87ed-3ab812401ab4/checkout",
        json=fixture_json("cart-checkout-response-nce"),
        status=201,
    )

    cart = client.carts.create(
        customer_id="c1",
        request_id="req-cart",
        line_items=[
            CartLineItemRequest(
                catalog_item_id="CFQ7TTC0LF8S:0001:CFQ7TTC0VZW5",
                quantity=1,
                billing_cycle="monthly",
                term_duration="P1Y",
                transaction_reseller_id="5123456",
            )
        ],
        partner_on_record_attestation_accepted=True,
    )
    result = client.carts.checkout(customer_id="c1", cart_id=cart.id, request_id="req-checkout")

    body = json.loads(cast(str, responses.calls[0].request.body))
    assert body == {
        "lineItems": [
            {
                "id": 0,
                "catalogItemId": "CFQ7TTC0LF8S:0001:CFQ7TTC0VZW5",
                "quantity": 1,
                "billingCycle": "monthly",
                "termDuration": "P1Y",
                "participants": [{"key": "transaction_reseller", "value": "5123456"}],
            }
        ],
        "partnerOnRecordAttestationAccepted": True,
    }
    assert responses.calls[1].request.headers["MS-RequestId"] == "req-checkout"
    assert result.orders[0].id == "a68736758d9c"


@responses.activate
def test_customer_list_filter_and_indirect_resellers(client: PartnerCenterClient):
    responses.add(
        responses.GET,
        f"{BASE}/v1/customers",
        json=fixture_json("customers-filter-by-name-response"),
        match=[
            matchers.query_param_matcher(
                {"size": "500", "filter": '{"Field":"CompanyName","Value":"cont","Operator":"starts_with"}'}
            )
        ],
    )
    responses.add(
        responses.GET,
        f"{BASE}/v1/relationships",
        match=[matchers.query_param_matcher({"relationship_type": "IsIndirectCloudSolutionProviderOf"})],
        json={
            "totalCount": 1,
            "items": [
                {
                    "id": "r1",
                    "name": "Fabrikam",
                    "mpnId": "5123456",
                    "relationshipType": "is_indirect_cloud_solution_provider_of",
                    "state": "Active",
                }
            ],
        },
    )

    assert len(list(client.customers.list(company_name_prefix="cont"))) == 3
    resellers = client.customers.list_indirect_resellers()
    assert resellers[0].mpn_id == "5123456"
    assert responses.calls[1].request.headers["Authorization"] == "Bearer user-token"


@responses.activate
def test_agreement_confirmation(client: PartnerCenterClient):
    responses.add(
        responses.GET,
        f"{BASE}/v1/agreements",
        match=[matchers.query_param_matcher({"agreementType": "MicrosoftCustomerAgreement"})],
        json=fixture_json("customer-agreement-metadata-list-response"),
    )
    responses.add(
        responses.POST, f"{BASE}/v1/customers/c1/agreements", status=201, json=fixture_json("agreement-create-response")
    )

    template = client.agreements.get_metadata()[0].template_id
    agreement = client.agreements.confirm_customer_acceptance(
        customer_id="c1",
        request_id="r",
        template_id=template,
        first_name="Tania",
        last_name="Carr",
        email="someone@example.com",
    )

    sent = json.loads(cast(str, responses.calls[1].request.body))
    assert sent["templateId"] == "117a77b0-9360-443b-8795-c6dedc750cf9"
    assert sent["type"] == "MicrosoftCustomerAgreement"
    assert sent["dateAgreed"].endswith("Z")
    assert agreement.template_id == template


@responses.activate
def test_stale_etag_surfaces_as_precondition_failed(client: PartnerCenterClient):
    sub = fixture_json("subscription-get-response-azure")
    url = f"{BASE}/v1/customers/c1/subscriptions/{sub['id']}"
    responses.add(responses.GET, url, json=sub)
    responses.add(responses.PATCH, url, status=400, json={"code": 2055, "description": "Etag is no longer valid"})

    with pytest.raises(PreconditionFailedError) as info:
        client.subscriptions.set_auto_renew(customer_id="c1", subscription_id=sub["id"], enabled=True, request_id="r")
    assert info.value.code == 2055
    assert len(responses.calls) == 2  # not retried


@responses.activate
def test_price_sheet_streams_rows(client: PartnerCenterClient):
    csv_bytes = (FIXTURES / "nce-license-based-pricesheet-doc-sample.csv").read_bytes()
    responses.add(
        responses.GET,
        PRICE_URL,
        body=csv_bytes,
        content_type="application/octet-stream",
        match=[matchers.query_param_matcher({"timeline": "current"})],
    )

    rows = list(client.price_sheets.iter_rows(market="US"))

    assert len(rows) == 1
    row = rows[0]
    assert (row.product_id, row.sku_id, row.term_duration, row.billing_plan) == (
        "CFQ7TTC0HDK0",
        "0001",
        "P1Y",
        "Annual",
    )
    assert row.unit_price == Decimal("115.2")
    assert row.erp_price == Decimal("144")
    assert row.effective_start_date is not None and row.effective_start_date.isoformat() == "2019-02-01T00:00:00+00:00"
    assert row.effective_end_date is not None and row.effective_end_date.hour == 20
    assert responses.calls[0].request.headers["Authorization"] == "Bearer user-token"


@responses.activate
def test_price_sheet_zipped_form_and_extra_columns(client: PartnerCenterClient):
    text = (
        '\ufeff"ProductTitle","ProductId","SkuId","UnitPrice","Segment","ERP Price\u201c\n'
        '"Business Basic","CFQ7TTC0LH18","0001","5.76","Commercial","7.2"\n'
        '"Multi\nline","CFQ7TTC0LH18","0002","1","Education",""\n'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pricesheet.csv", text.encode("utf-8"))
    responses.add(responses.GET, PRICE_URL, body=buffer.getvalue(), content_type="application/octet-stream")

    rows = list(client.price_sheets.iter_rows(market="US", compressed=True))

    assert [r.sku_id for r in rows] == ["0001", "0002"]
    assert rows[0].erp_price == Decimal("7.2")
    assert rows[0].extra == {"Segment": "Commercial"}
    assert rows[1].product_title == "Multi\nline"
    assert rows[1].erp_price is None
    assert responses.calls[0].request.headers["Accept-Encoding"] == "deflate"


def test_price_sheet_without_partner_api_host_is_a_configuration_error():
    client = PartnerCenterClient(
        api_base_url=BASE, token_provider=StaticTokenProvider(), user_token_provider=StaticTokenProvider()
    )
    with pytest.raises(ConfigurationError):
        next(client.price_sheets.iter_rows(market="CN"))


@responses.activate
def test_catalog_and_entitlements(client: PartnerCenterClient):
    responses.add(
        responses.GET,
        f"{BASE}/v1/products",
        match=[
            matchers.query_param_matcher(
                {"country": "US", "targetView": "OnlineServices", "targetSegment": "commercial"}
            )
        ],
        json={"totalCount": 1, "items": [fixture_json("product-get-response-nce")]},
    )
    responses.add(
        responses.GET,
        f"{BASE}/v1/customers/c1/subscriptions/s1/azureEntitlements",
        json={
            "totalCount": 1,
            "items": [{"id": "az1", "friendlyName": "Dev", "status": "active", "subscriptionId": "s1"}],
        },
    )

    products = client.catalog.list_products(country="US", target_view="OnlineServices", target_segment="commercial")
    entitlements = client.subscriptions.list_azure_entitlements(customer_id="c1", subscription_id="s1")

    assert products[0].id == "CFQ7TTC0LH18"
    assert entitlements[0].id == "az1"
