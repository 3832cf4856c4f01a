from partnercenter.simulator.testing import SimulatorHandle


def test_lists_customers_over_https(pc_sim: SimulatorHandle) -> None:
    session = pc_sim.session(pc_sim.partners.direct.tenant_id)

    response = session.get(f"{pc_sim.base_url}/v1/customers", headers={"MS-RequestId": "r-1"})

    assert response.status_code == 200
    assert response.headers["MS-RequestId"] == "r-1"
    assert response.json()["attributes"] == {"objectType": "Collection"}
