"""Fixtures for the import tool: a BSS instance pointed at the HTTPS simulator, and a seeder that builds a
Partner Center estate through the simulator's control API and the Partner Center API itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission

from bss.choices import Cloud, CspModel
from bss.models import Marketplace, PartnerCenterInstance, Reseller, User
from partnercenter import CartLineItemRequest, PartnerCenterClient, clouds
from tests.factories.bss import MarketplaceFactory, ProviderFactory, SimInstanceFactory, StaffUserFactory

pytest.importorskip("partnercenter.simulator.testing", reason="simulator not available")

from partnercenter.simulator.testing import PartnerInfo, SimulatorHandle

BUSINESS_BASIC = "CFQ7TTC0LH18:0001:CFQ7TTC0K971"
M365_E3 = "CFQ7TTC0LFLX:0001:CFQ7TTC0LB30"


@pytest.fixture
def sim(pc_sim: SimulatorHandle, sim_settings) -> SimulatorHandle:
    """The simulator, completing orders at once."""
    pc_sim.control.configure(order_provisioning_seconds=0)
    return pc_sim


@dataclass
class Estate:
    """A BSS set up for one simulated partner: its instance, provider reseller and provider marketplace."""

    instance: PartnerCenterInstance
    provider: Reseller
    marketplace: Marketplace
    partner: PartnerInfo


def make_estate(sim: SimulatorHandle, partner: PartnerInfo, csp_model: str) -> Estate:
    instance = SimInstanceFactory(sim=sim, partner=partner, name=f"{partner.name} (sim)", cloud=Cloud.CUSTOM,
                                  csp_model=csp_model)
    provider = ProviderFactory(name=partner.name)
    marketplace = MarketplaceFactory(owner=provider, instance=instance, name=f"{partner.name} store")
    return Estate(instance, provider, marketplace, partner)


@pytest.fixture
def direct(sim: SimulatorHandle, db) -> Estate:
    return make_estate(sim, sim.partners.direct, CspModel.DIRECT)


@pytest.fixture
def indirect(sim: SimulatorHandle, db) -> Estate:
    return make_estate(sim, sim.partners.indirect, CspModel.INDIRECT_PROVIDER)


class Seeder:
    """Adds customers (existing tenants accepting the relationship) and buys subscriptions through the API."""

    def __init__(self, sim: SimulatorHandle, partner: PartnerInfo) -> None:
        self.sim = sim
        self.partner = partner
        cloud = clouds.custom(api_base_url=sim.base_url, authority_host=sim.login_url)
        self.client = PartnerCenterClient.for_cloud(
            cloud,
            tenant_id=partner.tenant_id,
            client_id=partner.client_id,
            client_secret=partner.client_secret,
            refresh_token=partner.refresh_token,
            ca_bundle=sim.ca_bundle,
            sleep=lambda seconds: None,
        )

    def customer(self, name: str, domain: str, *, reseller: str | None = None, country: str = "US") -> str:
        customer = self.sim.control.accept_relationship(
            self.partner.tenant_id,
            domain=domain,
            companyName=name,
            resellerId=reseller,
            address={
                "country": country,
                "city": "Seattle",
                "state": "WA",
                "postalCode": "98101",
                "addressLine1": "1 Main St",
            },
        )
        self.sim.control.direct_sign_mca(self.partner.tenant_id, customer["id"])
        return customer["id"]

    def buy(
        self,
        customer_id: str,
        *,
        item: str = BUSINESS_BASIC,
        quantity: int = 3,
        term: str = "P1Y",
        billing: str = "annual",
        reseller_mpn: str | None = None,
        name: str | None = None,
    ) -> str:
        if reseller_mpn:
            return self._buy_for_reseller(customer_id, item, quantity, term, billing, reseller_mpn, name)
        cart = self.client.carts.create(
            customer_id=customer_id,
            request_id=str(uuid.uuid4()),
            line_items=[
                CartLineItemRequest(
                    catalog_item_id=item,
                    quantity=quantity,
                    billing_cycle=billing,
                    term_duration=term,
                    friendly_name=name,
                )
            ],
        )
        result = self.client.carts.checkout(customer_id=customer_id, cart_id=cart.id, request_id=str(uuid.uuid4()))
        self.sim.control.complete_orders()
        subscription_id = result.orders[0].line_items[0].subscription_id
        assert subscription_id
        return subscription_id

    def _buy_for_reseller(
        self, customer_id: str, item: str, quantity: int, term: str, billing: str, reseller_mpn: str, name: str | None
    ) -> str:
        """The simulator wants App+User for carts naming a partner of record, and the client's carts resource
        sends app-only tokens: buy over plain HTTPS with a user token."""
        session = self.sim.session(self.partner.tenant_id, user=True)
        line = {
            "id": 0,
            "catalogItemId": item,
            "quantity": quantity,
            "billingCycle": billing,
            "termDuration": term,
            "participants": [{"key": "transaction_reseller", "value": reseller_mpn}],
        }
        if name:
            line["friendlyName"] = name
        base = f"{self.sim.base_url}/v1/customers/{customer_id}/carts"
        cart = session.post(base, json={"lineItems": [line], "partnerOnRecordAttestationAccepted": True}, timeout=30)
        assert cart.status_code == 201, cart.text
        result = session.post(f"{base}/{cart.json()['id']}/checkout", json={}, timeout=30)
        assert result.status_code in (200, 201), result.text
        self.sim.control.complete_orders()
        return result.json()["orders"][0]["lineItems"][0]["subscriptionId"]

    def suspend(self, customer_id: str, subscription_id: str) -> None:
        self.client.subscriptions.suspend(
            customer_id=customer_id, subscription_id=subscription_id, request_id=str(uuid.uuid4())
        )

    def cancel(self, customer_id: str, subscription_id: str) -> None:
        self.client.subscriptions.cancel(
            customer_id=customer_id, subscription_id=subscription_id, request_id=str(uuid.uuid4())
        )

    def auto_renew_off(self, customer_id: str, subscription_id: str) -> None:
        self.client.subscriptions.set_auto_renew(
            customer_id=customer_id, subscription_id=subscription_id, enabled=False, request_id=str(uuid.uuid4())
        )


@pytest.fixture
def direct_seeder(sim: SimulatorHandle) -> Seeder:
    return Seeder(sim, sim.partners.direct)


@pytest.fixture
def indirect_seeder(sim: SimulatorHandle) -> Seeder:
    return Seeder(sim, sim.partners.indirect)


def grant_import(user: User) -> User:
    user.user_permissions.add(Permission.objects.get(codename="run_import", content_type__app_label="imports"))
    return User.objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def importer(db) -> User:
    return grant_import(StaffUserFactory(username="importer"))
