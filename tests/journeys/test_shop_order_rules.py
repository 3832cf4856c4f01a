"""The order rules a new user trips on, enforced by the core's order validation before anything reaches Partner
Center (service-level tests through `order_submit`, the entry point of the storefront and the API; a browser adds
nothing here): the country, address and phone of a new customer; the SKU's quantity bounds; a second order of a
product the tenant already has; and an order for a tenant another reseller's customer has (no probing)."""

from __future__ import annotations

import uuid

import pytest

from bss.choices import OrderStatus, SubscriptionStatus
from bss.exceptions import ApplicationError
from bss.inputs import ExistingTenantInput
from bss.models import AuditEvent, Customer, MicrosoftTenant, Order
from provisioning.choices import OperationKind
from provisioning.models import ProvisioningOperation
from provisioning.services import orders
from tests.factories.bss import (
    CustomerFactory,
    MarketplaceFactory,
    MicrosoftTenantFactory,
    ProviderFactory,
    ResellerFactory,
    ResellerUserFactory,
    SubscriptionFactory,
)
from tests.provisioning.conftest import AZURE_PLAN, BUSINESS_BASIC, line, mca, new_customer, sim_requests

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(sim_instance):
    provider = ProviderFactory()
    marketplace = MarketplaceFactory(owner=provider, instance=sim_instance, market="US", annual_billing_enabled=True)
    reseller = ResellerFactory(parent=provider, name="Fabrikam Reseller")
    other = ResellerFactory(parent=provider, name="Northwind Reseller")
    return marketplace, reseller, ResellerUserFactory(reseller=reseller), other


@pytest.fixture
def place(shop, django_capture_on_commit_callbacks):
    marketplace, reseller, user, _ = shop

    def _place(**kwargs):
        kwargs.setdefault("actor", user)
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


def _refused(place, pc_sim, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as refused:
        place(**kwargs)
    assert Order.objects.count() == 0 and Customer.objects.count() == 0
    assert sim_requests(pc_sim, "POST", "/v1/*") == [], "nothing may reach Partner Center"
    return refused.value


# -- item 6: country, address, phone ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("details", "words"),
    [
        ({"country": "XX"}, "not a country code"),
        ({"country": "FR"}, "sells in US"),
        ({"address_line1": "--"}, "street address"),
        ({"contact_phone": "call me"}, "phone number"),
    ],
)
def test_a_new_customer_with_a_bad_country_address_or_phone_is_refused_before_partner_center(
    place, pc_sim, details, words
):
    refused = _refused(place, pc_sim, new_customer=new_customer(**details))

    assert refused.code == "invalid_customer_details" and words in refused.message
    assert not MicrosoftTenant.objects.exists()


def test_a_market_the_instance_sells_in_is_accepted(place, sim_instance):
    sim_instance.markets = ["GB"]
    sim_instance.save(update_fields=["markets"])

    order = place(new_customer=new_customer(country="gb", state=""))

    assert order.customer.country == "GB"


# -- item 7: the SKU's bounds -------------------------------------------------------------------------------------
def test_a_hundred_thousand_seats_are_refused_with_the_bounds(place, pc_sim):
    refused = _refused(place, pc_sim, lines=[line(quantity=100_000)])

    assert refused.code == "quantity_out_of_range"
    assert "between 1 and 300" in refused.message and "maximum quantity is 300" in refused.message


# -- item 8: a second order of a product the customer has ---------------------------------------------------------
def _customer_with_basic(shop, *, term="P1Y", cycle="annual"):
    marketplace, reseller, _, _ = shop
    tenant = MicrosoftTenantFactory(customer=CustomerFactory(reseller=reseller, marketplace=marketplace))
    product, sku, _ = BUSINESS_BASIC
    SubscriptionFactory(tenant=tenant, customer=tenant.customer, pc_product_id=product, pc_sku_id=sku,
                        term_duration=term, billing_cycle=cycle, status=SubscriptionStatus.ACTIVE, quantity=10)
    return tenant.customer


