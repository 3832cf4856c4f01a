"""The simulator's bulk seed (N customers x K subscriptions in one control call) and a partner's rate limit L set
through the control API, as the reconciliation benchmark uses them."""

from __future__ import annotations

import time

import pytest

from partnercenter.simulator.testing import SimulatorHandle


@pytest.fixture
def sim(pc_sim: SimulatorHandle) -> SimulatorHandle:
    pc_sim.control.reset(data="empty")
    return pc_sim


def test_bulk_seed_creates_customers_with_their_subscriptions_as_the_api_serves_them(sim):
    partner = sim.partners.direct
    seeded = sim.control.bulk_seed(40, 3, daysAgo=30)

    assert seeded["subscriptions"] == 120 and len(seeded["customers"]) == 40
    session = sim.session(partner.tenant_id)
    customers = session.get(f"{sim.base_url}/v1/customers", timeout=30).json()
    assert {c["id"] for c in customers["items"]} == {c["id"] for c in seeded["customers"]}
    one = seeded["customers"][7]
    listed = session.get(f"{sim.base_url}/v1/customers/{one['id']}/subscriptions", timeout=30).json()
    served = {s["id"]: s for s in listed["items"]}
    assert set(served) == {s["id"] for s in one["subscriptions"]}
    for slim in one["subscriptions"]:
        full = served[slim["id"]]
        assert {key: full[key] for key in slim} == slim  # the seed's fields are the API's, under its names
    assert sorted(s["quantity"] for s in listed["items"]) == [1, 2, 3]
    assert {s["status"] for s in listed["items"]} == {"active"}
    assert {s["termDuration"] for s in listed["items"]} == {"P1Y"}
    user = sim.session(partner.tenant_id, user=True)  # agreements are App+User only
    agreements = user.get(f"{sim.base_url}/v1/customers/{one['id']}/agreements", timeout=30).json()
    assert agreements["totalCount"] == 1  # the MCA is on record


def test_bulk_seed_refuses_a_bad_size_and_names_only_ids_when_asked(sim):
    with pytest.raises(RuntimeError, match="400"):
        sim.control.bulk_seed(0, 3)
    seeded = sim.control.bulk_seed(5, 2, include="ids", prefix="lean")
    assert all(set(c) == {"id", "domain", "companyName"} for c in seeded["customers"])
    assert all(c["domain"].startswith("lean") for c in seeded["customers"])


def test_a_bulk_seed_of_ten_thousand_subscriptions_takes_one_call_of_a_few_seconds(sim):
    started = time.monotonic()
    seeded = sim.control.bulk_seed(1000, 10, include="ids")
    assert seeded["subscriptions"] == 10_000
    assert time.monotonic() - started < 60  # order by order this is 10,000 carts and checkouts


def test_a_partners_limit_l_answers_429_past_it_and_counts_served_and_throttled(sim):
    partner = sim.partners.direct
    other = sim.partners.indirect
    customer = sim.control.bulk_seed(1, 1, include="ids")["customers"][0]["id"]
    sim.control.set_rate_limit(3, tenant_id=partner.tenant_id)  # L = 3 per minute, every family of this partner
    session = sim.session(partner.tenant_id)

    statuses = [session.get(f"{sim.base_url}/v1/customers/{customer}/subscriptions", timeout=30) for _ in range(4)]

    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert int(statuses[-1].headers["Retry-After"]) >= 1
    other_session = sim.session(other.tenant_id)
    assert other_session.get(f"{sim.base_url}/v1/customers", timeout=30).status_code == 200  # its own budget
    counts = {(c["tenantId"], c["family"]): (c["served"], c["throttled"]) for c in sim.control.rate_limits()["counts"]}
    assert counts[(partner.tenant_id, "subscriptions")] == (3, 1)
    assert counts[(other.tenant_id, "customers")] == (1, 0)
    assert {"tenantId": partner.tenant_id, "family": "*", "perMinute": 3} in sim.control.rate_limits()["overrides"]
