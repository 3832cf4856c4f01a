"""The Partner Center API over HTTPS, driven with plain requests."""

import concurrent.futures
import json
import uuid

import pytest

from partnercenter.simulator.testing import SimulatorHandle

from .helpers import BASIC, Api


@pytest.fixture
def api(pc_sim: SimulatorHandle) -> Api:
    return Api(pc_sim, pc_sim.partners.direct.tenant_id)


def test_create_customer_is_idempotent_on_request_id(api: Api) -> None:
    first = api.create_customer("northwindlabs", request_id="11111111-0000-4000-8000-000000000001")
    replay = api.create_customer("northwindlabs", request_id="11111111-0000-4000-8000-000000000001")

    assert first.status_code == 201
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert first.json()["userCredentials"]["userName"] == "admin"
    assert first.json()["relationshipToPartner"] == "none"
    assert first.headers["MS-RequestId"] == "11111111-0000-4000-8000-000000000001"
    domains = [c["companyProfile"]["domain"] for c in api.get("/customers").json()["items"]]
    assert domains.count("northwindlabs.onmicrosoft.com") == 1


def test_domain_check_and_duplicate_domain(api: Api) -> None:
    assert api.call("HEAD", "/domains/freshprefix.onmicrosoft.com").status_code == 404
    api.create_customer("freshprefix")

    assert api.call("HEAD", "/domains/freshprefix.onmicrosoft.com").status_code == 200
    duplicate = api.create_customer("freshprefix")
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == 800002
    assert set(duplicate.json()) == {"code", "description", "data", "source"}


def test_pages_customers_to_the_end_with_continuation_tokens(api: Api) -> None:
    for n in range(7):
        api.create_customer(f"pagingco{n}")
    seen: list[str] = []

    page = api.get("/customers", params={"size": 3}).json()
    pages = 1
    while True:
        assert page["totalCount"] == len(page["items"])
        seen += [c["id"] for c in page["items"]]
        following = page["links"].get("next")
        if not following:
            break
        assert following["uri"].endswith("seekOperation=Next")
        assert following["uri"].startswith("/v1/customers?")
        headers = {h["key"]: h["value"] for h in following["headers"]}
        page = api.session.get(api.sim.base_url + following["uri"], headers=headers, timeout=10).json()
        pages += 1

    assert len(seen) == len(set(seen)) == 10  # 3 seeded + 7 new
    assert pages == 4


def test_unknown_continuation_token_is_rejected(api: Api) -> None:
    response = api.get("/customers?size=2&seekOperation=Next", headers={"MS-ContinuationToken": "bogus"})

    assert response.status_code == 400


def test_checkout_needs_mca_then_is_idempotent(api: Api, pc_sim: SimulatorHandle) -> None:
    customer = api.create_customer("mcagated").json()["id"]
    cart = api.cart(customer, {"catalogItemId": BASIC, "quantity": 3, "billingCycle": "monthly",
                               "termDuration": "P1M"}).json()
    checkout = f"/customers/{customer}/carts/{cart['id']}/checkout"

    refused = api.post(checkout)
    assert (refused.status_code, refused.json()["code"]) == (403, 13605)

    assert api.confirm_mca(customer).status_code == 201
    first = api.post(checkout)
    again = api.post(checkout)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert len(api.get(f"/customers/{customer}/orders").json()["items"]) == 1


def test_concurrent_checkout_answers_409(api: Api, pc_sim: SimulatorHandle) -> None:
    customer = api.new_customer_with_mca("racingcarts")
    cart = api.cart(customer, {"catalogItemId": BASIC, "quantity": 1, "billingCycle": "monthly",
                               "termDuration": "P1M"}).json()
    pc_sim.control.configure(checkout_processing_seconds=0.3)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(api.post, f"/customers/{customer}/carts/{cart['id']}/checkout") for _ in range(2)]
        statuses = sorted(f.result().status_code for f in futures)

    assert statuses == [201, 409]


def test_order_is_pending_until_the_clock_passes_the_delay(api: Api, pc_sim: SimulatorHandle) -> None:
    pc_sim.control.freeze_clock()
    customer = api.new_customer_with_mca("slowprovisioning")
    order = api.buy(customer)["orders"][0]
    path = f"/customers/{customer}/orders/{order['id']}"

    assert order["status"] == "pending"
    assert api.get(path).json()["status"] == "pending"
    assert api.get(f"{path}/provisioningstatus").json()["items"][0]["status"] == "prefulfillmentPending"
    assert api.get(f"/customers/{customer}/subscriptions").json()["items"] == []

    pc_sim.control.advance(seconds=3)

    completed = api.get(path).json()
    assert completed["status"] == "completed"
    subscriptions = api.get(f"/customers/{customer}/subscriptions").json()["items"]
    assert [s["id"] for s in subscriptions] == [completed["lineItems"][0]["subscriptionId"]]
    assert subscriptions[0]["status"] == "active"


