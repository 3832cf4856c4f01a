"""A Partner Center instance pointed at the HTTPS simulator, and the objects an order needs."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from bss.choices import AcceptanceRole
from bss.inputs import MCAAcceptanceInput, NewCustomerInput, OrderLineInput
from provisioning.services import orders, sweep
from tests.factories.bss import (
    MarketplaceFactory,
    ProviderFactory,
    ResellerFactory,
    ResellerUserFactory,
)

BUSINESS_BASIC = ("CFQ7TTC0LH18", "0001", "CFQ7TTC0K971")
AZURE_PLAN = ("DZH318Z0BPS6", "0001", "DZH318Z0BML6")
# The simulator's catalog ids are seeded (deterministic) where Microsoft publishes none.
BUSINESS_STANDARD = ("CFQ7TTC0LDPB", "0001", "SIMAV92H6DFH")
DYNAMICS_SALES = ("SIM0D365SALE", "0001", "SIMAVFNG4Z3G")


@pytest.fixture
def sim_settings(sim_settings, pc_sim):
    """The root fixture (the client trusts the simulator's CA and does not retry in-process: the pipeline's retries
    are under test), and the client times out quickly (the simulator's timeout fault holds a connection longer than
    this); orders complete at once. `sim_instance` (tests/conftest.py) comes with these settings here."""
    sim_settings.PARTNER_CENTER_TIMEOUT_SECONDS = 1.5
    pc_sim.control.configure(order_provisioning_seconds=0, timeout_hold_seconds=3)
    return sim_settings


@pytest.fixture
def provider(db):
    return ProviderFactory()


@pytest.fixture
def marketplace(sim_instance, provider):
    return MarketplaceFactory(owner=provider, instance=sim_instance, annual_billing_enabled=True)


@pytest.fixture
def reseller(provider):
    return ResellerFactory(parent=provider, email="sales@reseller.example")


@pytest.fixture
def reseller_user(reseller):
    return ResellerUserFactory(reseller=reseller, email="buyer@reseller.example")


def line(product=BUSINESS_BASIC, *, name="Microsoft 365 Business Basic", quantity=5, term="P1Y", cycle="monthly",
         **extra):
    product_id, sku_id, availability_id = product
    return OrderLineInput(
        pc_product_id=product_id,
        pc_sku_id=sku_id,
        pc_availability_id=availability_id,
        product_name=name,
        quantity=quantity,
        term_duration=term,
        billing_cycle=cycle,
        unit_price=Decimal("6.00"),
        currency="USD",
        **{"min_quantity": 1, "max_quantity": 300, **extra},
    )


def new_customer(prefix=None, **extra):
    values = {
        "company_name": "Northwind Labs",
        "domain_prefix": prefix or f"northwind{uuid.uuid4().hex[:10]}",
        "contact_first_name": "Ana",
        "contact_last_name": "Ruiz",
        "contact_email": "ana.ruiz@northwind.example",
        "contact_phone": "2065550133",
        "address_line1": "400 Pine St",
        "city": "Seattle",
        "state": "WA",
        "postal_code": "98101",
        "country": "US",
    }
    return NewCustomerInput(**{**values, **extra})


def mca(role=AcceptanceRole.CUSTOMER, **extra):
    values = {
        "signatory_first_name": "Ana",
        "signatory_last_name": "Ruiz",
        "signatory_email": "ana.ruiz@northwind.example",
        "signatory_phone": "2065550133",
        "accepted_at": timezone.now() - dt.timedelta(minutes=1),
        "role": role,
        "ip_address": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (test)",
    }
    return MCAAcceptanceInput(**{**values, **extra})


@pytest.fixture
def place(reseller_user, reseller, marketplace, django_capture_on_commit_callbacks):
    """Place an order the way the storefront does, running what is enqueued after commit (tasks are eager)."""

    def _place(**kwargs):
        kwargs.setdefault("actor", reseller_user)
        kwargs.setdefault("marketplace", marketplace)
        kwargs.setdefault("reseller", reseller)
        kwargs.setdefault("lines", [line()])
        kwargs.setdefault("mca", mca())
        kwargs.setdefault("submission_key", uuid.uuid4().hex)
        if "customer" not in kwargs and "new_customer" not in kwargs:
            kwargs["new_customer"] = new_customer()
        with django_capture_on_commit_callbacks(execute=True):
            order = orders.order_submit(**kwargs)
        order.refresh_from_db()
        return order

    return _place


@pytest.fixture
def run_due(django_capture_on_commit_callbacks):
    """The periodic sweep, as if `minutes` had passed (waits are rows with a due time, never sleeps)."""

    def _run(minutes=10):
        with django_capture_on_commit_callbacks(execute=True):
            return sweep.operations_enqueue_due(now=timezone.now() + dt.timedelta(minutes=minutes))

    return _run


@pytest.fixture
def drive(run_due):
    """Run the periodic sweep until the order has settled (completed, failed or waiting on someone), bounded."""

    def _drive(order, rounds=15):
        for _ in range(rounds):
            order.refresh_from_db()
            if order.status in ("completed", "failed", "awaiting_relationship"):
                break
            run_due()
        order.refresh_from_db()
        return order

    return _drive


def sim_customers(pc_sim, partner=None):
    partner = partner or pc_sim.partners.direct
    return pc_sim.app.state.partner(partner.tenant_id).customers


def sim_requests(pc_sim, method, path):
    return pc_sim.control.requests(method=method, path=path)