def test_monthly_billing_beside_an_existing_annual_subscription_is_a_second_subscription(shop, place):
    customer = _customer_with_basic(shop, cycle="annual")

    order = place(customer=customer, new_customer=None, lines=[line(term="P1Y", cycle="monthly")])

    # Placed (what Partner Center then does with this simulated tenant is not under test here).
    assert order.customer == customer and order.lines.get().billing_cycle == "monthly"


def test_the_same_plan_again_points_to_buy_extra_licences(shop, place, pc_sim):
    customer = _customer_with_basic(shop, cycle="monthly")

    with pytest.raises(ApplicationError) as refused:
        place(customer=customer, new_customer=None, lines=[line(term="P1Y", cycle="monthly")])

    assert refused.value.code == "repeat_order_refused"
    assert '"Buy extra licences"' in refused.value.message
    assert Order.objects.count() == 0


# -- hardening 10: no tenant probing across resellers -------------------------------------------------------------
def test_an_order_for_another_resellers_tenant_waits_as_for_any_unrelated_tenant_and_staff_see_why(
    shop, place, pc_sim
):
    marketplace, _, _, other = shop
    theirs = MicrosoftTenantFactory(
        customer=CustomerFactory(reseller=other, marketplace=marketplace, company_name="Their Customer"),
        default_domain="theirs.onmicrosoft.com",
    )

    probed = place(existing_tenant=ExistingTenantInput("theirs.onmicrosoft.com"))
    unrelated = place(existing_tenant=ExistingTenantInput("nobodys.onmicrosoft.com"))

    # The orderer sees the same thing for both: waiting for the customer to accept the relationship.
    assert probed.status == unrelated.status == OrderStatus.AWAITING_RELATIONSHIP
    waits = [ProvisioningOperation.objects.get(order=o, kind=OperationKind.AWAIT_RELATIONSHIP) for o in
             (probed, unrelated)]
    assert waits[0].status == waits[1].status and waits[0].last_error_message == waits[1].last_error_message
    # Nothing of it went to Partner Center's carts, and the other reseller's tenant is untouched.
    assert sim_requests(pc_sim, "POST", "/v1/customers/*/carts") == []
    theirs.refresh_from_db()
    assert theirs.customer.reseller == other
    # Staff have the record naming both resellers.
    event = AuditEvent.objects.get(action="order.tenant_conflict", object_id=str(probed.pk))
    assert "Fabrikam Reseller" in event.after["ordering_reseller"]
    assert "Northwind Reseller" in event.after["tenant_reseller"]


def test_a_second_azure_plan_is_refused_pointing_to_the_azure_portal(shop, place):
    marketplace, reseller, _, _ = shop
    tenant = MicrosoftTenantFactory(customer=CustomerFactory(reseller=reseller, marketplace=marketplace))
    product, sku, _ = AZURE_PLAN
    SubscriptionFactory(tenant=tenant, customer=tenant.customer, pc_product_id=product, pc_sku_id=sku,
                        term_duration="", billing_cycle="monthly", status=SubscriptionStatus.ACTIVE, quantity=1)

    with pytest.raises(ApplicationError) as refused:
        place(customer=tenant.customer, new_customer=None,
              lines=[line(AZURE_PLAN, name="Microsoft Azure plan", quantity=1, term="", max_quantity=1)])

    assert refused.value.code == "repeat_order_refused" and "Azure portal" in refused.value.message


def test_an_azure_plan_is_one_with_no_term(place, pc_sim):
    refused = _refused(place, pc_sim, lines=[line(AZURE_PLAN, name="Microsoft Azure plan", quantity=3, term="")])

    assert refused.code == "quantity_out_of_range" and "billed by usage" in refused.message


def test_a_new_customer_with_its_existing_tenant_is_held_to_the_same_country_rule(place, pc_sim):
    refused = _refused(place, pc_sim, new_customer=new_customer(country="XX"),
                       existing_tenant=ExistingTenantInput("fabrikamexisting.onmicrosoft.com"))

    assert refused.code == "invalid_customer_details" and "not a country code" in refused.message