def test_nce_window_for_seat_reduction_and_cancellation(api: Api, pc_sim: SimulatorHandle) -> None:
    customer = api.new_customer_with_mca("ncewindow")
    sub = api.buy_subscription(customer, quantity=10)
    path = f"/customers/{customer}/subscriptions/{sub['id']}"
    assert sub["refundableQuantity"]["totalQuantity"] == 10

    reduced = api.patch(path, json={**sub, "quantity": 8})
    assert reduced.status_code == 200
    assert reduced.json()["quantity"] == 8

    pc_sim.control.advance(hours=169)
    current = api.get(path).json()
    too_late = api.patch(path, json={**current, "quantity": 7})
    cancel = api.patch(path, json={**current, "status": "deleted"})
    assert (too_late.status_code, too_late.json()["code"]) == (400, 800090)
    assert (cancel.status_code, cancel.json()["code"]) == (400, 900213)
    grown = api.patch(path, json={**current, "quantity": 12})
    assert grown.json()["quantity"] == 12
    assert grown.json()["refundableQuantity"]["totalQuantity"] == 4


def test_cancel_inside_the_window(api: Api) -> None:
    customer = api.new_customer_with_mca("quickcancel")
    sub = api.buy_subscription(customer)

    cancelled = api.patch(f"/customers/{customer}/subscriptions/{sub['id']}", json={**sub, "status": "deleted"})

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "deleted"
    assert sub["cancellationAllowedUntilDate"]


def test_stale_etag_is_refused(api: Api) -> None:
    customer = api.new_customer_with_mca("etagco")
    sub = api.buy_subscription(customer)
    path = f"/customers/{customer}/subscriptions/{sub['id']}"
    etag = sub["attributes"]["etag"]
    api.patch(path, json={**sub, "quantity": 11}, headers={"If-Match": f'"{etag}"'})

    stale = api.patch(path, json={**sub, "quantity": 12}, headers={"If-Match": f'"{etag}"'})

    assert (stale.status_code, stale.json()["code"]) == (400, 2055)


def test_suspend_and_reactivate(api: Api) -> None:
    customer = api.new_customer_with_mca("suspendco")
    sub = api.buy_subscription(customer)
    path = f"/customers/{customer}/subscriptions/{sub['id']}"

    suspended = api.patch(path, json={**sub, "status": "suspended"}).json()
    blocked = api.patch(path, json={**suspended, "quantity": 20})
    active = api.patch(path, json={**suspended, "status": "active"}).json()

    assert suspended["status"] == "suspended"
    assert (blocked.status_code, blocked.json()["code"]) == (400, 800091)
    assert active["status"] == "active"


def test_azure_plan_cannot_be_suspended_with_active_entitlements(api: Api, pc_sim: SimulatorHandle) -> None:
    seeded = pc_sim.control.seeded
    path = f"/customers/{seeded['customer_mca']}/subscriptions/{seeded['sub_azure_plan']}"
    sub = api.get(path).json()

    refused = api.patch(path, json={**sub, "status": "suspended"})
    entitlements = api.get(f"{path}/azureEntitlements").json()

    assert (refused.status_code, refused.json()["code"]) == (403, 900115)
    assert entitlements["totalCount"] == 2


def test_relationship_request_then_accept_shows_the_customer(api: Api, pc_sim: SimulatorHandle) -> None:
    link = api.get("/customers/relationshiprequests").json()
    assert pc_sim.partners.direct.tenant_id in link["url"]
    tenant = pc_sim.control.create_tenant(domain="existingco.onmicrosoft.com", company_name="Existing Co")

    pc_sim.control.accept_relationship(pc_sim.partners.direct.tenant_id, tenant_id=tenant["tenantId"])

    customers = api.get("/customers").json()["items"]
    assert tenant["tenantId"] in [c["id"] for c in customers]
    assert api.get(f"/customers/{tenant['tenantId']}").json()["relationshipToPartner"] == "reseller"


def test_indirect_provider_sees_resellers_and_partner_id(pc_sim: SimulatorHandle) -> None:
    api = Api(pc_sim, pc_sim.partners.indirect.tenant_id)
    resellers = api.get("/relationships", params={"relationship_type": "IsIndirectCloudSolutionProviderOf"}).json()
    customer = api.create_customer("resoldco", associatedPartnerId=pc_sim.partners.reseller_tailspin).json()["id"]
    api.confirm_mca(customer)
    line = {"catalogItemId": BASIC, "quantity": 2, "billingCycle": "monthly", "termDuration": "P1M",
            "participants": [{"key": "transaction_reseller", "value": "5123456"}]}

    no_attestation = api.cart(customer, line).json()
    refused = api.post(f"/customers/{customer}/carts/{no_attestation['id']}/checkout")
    cart = api.cart(customer, line, partnerOnRecordAttestationAccepted=True).json()
    api.post(f"/customers/{customer}/carts/{cart['id']}/checkout")
    pc_sim.control.complete_orders()

    assert {r["mpnId"] for r in resellers["items"]} == {"5123456", "5234567"}
    assert refused.json()["code"] == 900206
    assert api.get(f"/customers/{customer}/subscriptions").json()["items"][0]["partnerId"] == "5123456"
    spec = json.dumps({"Field": "IndirectReseller", "Value": pc_sim.partners.reseller_tailspin,
                       "Operator": "starts_with"})
    filtered = api.get("/customers", params={"filter": spec})
    assert customer in [c["id"] for c in filtered.json()["items"]]


