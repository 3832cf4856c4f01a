"""GDAP through our client against the simulator over HTTPS (Microsoft Graph host): create -> lock for approval ->
the customer's admin approves -> active -> access assignments; a declined request; expiry on the simulated clock;
auto-extend (never with Global Administrator); termination; Graph's refusals as typed errors; and Microsoft's saved
samples parse."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from partnercenter import ConflictError, PartnerCenterClient, PreconditionFailedError, clouds
from partnercenter._parse import gdap as parse_gdap
from partnercenter.errors import BadRequestError
from partnercenter.gdap_types import (
    GLOBAL_ADMINISTRATOR_ROLE_ID,
    DelegatedAdminRelationship,
    GdapStateError,
    GdapUnavailableError,
)
from partnercenter.simulator.testing import SimulatorHandle

FIXTURES = Path(__file__).parent.parent / "partnercenter" / "fixtures" / "billing"
HELPDESK = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
DIRECTORY_READER = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
GROUP = "869713c9-0b28-4d08-8949-ae07ae1bf528"


@pytest.fixture
def client(pc_sim: SimulatorHandle) -> Iterator[PartnerCenterClient]:
    partner = pc_sim.partners.direct
    cloud = clouds.custom(api_base_url=pc_sim.base_url, authority_host=pc_sim.login_url)
    with PartnerCenterClient.for_cloud(cloud, tenant_id=partner.tenant_id, client_id=partner.client_id,
                                       client_secret=partner.client_secret, ca_bundle=pc_sim.ca_bundle) as c:
        yield c


@pytest.fixture
def customer_id(client: PartnerCenterClient) -> str:
    return next(iter(client.customers.list())).id


def _create(client: PartnerCenterClient, customer_id: str, *, name: str = "Contoso helpdesk", days: int = 730,
            auto_extend: bool = False,
            roles: tuple[str, ...] = (HELPDESK, DIRECTORY_READER)) -> DelegatedAdminRelationship:
    return client.gdap.create_relationship(display_name=name, duration=f"P{days}D", role_ids=roles,
                                           customer_tenant_id=customer_id, auto_extend=auto_extend)


def test_create_lock_approve_activate_and_assign(client: PartnerCenterClient, pc_sim: SimulatorHandle,
                                                 customer_id: str) -> None:
    rel = _create(client, customer_id)
    assert rel.status == "created" and rel.etag and rel.location and rel.location.endswith(rel.id)
    assert rel.role_ids == (HELPDESK, DIRECTORY_READER) and rel.customer_tenant_id == customer_id
    assert rel.approval_url == ("https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/"
                                f"granularAdminRelationships/{rel.id}")
    assert rel.activated is None and not rel.auto_extends

    # While created it can still change (If-Match), with a stale etag it cannot.
    renamed = client.gdap.update_relationship(rel.id, etag=rel.etag or "", duration="P365D")
    assert renamed is not None and renamed.duration_days == 365
    with pytest.raises(PreconditionFailedError):
        client.gdap.update_relationship(rel.id, etag=rel.etag or "", duration="P30D")

    request = client.gdap.lock_for_approval(rel.id)
    assert request.action == "lockForApproval" and request.status == "created" and request.location
    assert client.gdap.get_request(rel.id, request.id).status == "succeeded"
    pending = client.gdap.get_relationship(rel.id)
    assert pending.status == "approvalPending"
    with pytest.raises(GdapStateError):
        client.gdap.update_relationship(rel.id, etag=pending.etag or "", duration="P30D")
    with pytest.raises(GdapStateError):
        client.gdap.create_access_assignment(rel.id, security_group_id=GROUP, role_ids=[HELPDESK])

    pc_sim.control.gdap_answer(rel.id, approve=True)
    active = client.gdap.get_relationship(rel.id)
    assert active.status == "active" and active.activated is not None
    assert active.end is not None and (active.end - active.activated).days == 365

    assignment = client.gdap.create_access_assignment(rel.id, security_group_id=GROUP, role_ids=[HELPDESK])
    assert assignment.status == "pending" and assignment.security_group_id == GROUP and assignment.location
    listed = client.gdap.list_access_assignments(rel.id)
    assert [(a.id, a.status, a.role_ids) for a in listed] == [(assignment.id, "active", (HELPDESK,))]
    with pytest.raises(BadRequestError):  # only the relationship's roles can be assigned
        client.gdap.create_access_assignment(rel.id, security_group_id="11111111-2222-4333-8444-555555555555",
                                             role_ids=[GLOBAL_ADMINISTRATOR_ROLE_ID])

    client.gdap.delete_access_assignment(rel.id, assignment.id, etag=listed[0].etag or "")
    assert client.gdap.get_access_assignment(rel.id, assignment.id).status == "deleted"

    assert [r.id for r in client.gdap.list_relationships(customer_tenant_id=customer_id)] == [rel.id]
    assert client.gdap.list_relationships(status="created") == []


def test_customer_declines(client: PartnerCenterClient, pc_sim: SimulatorHandle, customer_id: str) -> None:
    rel = _create(client, customer_id)
    client.gdap.lock_for_approval(rel.id)
    pc_sim.control.gdap_answer(rel.id, approve=False)
    declined = client.gdap.get_relationship(rel.id)
    assert declined.status == "terminated" and declined.activated is None


def test_unanswered_request_expires_after_90_days(client: PartnerCenterClient, pc_sim: SimulatorHandle,
                                                  customer_id: str) -> None:
    rel = _create(client, customer_id)
    client.gdap.lock_for_approval(rel.id)
    pc_sim.control.advance(days=91)
    assert client.gdap.get_relationship(rel.id).status == "expired"


def test_expiring_30_days_before_the_end_then_expired(client: PartnerCenterClient, pc_sim: SimulatorHandle,
                                                      customer_id: str) -> None:
    rel = _create(client, customer_id, days=60)
    client.gdap.lock_for_approval(rel.id)
    pc_sim.control.gdap_answer(rel.id)
    assert client.gdap.get_relationship(rel.id).status == "active"
    client.gdap.create_access_assignment(rel.id, security_group_id=GROUP, role_ids=[HELPDESK])
    pc_sim.control.advance(days=31)
    assert client.gdap.get_relationship(rel.id).status == "expiring"
    pc_sim.control.advance(days=30)
    assert client.gdap.get_relationship(rel.id).status == "expired"
    assert [a.status for a in client.gdap.list_access_assignments(rel.id)] == ["deleted"]


def test_auto_extend_pushes_the_end_by_180_days(client: PartnerCenterClient, pc_sim: SimulatorHandle,
                                                customer_id: str) -> None:
    rel = _create(client, customer_id, days=90, auto_extend=True)
    assert rel.auto_extends and rel.auto_extend_duration == "P180D"
    client.gdap.lock_for_approval(rel.id)
    pc_sim.control.gdap_answer(rel.id)
    first_end = client.gdap.get_relationship(rel.id).end
    pc_sim.control.advance(days=91)
    extended = client.gdap.get_relationship(rel.id)
    assert extended.status == "active"
    assert first_end is not None and extended.end is not None and (extended.end - first_end).days == 180

    # Auto-extend can be switched off once active (only that).
    updated = client.gdap.update_relationship(rel.id, etag=extended.etag or "", auto_extend=False)
    assert updated is not None and not updated.auto_extends


def test_no_auto_extend_with_global_administrator(client: PartnerCenterClient, customer_id: str) -> None:
    with pytest.raises(GdapStateError, match="Global Administrator"):
        _create(client, customer_id, auto_extend=True, roles=(GLOBAL_ADMINISTRATOR_ROLE_ID,))
    rel = _create(client, customer_id, roles=(GLOBAL_ADMINISTRATOR_ROLE_ID,))
    assert not rel.auto_extends


def test_terminate(client: PartnerCenterClient, pc_sim: SimulatorHandle, customer_id: str) -> None:
    pc_sim.control.gdap_settings(transition_seconds=60)
    rel = _create(client, customer_id)
    client.gdap.lock_for_approval(rel.id)
    pc_sim.control.gdap_answer(rel.id)
    assert client.gdap.get_relationship(rel.id).status == "activating"
    pc_sim.control.advance(seconds=61)
    assert client.gdap.get_relationship(rel.id).status == "active"
    request = client.gdap.terminate(rel.id)
    assert request.action == "terminate"
    assert client.gdap.get_relationship(rel.id).status == "terminationRequested"
    pc_sim.control.advance(seconds=61)
    assert client.gdap.get_relationship(rel.id).status == "terminated"
    assert client.gdap.get_request(rel.id, request.id).status == "succeeded"


def test_create_rules(client: PartnerCenterClient, customer_id: str) -> None:
    _create(client, customer_id, name="Same name")
    with pytest.raises(ConflictError):
        _create(client, customer_id, name="same NAME")
    with pytest.raises(BadRequestError):
        _create(client, customer_id, name="Too long", days=731)
    with pytest.raises(BadRequestError):
        _create(client, customer_id, name="x" * 51)
    rel = _create(client, customer_id, name="Deletable")
    client.gdap.delete_relationship(rel.id, etag=rel.etag or "")
    assert [r.display_name for r in client.gdap.list_relationships()] == ["Same name"]


def test_graph_unavailable_without_a_graph_host() -> None:
    from partnercenter.auth import StaticTokenProvider

    client = PartnerCenterClient(api_base_url="https://example.invalid", token_provider=StaticTokenProvider("t"))
    with pytest.raises(GdapUnavailableError):
        client.gdap.list_relationships()


def test_microsofts_samples_parse() -> None:
    rel = parse_gdap.relationship(json.loads((FIXTURES / "gdap-delegated-admin-relationship-create-response.json")
                                             .read_text()))
    assert rel.id == "5d027261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836"
    assert rel.status == "created" and rel.duration_days == 730 and rel.auto_extends and rel.activated is None
    assert rel.customer_display_name == "Contoso subsidiary Inc" and len(rel.role_ids) == 2
    assert rel.end is not None and rel.end.year == 2024 and rel.etag

    request = parse_gdap.relationship_request(json.loads(
        (FIXTURES / "gdap-relationship-request-lockforapproval-response.json").read_text()))
    assert (request.action, request.status) == ("lockForApproval", "created")

    assignment = parse_gdap.access_assignment(json.loads(
        (FIXTURES / "gdap-access-assignment-create-response.json").read_text()))
    assert assignment.status == "pending" and assignment.security_group_id == GROUP
    assert len(assignment.role_ids) == 4 and assignment.container_type == "securityGroup"
