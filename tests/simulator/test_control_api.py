"""Control API: reset, seed, clock, faults, rate limits, request log."""

import pytest
import requests

from partnercenter.simulator.testing import SimulatorHandle

from .helpers import Api


@pytest.fixture
def api(pc_sim: SimulatorHandle) -> Api:
    return Api(pc_sim, pc_sim.partners.direct.tenant_id)


def test_reset_empty_then_seed(api: Api, pc_sim: SimulatorHandle) -> None:
    api.create_customer("wipedco")

    pc_sim.control.reset(data="empty")
    assert api.get("/customers").json()["items"] == []

    seeded = pc_sim.control.seed()
    assert seeded["customer_mca"] in [c["id"] for c in api.get("/customers").json()["items"]]


def test_reset_is_deterministic_for_a_seed(pc_sim: SimulatorHandle) -> None:
    first = pc_sim.control.reset(seed=42)["seeded"]
    second = pc_sim.control.reset(seed=42)["seeded"]

    assert first == second


def test_clock_advances_and_can_be_set(pc_sim: SimulatorHandle) -> None:
    pc_sim.control.freeze_clock()
    before = pc_sim.control.now()

    after = pc_sim.control.advance(days=1)

    assert after[:10] > before[:10]
    assert pc_sim.control.set_clock("2030-01-01T00:00:00Z").startswith("2030-01-01T00:00:00")


def test_add_partner_account(pc_sim: SimulatorHandle) -> None:
    partner = pc_sim.control.add_partner(name="Northwind Reseller", kind="indirect_provider", sandbox=True,
                                         resellers=[{"name": "Tiny IT", "mpnId": "7777777"}])
    api = Api(pc_sim, partner["tenantId"])

    assert api.get("/customers").json()["items"] == []
    relationships = api.get("/relationships", params={"relationship_type": "IsIndirectCloudSolutionProviderOf"})
    assert [r["mpnId"] for r in relationships.json()["items"]] == ["7777777"]


@pytest.mark.parametrize(
    ("kind", "options", "status"),
    [
        ("429", {"retryAfter": 7}, 429),
        ("5xx", {"status": 502}, 502),
        ("error", {"status": 409, "code": 800060}, 409),
        ("http", {"status": 500}, 500),
        ("503", {}, 503),
    ],
)
def test_answering_faults(api: Api, pc_sim: SimulatorHandle, kind: str, options: dict, status: int) -> None:
    pc_sim.control.inject_fault(kind, method="GET", path="/v1/customers", count=1, **options)

    faulted = api.get("/customers")
    normal = api.get("/customers")

    assert faulted.status_code == status
    assert normal.status_code == 200
    if kind == "429":
        assert faulted.headers["Retry-After"] == "7"
        assert faulted.json() == {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 7 seconds."}


def test_latency_fault(api: Api, pc_sim: SimulatorHandle) -> None:
    pc_sim.control.inject_fault("latency", path="/v1/customers", seconds=0.2)

    response = api.get("/customers")

    assert response.status_code == 200
    assert response.elapsed.total_seconds() >= 0.2


def test_timeout_fault_holds_past_the_client_timeout(api: Api, pc_sim: SimulatorHandle) -> None:
    pc_sim.control.inject_fault("timeout", method="POST", path="/v1/customers", seconds=2)

    with pytest.raises(requests.exceptions.ReadTimeout):
        api.session.post(f"{api.root}/customers", json={}, timeout=0.3)
    pc_sim.control.clear_faults()  # releases the held connection

    assert api.get("/customers").json()["totalCount"] == 3


def test_drop_fault_commits_then_drops_and_replay_returns_the_same_customer(api: Api, pc_sim: SimulatorHandle) -> None:
    pc_sim.control.inject_fault("drop", method="POST", path="/v1/customers")
    request_id = "22222222-0000-4000-8000-000000000002"

    with pytest.raises(requests.exceptions.ConnectionError):
        api.create_customer("droppedco", request_id=request_id)
    replay = api.create_customer("droppedco", request_id=request_id)

    assert replay.status_code == 201
    customers = api.get("/customers").json()["items"]
    ids = [c["id"] for c in customers if c["companyProfile"]["domain"].startswith("dropped")]
    assert ids == [replay.json()["id"]]
    posts = pc_sim.control.requests(method="POST", path="/v1/customers")
    assert [p["headers"]["ms-requestid"] for p in posts] == [request_id, request_id]
    assert [p["status"] for p in posts] == [0, 201]
    assert posts[0]["headers"]["authorization"] == "<redacted>"


def test_throttles_per_partner_and_family(api: Api, pc_sim: SimulatorHandle) -> None:
    pc_sim.control.set_rate_limit(3, tenant_id=pc_sim.partners.direct.tenant_id, family="customers")
    other = Api(pc_sim, pc_sim.partners.indirect.tenant_id)

    statuses = [api.get("/customers").status_code for _ in range(4)]
    throttled = api.get("/customers")

    assert statuses == [200, 200, 200, 429]
    assert int(throttled.headers["Retry-After"]) >= 1
    assert set(throttled.json()) == {"statusCode", "message"}
    assert other.get("/customers").status_code == 200
    assert api.get("/products", params={"country": "US", "targetView": "OnlineServices"}).status_code == 200


def test_monthly_catalog_update_changes_the_catalog(api: Api, pc_sim: SimulatorHandle) -> None:
    before = {p["id"] for p in api.get("/products", params={"country": "US", "targetView": "OnlineServices"})
              .json()["items"]}

    report = pc_sim.control.monthly_catalog_update()

    after = {p["id"] for p in api.get("/products", params={"country": "US", "targetView": "OnlineServices"})
             .json()["items"]}
    added = set(report["markets"]["US"]["addedProducts"])
    assert added and added <= after and not added & before
    fr_products = api.get("/products", params={"country": "FR", "targetView": "OnlineServices"}).json()["items"]
    pc_sim.control.reset()
    fr_fresh = api.get("/products", params={"country": "FR", "targetView": "OnlineServices"}).json()["items"]
    assert len(fr_products) > len(fr_fresh)  # a market first read after the update replays it