def test_reseller_without_mpa_is_refused(pc_sim: SimulatorHandle) -> None:
    api = Api(pc_sim, pc_sim.partners.indirect.tenant_id)
    customer = api.new_customer_with_mca("nompa")
    cart = api.cart(customer, {"catalogItemId": BASIC, "quantity": 2, "billingCycle": "monthly", "termDuration": "P1M",
                               "participants": [{"key": "transaction_reseller", "value": "5234567"}]},
                    partnerOnRecordAttestationAccepted=True).json()

    response = api.post(f"/customers/{customer}/carts/{cart['id']}/checkout")

    assert (response.status_code, response.json()["code"]) == (403, 900123)


def test_partner_accounts_are_isolated(pc_sim: SimulatorHandle) -> None:
    direct = Api(pc_sim, pc_sim.partners.direct.tenant_id)
    other = Api(pc_sim, pc_sim.partners.sandbox.tenant_id)
    customer = direct.create_customer("isolatedco").json()["id"]

    assert other.get(f"/customers/{customer}").status_code == 403
    assert customer not in [c["id"] for c in other.get("/customers").json()["items"]]


def test_stale_availability_fails_checkout_with_400019(api: Api, pc_sim: SimulatorHandle) -> None:
    customer = api.new_customer_with_mca("staleavail")
    cart = api.cart(customer, {"catalogItemId": BASIC, "quantity": 1, "billingCycle": "monthly",
                               "termDuration": "P1M"}).json()
    new_item = pc_sim.control.rotate_availability(BASIC)

    response = api.post(f"/customers/{customer}/carts/{cart['id']}/checkout")
    availabilities = api.get("/products/CFQ7TTC0LH18/skus/0001/availabilities", params={"country": "US"}).json()

    assert (response.status_code, response.json()["code"]) == (404, 400019)
    assert availabilities["items"][0]["catalogItemId"] == new_item


def test_catalog_shapes(api: Api) -> None:
    products = api.get("/products", params={"country": "US", "targetView": "OnlineServices"}).json()
    product = api.get("/products/CFQ7TTC0LH18", params={"country": "US"}).json()
    sku = api.get("/products/CFQ7TTC0LH18/skus/0001", params={"country": "US"}).json()
    missing = api.get("/products/NOPE/skus", params={"country": "US"})

    assert products["attributes"]["objectType"] == "Collection"
    assert product["productType"]["id"] == "OnlineServicesNCE"
    assert product["links"]["skus"]["uri"] == "/products/CFQ7TTC0LH18/skus?country=US"
    assert sku["minimumQuantity"] == 1
    assert (missing.status_code, missing.json()["code"]) == (404, 400013)


def test_price_sheet_streams_the_documented_columns(pc_sim: SimulatorHandle) -> None:
    session = pc_sim.session()
    user_token = pc_sim.control.token(pc_sim.partners.direct.tenant_id, user=True,
                                      audience="https://api.partner.microsoft.com")
    app_token = pc_sim.control.token(pc_sim.partners.direct.tenant_id, audience="https://api.partner.microsoft.com")
    url = f"{pc_sim.base_url}/v1.0/sales/pricesheets(Market='US',PricesheetView='updatedlicensebased')/$value"

    sheet = session.get(url, headers={"Authorization": f"Bearer {user_token}", "Accept-Encoding": "identity"})
    app_only = session.get(url, headers={"Authorization": f"Bearer {app_token}"})

    assert sheet.status_code == 200
    header = sheet.text.splitlines()[0]
    assert header.count('","') == 17
    assert header.startswith('"ProductTitle","ProductId"') and header.endswith('"ERP Price"')
    assert app_only.status_code == 400


def test_audit_records_for_mutations(api: Api) -> None:
    api.create_customer("auditedco", request_id=str(uuid.uuid4()))

    records = api.get("/auditrecords").json()

    assert [r["operationType"] for r in records["items"]] == ["add_customer"]


def test_buys_an_azure_plan_once(api: Api, pc_sim: SimulatorHandle) -> None:
    customer = api.new_customer_with_mca("azureco")
    line = {"catalogItemId": "DZH318Z0BPS6:0001:DZH318Z0BML6", "quantity": 1, "billingCycle": "monthly"}
    cart = api.cart(customer, line).json()
    api.post(f"/customers/{customer}/carts/{cart['id']}/checkout")
    pc_sim.control.complete_orders()

    plan = api.get(f"/customers/{customer}/subscriptions").json()["items"][0]
    second = api.cart(customer, line).json()
    refused = api.post(f"/customers/{customer}/carts/{second['id']}/checkout")

    assert (plan["billingType"], plan["unitType"], plan["productType"]["id"]) == ("usage", "Usage-based", "Azure")
    assert api.get(f"/customers/{customer}/subscriptions/{plan['id']}/azureEntitlements").json()["totalCount"] == 1
    assert refused.status_code == 403
