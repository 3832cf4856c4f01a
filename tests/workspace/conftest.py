"""Workspace fixtures: the simulator's seeded direct customer (Northwind Traders) as a BSS customer of a reseller,
its Partner Center subscriptions recorded as BSS subscriptions, and the users who look at them."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest
from django.utils import timezone

from bss.models import LicenseLedgerEntry, MicrosoftTenant, Subscription
from bss.partner_center import get_client
from bss.services.subscriptions import subscription_record_entitlements, subscription_record_from_partner_center
from partnercenter.types import CartLineItemRequest
from tests.factories.bss import (
    CustomerFactory,
    CustomerUserFactory,
    MarketplaceFactory,
    MicrosoftTenantFactory,
    ProviderFactory,
    ResellerFactory,
    ResellerUserFactory,
    SubscriptionFactory,
)

DYNAMICS_SALES = ("SIM0D365SALE", "0001")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Test users are made by the handful here; a fast hasher keeps the suite quick (sign-in is not under test)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def pc(sim_instance, settings, pc_sim):
    """The simulator-bound instance; the client fails fast (no in-client retries) and orders complete at once."""
    settings.PARTNER_CENTER_MAX_RETRIES = 0
    settings.PARTNER_CENTER_TIMEOUT_SECONDS = 5
    pc_sim.control.configure(order_provisioning_seconds=0)
    return sim_instance


@dataclass
class World:
    reseller_user: object
    other_reseller_user: object
    customer_user: object
    other_customer_user: object
    customer: object
    other_customer: object
    tenant: MicrosoftTenant
    seeded: dict


@pytest.fixture
def world(pc, pc_sim) -> World:
    provider = ProviderFactory(name="Contoso Cloud Provider")
    marketplace = MarketplaceFactory(owner=provider, instance=pc, slug="contoso")
    reseller = ResellerFactory(name="Fabrikam Reseller", parent=provider, email="sales@fabrikam.test")
    other_reseller = ResellerFactory(name="Woodgrove Reseller", parent=provider, email="sales@woodgrove.test")
    seeded = pc_sim.control.seeded
    customer = CustomerFactory(
        reseller=reseller, marketplace=marketplace, company_name="Northwind Traders", contact_email="it@northwind.test"
    )
    tenant = MicrosoftTenantFactory(
        customer=customer, instance=pc, pc_customer_id=seeded["customer_mca"],
        default_domain="northwindtraders.onmicrosoft.com",
    )
    other_customer = CustomerFactory(reseller=other_reseller, marketplace=marketplace, company_name="Tailwind Toys")
    other_tenant = MicrosoftTenantFactory(customer=other_customer, instance=pc, default_domain="tailwindtoys.example")
    SubscriptionFactory(tenant=other_tenant, name="Microsoft 365 Business Standard", quantity=4)
    return World(
        reseller_user=ResellerUserFactory(reseller=reseller, email="rita@fabrikam.test"),
        other_reseller_user=ResellerUserFactory(reseller=other_reseller),
        customer_user=CustomerUserFactory(customer=customer, email="carla@northwind.test"),
        other_customer_user=CustomerUserFactory(customer=other_customer),
        customer=customer,
        other_customer=other_customer,
        tenant=tenant,
        seeded=seeded,
    )


def pc_customer_id(tenant: MicrosoftTenant) -> str:
    """The tenant's Partner Center customer id: set for every tenant here (they exist in the simulator)."""
    assert tenant.pc_customer_id, tenant
    return tenant.pc_customer_id


def record(tenant: MicrosoftTenant, pc_subscription_id: str, *, backdate_ledger: bool = True) -> Subscription:
    """The BSS twin of a Partner Center subscription, recorded as provisioning does; the first ledger row is dated
    when Partner Center created the subscription (so the BSS and Partner Center agree on the 7-day windows)."""
    client = get_client(tenant.instance)
    pc_sub = client.subscriptions.get(customer_id=pc_customer_id(tenant), subscription_id=pc_subscription_id)
    sub = subscription_record_from_partner_center(tenant=tenant, order_line=None, pc=pc_sub)
    if backdate_ledger and pc_sub.creation_date:
        LicenseLedgerEntry.objects.filter(subscription=sub).update(created_at=pc_sub.creation_date)
    if (pc_sub.product_id or "").upper() == "DZH318Z0BPS6":
        subscription_record_entitlements(
            subscription=sub,
            entitlements=client.subscriptions.list_azure_entitlements(
                customer_id=pc_customer_id(tenant), subscription_id=pc_subscription_id
            ),
        )
    return sub


def sim_subscription(pc_sim, tenant: MicrosoftTenant, subscription_id: str):
    return get_client(tenant.instance).subscriptions.get(
        customer_id=pc_customer_id(tenant), subscription_id=subscription_id
    )


def buy_in_simulator(pc_sim, tenant: MicrosoftTenant, product: tuple[str, str], *, quantity: int, term="P1Y",
                     billing="monthly") -> str:
    """Order through the plain client (cart + checkout), as if bought outside this test; returns the subscription
    id Partner Center created."""
    offer = pc_sim.app.backend.catalog.find_sku(product[0], product[1], "US")
    client = get_client(tenant.instance)
    before = {s.id for s in client.subscriptions.list(customer_id=pc_customer_id(tenant))}
    cart = client.carts.create(
        customer_id=pc_customer_id(tenant),
        request_id=str(uuid.uuid4()),
        line_items=[CartLineItemRequest(catalog_item_id=offer.catalog_item_id, quantity=quantity,
                                        billing_cycle=billing, term_duration=term)],
    )
    client.carts.checkout(customer_id=pc_customer_id(tenant), cart_id=cart.id, request_id=str(uuid.uuid4()))
    pc_sim.control.complete_orders()
    after = {s.id for s in client.subscriptions.list(customer_id=pc_customer_id(tenant))}
    (new_id,) = after - before
    return new_id


@pytest.fixture
def run_after_commit(django_capture_on_commit_callbacks):
    """Run what the request enqueued after its transaction committed (tasks are eager), like a worker would."""

    def _run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return _run


def days_ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)
