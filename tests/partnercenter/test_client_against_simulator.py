"""Every client operation against the local Partner Center simulator, over real HTTPS, with real MSAL
app-only and App+User token providers (tokens from the simulator's OAuth endpoint)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from partnercenter import (
    Address,
    AppUserAuthRequiredError,
    BadRequestError,
    CartLineItemRequest,
    ConflictError,
    PartnerCenterClient,
    PermissionDeniedError,
    ThrottledError,
    clouds,
)

pytest.importorskip("partnercenter.simulator.testing", reason="simulator not available")

from partnercenter.simulator.testing import PartnerInfo, SimulatorHandle

BUSINESS_BASIC = "CFQ7TTC0LH18"


class RecordingSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sim(pc_sim: SimulatorHandle) -> SimulatorHandle:
    pc_sim.control.configure(order_provisioning_seconds=0)
    return pc_sim


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


def make_client(
    sim: SimulatorHandle, partner: PartnerInfo, sleep: RecordingSleep, **kwargs: Any
) -> PartnerCenterClient:
    cloud = clouds.custom(api_base_url=sim.base_url, authority_host=sim.login_url)
    return PartnerCenterClient.for_cloud(
        cloud,
        tenant_id=partner.tenant_id,
        client_id=partner.client_id,
        client_secret=partner.client_secret,
        refresh_token=partner.refresh_token,
        ca_bundle=sim.ca_bundle,
        sleep=sleep,
        **kwargs,
    )


@pytest.fixture
def client(sim: SimulatorHandle, sleep: RecordingSleep) -> Iterator[PartnerCenterClient]:
    with make_client(sim, sim.partners.direct, sleep) as c:
        yield c


def _address() -> Address:
    return Address(
        country="US",
        city="Seattle",
        state="WA",
        address_line1="400 Pine St",
        postal_code="98101",
        first_name="Ana",
        last_name="Ruiz",
        phone_number="2065550133",
    )


def _new_customer(client: PartnerCenterClient, request_id: str | None = None, prefix: str = "nwlabs"):
    domain = f"{prefix}{uuid.uuid4().hex[:8]}.onmicrosoft.com"
    return client.customers.create(
        request_id=request_id or str(uuid.uuid4()),
        domain=domain,
        company_name="Northwind Labs",
        email="it@northwindlabs.example",
        address=_address(),
    )


def _business_basic(client: PartnerCenterClient) -> tuple[str, str]:
    """(catalogItemId, term) of Business Basic P1Y/annual, read from the catalog like a real purchase flow."""
    availabilities = client.catalog.list_availabilities(
        product_id=BUSINESS_BASIC, sku_id="0001", country="US", target_segment="commercial"
    )
    availability = availabilities[0]
    assert availability.catalog_item_id
    return availability.catalog_item_id, "P1Y"


def _buy(client: PartnerCenterClient, customer_id: str, quantity: int = 3, request_id: str | None = None):
    catalog_item_id, term = _business_basic(client)
    cart = client.carts.create(
        customer_id=customer_id,
        request_id=str(uuid.uuid4()),
        line_items=[
            CartLineItemRequest(
                catalog_item_id=catalog_item_id,
                quantity=quantity,
                billing_cycle="annual",
                term_duration=term,
                friendly_name="BB - HQ",
            )
        ],
    )
    return cart, client.carts.checkout(
        customer_id=customer_id, cart_id=cart.id, request_id=request_id or str(uuid.uuid4())
    )


def _api_requests(sim: SimulatorHandle, method: str, path: str) -> list[dict[str, Any]]:
    return [r for r in sim.control.requests(method=method) if r["path"].lower() == path.lower()]


def _header(entry: dict[str, Any], name: str) -> str | None:
    for key, value in entry["headers"].items():
        if key.lower() == name.lower():
            return value
    return None


# --- auth ------------------------------------------------------------------------------------------------


def test_connection_with_app_only_and_app_user_tokens_from_msal(client: PartnerCenterClient, sim: SimulatorHandle):
    assert client.test_connection().app_user is False
    assert client.test_connection(app_user=True).app_user is True

    token_calls = [r for r in sim.control.requests(method="POST") if r["path"].endswith("/oauth2/v2.0/token")]
    assert len(token_calls) == 2  # one per audience/grant, then cached
    assert all(r["path"].startswith(f"/{sim.partners.direct.tenant_id}/") for r in token_calls)


def test_refresh_token_rotation_reaches_the_callback(sim: SimulatorHandle, sleep: RecordingSleep):
    saved: list[str] = []
    client = make_client(sim, sim.partners.direct, sleep, on_refresh_token_rotated=saved.append)

    client.customers.get_relationship_request_link()

    assert len(saved) == 1 and saved[0] != sim.partners.direct.refresh_token


def test_app_user_operation_without_refresh_token_fails_locally(sim: SimulatorHandle, sleep: RecordingSleep):
    cloud = clouds.custom(api_base_url=sim.base_url, authority_host=sim.login_url)
    partner = sim.partners.direct
    client = PartnerCenterClient.for_cloud(
        cloud,
        tenant_id=partner.tenant_id,
        client_id=partner.client_id,
        client_secret=partner.client_secret,
        ca_bundle=sim.ca_bundle,
    )
    before = len(sim.control.requests())

    with pytest.raises(AppUserAuthRequiredError):
        client.agreements.get_metadata()
    assert len(sim.control.requests()) == before


# --- customers -------------------------------------------------------------------------------------------


def test_customer_create_get_and_domain_check(client: PartnerCenterClient):
    customer = _new_customer(client)

    assert customer.user_credentials is not None and customer.user_credentials.password
    assert customer.domain and customer.domain.endswith(".onmicrosoft.com")
    fetched = client.customers.get(customer_id=customer.id)
    assert fetched.id == customer.id
    assert fetched.company_name == "Northwind Labs"
    assert fetched.user_credentials is None
    assert client.customers.is_domain_available(domain=customer.domain) is False
    assert client.customers.is_domain_available(domain=f"free{uuid.uuid4().hex[:10]}.onmicrosoft.com") is True


def test_customer_list_pages_follow_continuation_tokens(client: PartnerCenterClient, sim: SimulatorHandle):
    for _ in range(3):
        _new_customer(client)
    all_ids = {c.id for c in client.customers.list()}

    pages = list(client.customers.list_pages(page_size=2))

    assert len(pages) >= 3
    assert all(p.continuation_token for p in pages[:-1]) and pages[-1].continuation_token is None
    assert [c.id for p in pages for c in p.items] == [c.id for c in client.customers.list()]
    assert len(all_ids) == sum(len(p.items) for p in pages)
    follow_ups = [r for r in sim.control.requests(method="GET", path="/v1/customers") if "seekOperation" in r["query"]]
    assert follow_ups and all(_header(r, "MS-ContinuationToken") for r in follow_ups)


def test_customer_without_relationship_is_permission_denied(client: PartnerCenterClient):
    # Partner Center answers 403/20002 ("no commerce relationship"), not 404, for a tenant that is not ours.
    with pytest.raises(PermissionDeniedError) as info:
        client.customers.get(customer_id=str(uuid.uuid4()))
    assert info.value.code == 20002


def test_company_profile_and_relationship_request_link(client: PartnerCenterClient, sim: SimulatorHandle):
    profile = client.customers.get_company_profile(customer_id=sim.control.seeded["customer_mca"])
    link = client.customers.get_relationship_request_link()

    assert profile.tenant_id == sim.control.seeded["customer_mca"]
    assert link.url.startswith("https://admin.microsoft.com/")
    assert sim.partners.direct.tenant_id in link.url


def test_accepted_relationship_shows_up_in_customer_list(client: PartnerCenterClient, sim: SimulatorHandle):
    existing = sim.control.seeded["existing_tenant"]
    assert existing not in {c.id for c in client.customers.list()}

    sim.control.accept_relationship(sim.partners.direct.tenant_id, tenant_id=existing)

    assert existing in {c.id for c in client.customers.list()}


def test_indirect_resellers(sim: SimulatorHandle, sleep: RecordingSleep):
    client = make_client(sim, sim.partners.indirect, sleep)

    resellers = {r.id: r for r in client.customers.list_indirect_resellers()}

    assert set(resellers) == {sim.partners.reseller_tailspin, sim.partners.reseller_wingtip}
    assert resellers[sim.partners.reseller_tailspin].mpn_id == "5123456"
    reseller_customers = list(client.customers.list(indirect_reseller_id=sim.partners.reseller_tailspin))
    assert sim.control.seeded["indirect_customer"] in {c.id for c in reseller_customers}


def test_cart_with_a_partner_of_record_is_created_with_the_app_user_token(sim: SimulatorHandle, sleep: RecordingSleep):
    """Ordering for a customer of an indirect reseller is App+User only: the client picks the user token itself."""
    client = make_client(sim, sim.partners.indirect, sleep)
    catalog_item_id, term = _business_basic(client)
    cart = client.carts.create(
        customer_id=sim.control.seeded["indirect_customer"],
        request_id=str(uuid.uuid4()),
        line_items=[
            CartLineItemRequest(
                catalog_item_id=catalog_item_id,
                quantity=1,
                billing_cycle="annual",
                term_duration=term,
                transaction_reseller_id="5123456",
            )
        ],
    )
    assert cart.id and cart.status == "Active"

    app_only_no_rt = PartnerCenterClient.for_cloud(
        clouds.custom(api_base_url=sim.base_url, authority_host=sim.login_url),
        tenant_id=sim.partners.indirect.tenant_id,
        client_id="x",
        client_secret="y",
        ca_bundle=sim.ca_bundle,
        sleep=sleep,
    )
    with pytest.raises(AppUserAuthRequiredError):
        app_only_no_rt.carts.create(
            customer_id=sim.control.seeded["indirect_customer"],
            request_id=str(uuid.uuid4()),
            line_items=[
                CartLineItemRequest(
                    catalog_item_id=catalog_item_id,
                    quantity=1,
                    billing_cycle="annual",
                    term_duration=term,
                    transaction_reseller_id="5123456",
                )
            ],
        )


# --- agreements ------------------------------------------------------------------------------------------


def test_mca_metadata_confirmation_and_conflict(client: PartnerCenterClient, sim: SimulatorHandle):
    customer_id = sim.control.seeded["customer_no_mca"]
    template = client.agreements.get_metadata()[0]
    assert template.agreement_type == "MicrosoftCustomerAgreement"

    agreement = client.agreements.confirm_customer_acceptance(
        customer_id=customer_id,
        request_id=str(uuid.uuid4()),
        template_id=template.template_id,
        first_name="Ana",
        last_name="Ruiz",
        email="ana@adatum.example",
        phone_number="2065550133",
    )

    assert agreement.template_id == template.template_id
    assert agreement.user_id
    assert [a.template_id for a in client.agreements.list_for_customer(customer_id=customer_id)] == [
        template.template_id
    ]
    with pytest.raises(ConflictError) as info:
        client.agreements.confirm_customer_acceptance(
            customer_id=customer_id,
            request_id=str(uuid.uuid4()),
            template_id=template.template_id,
            first_name="Ana",
            last_name="Ruiz",
            email="ana@adatum.example",
            phone_number="2065550133",
        )
    assert info.value.code == 600061


# --- catalog and price sheet -----------------------------------------------------------------------------


def test_catalog_products_skus_availabilities(client: PartnerCenterClient):
    products = client.catalog.list_products(country="US", target_view="OnlineServices", target_segment="commercial")
    assert BUSINESS_BASIC in {p.id for p in products}

    product = client.catalog.get_product(product_id=BUSINESS_BASIC, country="US")
    skus = client.catalog.list_skus(product_id=BUSINESS_BASIC, country="US")
    sku = client.catalog.get_sku(product_id=BUSINESS_BASIC, sku_id="0001", country="US")
    availabilities = client.catalog.list_availabilities(product_id=BUSINESS_BASIC, sku_id="0001", country="US")
    availability = client.catalog.get_availability(
        product_id=BUSINESS_BASIC, sku_id="0001", availability_id=availabilities[0].id, country="US"
    )

    assert product.title == "Microsoft 365 Business Basic"
    assert "0001" in {s.id for s in skus}
    assert sku.maximum_quantity == 300
    assert availability.catalog_item_id == f"{BUSINESS_BASIC}:0001:{availabilities[0].id}"
    assert {(t.duration, t.billing_cycle) for t in availability.terms} >= {("P1Y", "annual"), ("P1M", "monthly")}


def test_price_sheet_streams_csv_rows(client: PartnerCenterClient):
    rows = list(client.price_sheets.iter_rows(market="US"))

    basic = [r for r in rows if r.product_id == BUSINESS_BASIC and r.term_duration == "P1Y"]
    assert basic and all(r.currency == "USD" and r.unit_price is not None for r in basic)
    assert all(r.effective_start_date is not None for r in rows)


# --- carts, orders, subscriptions ------------------------------------------------------------------------


def test_cart_update_checkout_order_and_subscriptions(client: PartnerCenterClient, sim: SimulatorHandle):
    customer_id = sim.control.seeded["customer_mca"]
    catalog_item_id, term = _business_basic(client)
    cart = client.carts.create(
        customer_id=customer_id,
        request_id=str(uuid.uuid4()),
        line_items=[
            CartLineItemRequest(catalog_item_id=catalog_item_id, quantity=2, billing_cycle="annual", term_duration=term)
        ],
    )
    assert cart.status == "Active" and cart.line_items[0].quantity == 2

    cart = client.carts.update(
        customer_id=customer_id,
        cart_id=cart.id,
        request_id=str(uuid.uuid4()),
        line_items=[
            CartLineItemRequest(
                catalog_item_id=catalog_item_id,
                quantity=5,
                billing_cycle="annual",
                term_duration=term,
                friendly_name="Business Basic - HQ",
            )
        ],
    )
    assert client.carts.get(customer_id=customer_id, cart_id=cart.id).line_items[0].quantity == 5

    result = client.carts.checkout(customer_id=customer_id, cart_id=cart.id, request_id=str(uuid.uuid4()))

    assert result.order_errors == ()
    order = result.orders[0]
    assert order.line_items[0].offer_id == catalog_item_id
    assert order.line_items[0].quantity == 5
    fetched = client.orders.get(customer_id=customer_id, order_id=order.id)
    assert fetched.id == order.id
    assert order.id in {o.id for o in client.orders.list(customer_id=customer_id)}
    statuses = client.orders.get_provisioning_status(customer_id=customer_id, order_id=order.id)
    assert statuses[0].line_item_number == 0
    subs = client.subscriptions.list(customer_id=customer_id, order_id=order.id)
    assert [s.id for s in subs] == [order.line_items[0].subscription_id]
    assert subs[0].quantity == 5 and subs[0].friendly_name == "Business Basic - HQ"
    assert subs[0].product_id == BUSINESS_BASIC and subs[0].sku_id == "0001"


def test_checkout_without_mca_is_permission_denied(client: PartnerCenterClient, sim: SimulatorHandle):
    with pytest.raises(PermissionDeniedError) as info:
        _buy(client, sim.control.seeded["customer_no_mca"])
    assert info.value.code == 13605


def test_subscription_changes_start_from_fresh_get(client: PartnerCenterClient, sim: SimulatorHandle):
    customer_id = sim.control.seeded["customer_mca"]
    sub_id = sim.control.seeded["sub_business_basic_new"]
    before = client.subscriptions.get(customer_id=customer_id, subscription_id=sub_id)

    raised = client.subscriptions.set_quantity(
        customer_id=customer_id,
        subscription_id=sub_id,
        quantity=(before.quantity or 0) + 2,
        request_id=str(uuid.uuid4()),
    )
    assert raised.quantity == (before.quantity or 0) + 2
    assert raised.auto_renew_enabled == before.auto_renew_enabled  # full body sent back: nothing reset

    suspended = client.subscriptions.suspend(
        customer_id=customer_id, subscription_id=sub_id, request_id=str(uuid.uuid4())
    )
    assert suspended.status == "suspended"
    active = client.subscriptions.reactivate(
        customer_id=customer_id, subscription_id=sub_id, request_id=str(uuid.uuid4())
    )
    assert active.status == "active"
    toggled = client.subscriptions.set_auto_renew(
        customer_id=customer_id,
        subscription_id=sub_id,
        enabled=not active.auto_renew_enabled,
        request_id=str(uuid.uuid4()),
    )
    assert toggled.auto_renew_enabled is (not active.auto_renew_enabled)

    patches = _api_requests(sim, "PATCH", f"/v1/customers/{customer_id}/subscriptions/{sub_id}")
    gets = _api_requests(sim, "GET", f"/v1/customers/{customer_id}/subscriptions/{sub_id}")
    assert len(patches) == 4 and len(gets) >= 5
    assert all(_header(p, "If-Match") for p in patches)
    assert len({_header(p, "If-Match") for p in patches}) == 4  # a fresh etag every time


def test_cancel_inside_window_and_refused_outside(client: PartnerCenterClient, sim: SimulatorHandle):
    customer_id = sim.control.seeded["customer_mca"]
    _, result = _buy(client, customer_id, quantity=2)
    new_sub = result.orders[0].line_items[0].subscription_id
    assert new_sub

    cancelled = client.subscriptions.cancel(
        customer_id=customer_id, subscription_id=new_sub, request_id=str(uuid.uuid4())
    )
    assert cancelled.status == "deleted"

    with pytest.raises(BadRequestError) as info:
        client.subscriptions.cancel(
            customer_id=customer_id, subscription_id=sim.control.seeded["sub_m365_e3_old"], request_id=str(uuid.uuid4())
        )
    assert info.value.code in (900213, 900117)


def test_subscription_provisioning_status_and_azure_entitlements(client: PartnerCenterClient, sim: SimulatorHandle):
    customer_id = sim.control.seeded["customer_mca"]
    plan = sim.control.seeded["sub_azure_plan"]

    status = client.subscriptions.get_provisioning_status(
        customer_id=customer_id, subscription_id=sim.control.seeded["sub_business_basic_new"]
    )
    entitlements = client.subscriptions.list_azure_entitlements(customer_id=customer_id, subscription_id=plan)

    assert status.status in ("success", "pending")
    assert len(entitlements) == 2 and all(e.id for e in entitlements)


# --- faults: retries keep MS-RequestId, idempotent writes stay single --------------------------------------


@pytest.fixture
def impatient_client(sim: SimulatorHandle, sleep: RecordingSleep) -> Iterator[PartnerCenterClient]:
    # A dropped response looks like a read timeout to the client; keep it short.
    with make_client(sim, sim.partners.direct, sleep, timeout=(5.0, 2.0)) as c:
        yield c


def test_create_customer_response_dropped_after_commit_creates_one_customer(
    impatient_client: PartnerCenterClient, sim: SimulatorHandle
):
    client = impatient_client
    before = {c.id for c in client.customers.list()}
    sim.control.inject_fault("drop", method="POST", path="/v1/customers")
    request_id = str(uuid.uuid4())

    customer = _new_customer(client, request_id=request_id)

    after = {c.id for c in client.customers.list()}
    assert after - before == {customer.id}
    posts = _api_requests(sim, "POST", "/v1/customers")
    assert len(posts) == 2
    assert {_header(p, "MS-RequestId") for p in posts} == {request_id}
    assert _header(posts[0], "MS-CorrelationId") != _header(posts[1], "MS-CorrelationId")


def test_checkout_response_dropped_after_commit_creates_one_order(
    impatient_client: PartnerCenterClient, sim: SimulatorHandle
):
    client = impatient_client
    customer_id = sim.control.seeded["customer_mca"]
    orders_before = {o.id for o in client.orders.list(customer_id=customer_id)}
    subs_before = {s.id for s in client.subscriptions.list(customer_id=customer_id)}
    sim.control.inject_fault("drop", method="POST", path="/v1/customers/*/carts/*/checkout")

    cart, result = _buy(client, customer_id)

    new_orders = {o.id for o in client.orders.list(customer_id=customer_id)} - orders_before
    new_subs = {s.id for s in client.subscriptions.list(customer_id=customer_id)} - subs_before
    assert new_orders == {result.orders[0].id}
    assert len(new_subs) == 1
    checkouts = _api_requests(sim, "POST", f"/v1/customers/{customer_id}/carts/{cart.id}/checkout")
    assert len(checkouts) == 2 and len({_header(c, "MS-RequestId") for c in checkouts}) == 1


def test_429_fault_waits_retry_after_then_succeeds(
    client: PartnerCenterClient, sim: SimulatorHandle, sleep: RecordingSleep
):
    customer_id = sim.control.seeded["customer_mca"]
    sim.control.inject_fault("429", method="GET", path=f"/v1/customers/{customer_id}", retryAfter=4)

    assert client.customers.get(customer_id=customer_id).id == customer_id
    assert sleep.calls == [4.0]


def test_503_fault_retried_with_same_request_id(client: PartnerCenterClient, sim: SimulatorHandle):
    customer_id = sim.control.seeded["customer_mca"]
    sim.control.inject_fault("5xx", method="GET", path=f"/v1/customers/{customer_id}/subscriptions", count=2)

    subs = client.subscriptions.list(customer_id=customer_id)

    assert subs
    calls = _api_requests(sim, "GET", f"/v1/customers/{customer_id}/subscriptions")
    assert len(calls) == 3
    assert len({_header(c, "MS-RequestId") for c in calls}) == 1
    assert len({_header(c, "MS-CorrelationId") for c in calls}) == 3


def test_simulator_throttling_surfaces_as_throttled_error(sim: SimulatorHandle, sleep: RecordingSleep):
    client = make_client(sim, sim.partners.direct, sleep, max_retries=0)
    sim.control.set_rate_limit(2, tenant_id=sim.partners.direct.tenant_id, family="catalog")

    client.catalog.get_product(product_id=BUSINESS_BASIC, country="US")
    client.catalog.get_product(product_id=BUSINESS_BASIC, country="US")
    with pytest.raises(ThrottledError) as info:
        client.catalog.get_product(product_id=BUSINESS_BASIC, country="US")
    assert info.value.retry_after is not None and info.value.retry_after >= 1


def test_clients_of_two_partners_live_side_by_side(sim: SimulatorHandle, sleep: RecordingSleep):
    direct = make_client(sim, sim.partners.direct, sleep)
    indirect = make_client(sim, sim.partners.indirect, sleep)

    direct_ids = {c.id for c in direct.customers.list()}
    indirect_ids = {c.id for c in indirect.customers.list()}

    assert sim.control.seeded["customer_mca"] in direct_ids
    assert sim.control.seeded["indirect_customer"] in indirect_ids
    assert direct_ids.isdisjoint(indirect_ids)
    assert direct.instance_key != indirect.instance_key
    assert direct._transport.session is not indirect._transport.session
