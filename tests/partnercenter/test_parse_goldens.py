"""Documented Partner Center payloads (copied into fixtures/) parse into the right typed objects."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from partnercenter import _parse
from partnercenter.resources.carts import _checkout_result
from partnercenter.types import Cart, Customer, Order, Subscription

from .conftest import fixture_json


def test_customer_create_response_carries_one_time_admin_credentials():
    customer = _parse.customer(fixture_json("customer-create-response"))

    assert customer.id == "dfd8cc0a-c592-468c-8461-869a38d24738"
    assert customer.commerce_id == "0a4ce58a-6f96-4273-8035-d9c7d31b9ba4"
    assert customer.domain == "xyz.ccsctp.net"
    assert customer.company_name == "test company"
    assert customer.relationship_to_partner == "none"
    assert customer.billing_profile is not None
    assert customer.billing_profile.etag == "5920358838484612121"
    assert customer.billing_profile.default_address is not None
    assert customer.billing_profile.default_address.postal_code == "98052"
    assert customer.user_credentials is not None
    assert customer.user_credentials.user_name == "admin"
    assert customer.user_credentials.password == "=;;n.=s9Z"
    assert "=;;n.=s9Z" not in repr(customer)


def test_customer_get_response():
    customer = _parse.customer(fixture_json("customer-get-response"))

    assert customer.id == "eebd1b55-5360-4438-a11d-5c06918c3014"
    assert customer.allow_delegated_access is True
    assert customer.custom_domains == ("abcdefgh1234.ccsctp.net",)
    assert customer.company_profile is not None and customer.company_profile.address is not None
    assert customer.company_profile.address.region == "wa"
    assert customer.company_profile.email == "a@a.com"
    assert customer.user_credentials is None


@pytest.mark.parametrize(
    ("_case", "name", "ids"),
    [
        (
            "plain list",
            "customers-list-response",
            ["b44bb1fb-c595-45b0-9e09-d657365580bf", "45c44870-ef77-4fdd-b6fe-3dacb075cff2"],
        ),
        (
            "filter by name",
            "customers-filter-by-name-response",
            [
                "c5757d70-06f3-4f23-8367-5a9e55019f94",
                "7b26b357-9ca3-48b8-a58e-4febe2662a5d",
                "bfbd6ef0-311f-47ec-bbd7-0fcb7846661b",
            ],
        ),
    ],
)
def test_customer_collections(_case: str, name: str, ids: list[str]):
    page = _parse.page(fixture_json(name), _parse.customer, "customers")

    assert [c.id for c in page.items] == ids
    assert page.total_count == len(ids)
    assert page.next_link is None
    assert all(c.relationship_to_partner == "reseller" for c in page.items)


def test_company_profile():
    profile = _parse.company_profile(fixture_json("customer-company-profile-get-response"))
    assert profile.tenant_id == "4d3cf487-70f4-4e1e-9ff1-b2bfce8d9f04"
    assert profile.company_name == "DT Demo CSP Customer 005"


def test_agreements():
    metadata = _parse.page(fixture_json("customer-agreement-metadata-list-response"), _parse.agreement_metadata, "x")
    assert metadata.items[0].template_id == "117a77b0-9360-443b-8795-c6dedc750cf9"
    assert metadata.items[0].agreement_type == "MicrosoftCustomerAgreement"
    assert metadata.items[0].version_rank == 0

    agreement = _parse.agreement(fixture_json("agreement-create-response"))
    assert agreement.user_id == "3d6f2c09-eb40-48ca-a4b3-d24c9c007531"
    assert agreement.type == "MicrosoftCustomerAgreement"
    assert agreement.date_agreed == datetime(2018, 6, 14, tzinfo=UTC)
    assert agreement.primary_contact is not None and agreement.primary_contact.last_name == "Carr"


def test_catalog_product_and_skus():
    product = _parse.product(fixture_json("product-get-response-nce"))
    assert (product.id, product.title, product.product_type_id) == (
        "CFQ7TTC0LH18",
        "Microsoft 365 Business Basic",
        "OnlineServicesNCE",
    )

    # Microsoft's page labels are swapped here: this "products" file is a list of SKUs.
    skus = _parse.page(fixture_json("products-list-by-customer-response-azureplan"), _parse.sku, "skus")
    assert [(s.product_id, s.id) for s in skus.items] == [
        ("9DEA7946-EC2C-441E-9FFD-E3B275F7E838", "MS-AZR-0145P"),
        ("DZH318Z0BPS6", "0001"),
    ]
    assert skus.items[1].purchase_prerequisites == ("MicrosoftCustomerAgreement",)
    assert skus.items[0].is_addon is False

    sku = _parse.sku(fixture_json("sku-get-response-azureplan"))
    assert sku.maximum_quantity == 999999999
    assert sku.provisioning_variables == ("Scope", "SubscriptionId")
    assert sku.dynamic_attributes["armSkuName"] == "Standard_D32s_v3"


def test_availability_with_terms():
    data = {
        "id": "CFQ7TTC0K971",
        "productId": "CFQ7TTC0LH18",
        "skuId": "0001",
        "catalogItemId": "CFQ7TTC0LH18:0001:CFQ7TTC0K971",
        "defaultCurrency": {"code": "USD", "symbol": "$"},
        "segment": "commercial",
        "country": "US",
        "isPurchasable": True,
        "isRenewable": True,
        "terms": [
            {
                "id": "t1",
                "duration": "P1Y",
                "description": "One-Year commitment for yearly billing",
                "billingCycle": "Annual",
                "cancellationPolicies": [{"refundOptions": [{"sequenceId": 0, "type": "Full", "expiresAfter": "P7D"}]}],
            }
        ],
    }
    availability = _parse.availability(data)

    assert availability.catalog_item_id == "CFQ7TTC0LH18:0001:CFQ7TTC0K971"
    assert availability.currency_code == "USD"
    assert availability.terms[0].duration == "P1Y"
    assert availability.terms[0].billing_cycle == "annual"
    assert availability.terms[0].refund_options[0].expires_after == "P7D"


def test_carts():
    cart = _parse.cart(fixture_json("cart-create-response"))
    assert cart.id == "3655b1a0-b1c9-4268-9824-577fdbc4d0be"
    assert cart.status == "Active"
    assert len(cart.line_items) == 6
    assert cart.line_items[1].provisioning_context == {
        "subscriptionId": "1C461A25-F729-4FA5-AADB-280947DD05E8",
        "scope": "shared",
    }
    assert cart.line_items[5].renews_to_term_duration == "P1Y"
    assert cart.line_items[0].order_group == "OMS-0"
    assert cart.expiration_timestamp == datetime(2019, 1, 16, 1, 0, 54, 418849, tzinfo=UTC)

    priced = _parse.cart(fixture_json("cart-create-response-2"))
    assert priced.line_items[0].pricing is not None
    assert priced.line_items[0].pricing.extended_price == Decimal("364.8")

    # PascalCase "ProvisioningContext" in Microsoft's update sample.
    updated = _parse.cart(fixture_json("cart-update-response"))
    assert updated.line_items[0].provisioning_context["duration"] == "1Year"

    addons = _parse.cart(fixture_json("cart-create-with-addons-response-legacy-new-base"))
    assert [a.id for a in addons.line_items[0].addon_items] == [1, 2]


def test_cart_line_errors():
    data = fixture_json("cart-create-response-2")
    data["lineItems"][0]["error"] = {
        "errorCode": 10014,
        "errorDescription": "Invalid promotion",
        "additionalInformation": {"availableQuantity": 3},
    }
    cart = _parse.cart(data)

    assert len(cart.line_errors) == 1
    line, error = cart.line_errors[0]
    assert line.id == 0
    assert error.error_code == 10014
    assert error.additional_information == {"availableQuantity": 3}


def test_checkout_result_documented_order_form_and_result_form():
    result = _checkout_result(fixture_json("cart-checkout-response-nce"))
    order = result.orders[0]
    assert order.id == "a68736758d9c"
    assert order.status == "pending"
    assert order.total_price == Decimal("36.48")
    assert order.line_items[0].subscription_id == "0c353b8e-da9d-4007-d0d4-bca8bd5b5ce1"
    assert order.line_items[0].pricing is not None and order.line_items[0].pricing.price == Decimal("36.48")

    wrapped = _checkout_result(
        {
            "orders": [fixture_json("cart-checkout-response-nce")],
            "orderErrors": [{"orderGroupId": "1", "code": 800069, "description": "Risk"}],
            "attributes": {"objectType": "CartCheckoutResult"},
        }
    )
    assert [o.id for o in wrapped.orders] == ["a68736758d9c"]
    assert wrapped.order_errors[0].code == 800069 and wrapped.order_errors[0].order_group_id == "1"


def test_orders_and_provisioning_status():
    order = _parse.order(fixture_json("order-get-response"))
    assert order.id == "YxH1q4KScfvfkJQjgRI8QY1DznnUWZTH1"
    assert order.status == "completed"
    assert order.line_items[0].offer_id == "DZH318Z0BQ4Z:002L:DZH318Z0CMNP"

    orders = _parse.page(fixture_json("orders-list-by-billing-cycle-response"), _parse.order, "orders")
    assert [o.status for o in orders.items] == ["pending", "pending"]

    statuses = _parse.page(
        fixture_json("order-provisioning-status-get-response"), _parse.order_provisioning_status, "x"
    )
    assert statuses.items[0].status == "fulfilled"
    assert statuses.items[0].quantity_provisioning[0].quantity == 1


def test_new_commerce_subscription():
    sub = _parse.subscription(fixture_json("subscription-get-response-nce"))

    assert sub.id == "a4c1340d-6911-4758-bba3-0c4c6007d161"
    assert (sub.product_id, sub.sku_id, sub.availability_id) == ("CFQ7TTC0LH18", "0001", "CFQ7TTC0K971")
    assert sub.quantity == 15
    assert sub.status == "expired"
    assert sub.auto_renew_enabled is False
    assert sub.billing_cycle == "monthly" and sub.term_duration == "P1Y"
    assert sub.commitment_end_date == datetime(2022, 1, 13, tzinfo=UTC)
    assert sub.refundable_quantity is not None and sub.refundable_quantity.total_quantity == 10
    assert sub.refundable_quantity.details[0].allowed_until == datetime(2021, 1, 24, 20, 39, 17, 182697, tzinfo=UTC)
    assert sub.refund_options[0].expires_at == datetime(2021, 1, 15, tzinfo=UTC)
    assert sub.order_id == "34b37d7340cc"
    assert sub.partner_id is None
    assert sub.renewal_term_duration is None


def test_legacy_subscriptions():
    azure = _parse.subscription(fixture_json("subscription-get-response-azure"))
    assert azure.offer_id == "MS-AZR-0145P" and azure.unit_type == "Usage-based"
    assert azure.etag == "eyJpZCI6ImEzNTZhYzhjLWUzMTAtNDRmNC1iZjg1LWM3ZjI5MDQ0YWY5OSIsInZlcnNpb24iOjJ9"
    assert azure.product_id is None

    addon = _parse.subscription(fixture_json("subscription-get-response-addon"))
    assert addon.parent_subscription_id == "1C2B75C1-74A5-472A-A729-7F8CEFC477F9"

    # Microsoft's sample has "2015-11-25T06: 41: 12Z" (spaces) — still parsed.
    listed = _parse.page(fixture_json("subscriptions-list-response"), _parse.subscription, "subscriptions")
    assert listed.items[0].creation_date == datetime(2015, 11, 25, 6, 41, 12, tzinfo=UTC)
    assert listed.total_count == 37

    software = _parse.page(fixture_json("subscriptions-list-response-2"), _parse.subscription, "x").items[0]
    assert software.cancellation_allowed_until_date == datetime(2021, 11, 14, 23, 59, tzinfo=UTC)
    assert software.billing_cycle == "triennial"

    by_partner = _parse.page(fixture_json("subscriptions-list-by-partner-response"), _parse.subscription, "x")
    assert by_partner.items[0].partner_id == "4847383"


@pytest.mark.parametrize(
    ("_case", "name", "status", "quantity", "auto_renew"),
    [
        ("patch", "subscription-patch-response", "active", 1, True),
        ("suspend", "subscription-patch-suspend-response", "suspended", 2, False),
        ("reactivate", "subscription-patch-reactivate-response", "active", 2, False),
    ],
)
def test_pascal_case_patch_responses(_case: str, name: str, status: str, quantity: int, auto_renew: bool):
    sub = _parse.subscription(fixture_json(name))

    assert sub.id == "83ef9d05-4169-4ef9-9657-0e86b1eab1de"
    assert sub.status == status
    assert sub.quantity == quantity
    assert sub.auto_renew_enabled is auto_renew
    assert sub.etag == "<etag>"


def test_subscription_provisioning_status():
    status = _parse.subscription_provisioning_status(fixture_json("subscription-provisioning-status-get-response"))
    assert (status.status, status.quantity) == ("success", 5)


def test_azure_entitlements():
    page = _parse.page(
        {
            "totalCount": 1,
            "items": [
                {
                    "id": "0b5b3a1e-0000-4000-8000-00000000aaaa",
                    "friendlyName": "Azure plan",
                    "status": "active",
                    "subscriptionId": "plan-sub",
                    "entitlementType": "asset",
                }
            ],
            "attributes": {"objectType": "Collection"},
        },
        _parse.azure_entitlement,
        "entitlements",
    )
    assert page.items[0].subscription_id == "plan-sub" and page.items[0].status == "active"


def test_missing_id_is_a_validation_error():
    from partnercenter import ResponseValidationError

    with pytest.raises(ResponseValidationError):
        _parse.subscription({"quantity": 3})


SHARED = Path("/work/shared/testdata/partner-center/docs-json")

# Files whose content matches one of our types (by shape, whatever the file name says).
MODELED: dict[str, Any] = {
    "customer-create-response.json": _parse.customer,
    "customer-get-response.json": _parse.customer,
    "customer-company-profile-get-response.json": _parse.company_profile,
    "customers-list-response.json": lambda d: _parse.page(d, _parse.customer, "x"),
    "customers-filter-by-name-response.json": lambda d: _parse.page(d, _parse.customer, "x"),
    "agreement-create-response.json": _parse.agreement,
    "agreement-metadata-list-response.json": lambda d: _parse.page(d, _parse.agreement_metadata, "x"),
    "customer-agreement-metadata-list-response.json": lambda d: _parse.page(d, _parse.agreement_metadata, "x"),
    "product-get-response-nce.json": _parse.product,
    "product-get-response-azureplan.json": _parse.product,
    "skus-list-by-customer-response-azureplan.json": _parse.product,
    "products-list-by-customer-response-azureplan.json": lambda d: _parse.page(d, _parse.sku, "x"),
    "sku-get-response-azureplan.json": _parse.sku,
    "availabilities-list-by-customer-response-azureplan.json": _parse.sku,
    "cart-create-response.json": _parse.cart,
    "cart-create-response-2.json": _parse.cart,
    "cart-update-response.json": _parse.cart,
    "cart-create-with-addons-response-legacy-new-base.json": _parse.cart,
    "cart-create-with-addons-response-legacy-existing-base.json": _parse.cart,
    "cart-checkout-response-nce.json": _checkout_result,
    "order-create-response.json": _parse.order,
    "order-get-response.json": _parse.order,
    "orders-list-by-billing-cycle-response.json": lambda d: _parse.page(d, _parse.order, "x"),
    "order-provisioning-status-get-response.json": lambda d: _parse.page(d, _parse.order_provisioning_status, "x"),
    "subscription-provisioning-status-get-response.json": _parse.subscription_provisioning_status,
}
for _name in (
    "subscription-get-response-nce",
    "subscription-get-response-azure",
    "subscription-get-response-addon",
    "subscription-patch-response",
    "subscription-patch-quantity-response",
    "subscription-patch-suspend-response",
    "subscription-patch-reactivate-response",
    "subscription-patch-nickname-response",
):
    MODELED[f"{_name}.json"] = _parse.subscription
for _name in (
    "subscriptions-list-response",
    "subscriptions-list-response-2",
    "subscriptions-list-by-order-response",
    "subscriptions-list-by-partner-response",
    "subscription-addons-list-response",
):
    MODELED[f"{_name}.json"] = lambda d: _parse.page(d, _parse.subscription, "x")

EXPECTED_TYPES = {
    "customer-create-response.json": Customer,
    "cart-create-response.json": Cart,
    "order-get-response.json": Order,
    "subscription-get-response-nce.json": Subscription,
}


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} not present (shared test data lives outside the repo)")
def test_every_modeled_shared_payload_parses():
    missing = [name for name in MODELED if not (SHARED / name).exists()]
    assert not missing, f"shared data no longer has {missing}"
    for name, parser in MODELED.items():
        data = json.loads((SHARED / name).read_text(encoding="utf-8"))
        result = parser(data)
        if name in EXPECTED_TYPES:
            assert isinstance(result, EXPECTED_TYPES[name]), name
