"""Simulator rules without HTTP."""

import datetime as dt

import pytest

from partnercenter.simulator.backend import Backend, Caller, term_end
from partnercenter.simulator.backend.core import has_mca
from partnercenter.simulator.body import CIDict
from partnercenter.simulator.errors import PCError
from partnercenter.simulator.seed import DIRECT_TENANT, seed_default_data, seed_partners
from partnercenter.simulator.state import SimState

BASIC = "CFQ7TTC0LH18:0001:CFQ7TTC0K971"


@pytest.fixture
def backend() -> Backend:
    state = SimState(seed=1, frozen_clock=True)
    seed_partners(state)
    return Backend(state)


@pytest.fixture
def caller(backend: Backend) -> Caller:
    partner = backend.state.partners[DIRECT_TENANT]
    return Caller(partner, app_only=False, user_id=partner.user_id)


def customer_body(domain: str = "fourthcoffee.onmicrosoft.com", **address: str) -> CIDict:
    default_address = {"country": "US", "city": "Seattle", "state": "WA", "addressLine1": "1 Pine St",
                       "postalCode": "98101"}
    return CIDict({
        "CompanyProfile": {"Domain": domain},
        "BillingProfile": {"Email": "it@fourthcoffee.example", "Culture": "en-US", "Language": "en",
                           "CompanyName": "Fourth Coffee", "DefaultAddress": {**default_address, **address}},
    })


def buy(backend: Backend, caller: Caller, customer_id: str, quantity: int = 10, term: str = "P1Y",
        cycle: str = "annual") -> str:
    line = {"id": 0, "catalogItemId": BASIC, "quantity": quantity, "billingCycle": cycle, "termDuration": term}
    cart = backend.carts.create(caller, customer_id, CIDict({"lineItems": [line]}))
    cart, _ = backend.carts.checkout_begin(caller, customer_id, cart.id)
    orders = backend.carts.checkout_commit(caller, cart)
    backend.state.clock.advance(backend.state.config.order_provisioning_seconds)
    return orders[0].lines[0].subscription_id


def confirm_mca(backend: Backend, caller: Caller, customer_id: str) -> None:
    backend.agreements.create(caller, customer_id, CIDict({
        "primaryContact": {"firstName": "Ana", "lastName": "Ruiz", "email": "ana@example.com"},
        "templateId": "117a77b0-9360-443b-8795-c6dedc750cf9", "dateAgreed": "2025-03-04T00:00:00Z",
        "type": "MicrosoftCustomerAgreement"}))


def test_reads_pascal_case_bodies_and_reuses_customer_for_same_request_id(backend, caller):
    first, credentials = backend.customers.create(caller, customer_body(), "req-1")
    again, same_credentials = backend.customers.create(caller, customer_body(), "req-1")

    assert again is first
    assert same_credentials == credentials
    assert first.company_name == "Fourth Coffee"
    assert len(caller.partner.customers) == 1


def test_refuses_a_domain_that_is_taken(backend, caller):
    backend.customers.create(caller, customer_body(), "req-1")

    with pytest.raises(PCError) as error:
        backend.customers.create(caller, customer_body(), "req-2")

    assert (error.value.status, error.value.code) == (409, 800002)


@pytest.mark.parametrize(
    ("_case", "address", "code"),
    [
        ("registration number missing in Hungary", {"country": "HU", "state": ""}, 600049),
        ("registration number missing in Ukraine", {"country": "UA", "state": ""}, 600049),
        ("state missing in the US", {"state": ""}, 800002),
    ],
)
def test_applies_country_address_rules(backend, caller, _case, address, code):
    with pytest.raises(PCError) as error:
        backend.customers.create(caller, customer_body(**address), None)

    assert error.value.code == code


def test_phone_is_required_in_cis_markets(backend, caller):
    body = customer_body(country="UA", state="")
    body["companyProfile"]["organizationRegistrationNumber"] = "12345678"

    with pytest.raises(PCError) as error:
        backend.customers.create(caller, body, None)

    assert error.value.code == 600051


def test_registration_number_is_refused_where_not_supported(backend, caller):
    body = customer_body()
    body["companyProfile"]["organizationRegistrationNumber"] = "12345678"

    with pytest.raises(PCError) as error:
        backend.customers.create(caller, body, None)

    assert error.value.code == 600002


def test_checkout_needs_the_mca(backend, caller):
    customer, _ = backend.customers.create(caller, customer_body(), None)
    cart = backend.carts.create(caller, customer.id, CIDict({"lineItems": [
        {"id": 0, "catalogItemId": BASIC, "quantity": 1, "billingCycle": "monthly", "termDuration": "P1M"}]}))

    with pytest.raises(PCError) as error:
        backend.carts.checkout_begin(caller, customer.id, cart.id)

    assert (error.value.status, error.value.code) == (403, 13605)


def test_cart_line_with_unsupported_billing_plan_carries_a_line_error(backend, caller):
    customer, _ = backend.customers.create(caller, customer_body(), None)

    cart = backend.carts.create(caller, customer.id, CIDict({"lineItems": [
        {"id": 0, "catalogItemId": BASIC, "quantity": 1, "billingCycle": "annual", "termDuration": "P1M"}]}))

    assert cart.lines[0].error is not None
    assert cart.lines[0].error["errorCode"] == 10013


def test_seats_added_inside_the_window_can_be_removed_then_not(backend, caller):
    customer, _ = backend.customers.create(caller, customer_body(), None)
    confirm_mca(backend, caller, customer.id)
    sid = buy(backend, caller, customer.id, quantity=10)
    backend.state.clock.advance(8 * 86400)
    backend.subscriptions.patch(caller, customer.id, sid, CIDict({"quantity": 15, "autoRenewEnabled": True}), None)

    sub = backend.subscriptions.patch(caller, customer.id, sid, CIDict({"quantity": 12, "autoRenewEnabled": True}),
                                     None)
    assert sub.quantity == 12
    assert [b.quantity for b in backend.core.refundable(sub)] == [2]

    with pytest.raises(PCError) as error:
        backend.subscriptions.patch(caller, customer.id, sid, CIDict({"quantity": 9, "autoRenewEnabled": True}), None)
    assert error.value.code == 800090  # Microsoft's documented "quantity can't be decreased"


def test_cancel_inside_window_only(backend, caller):
    customer, _ = backend.customers.create(caller, customer_body(), None)
    confirm_mca(backend, caller, customer.id)
    early, late = buy(backend, caller, customer.id), buy(backend, caller, customer.id)

    cancelled = backend.subscriptions.patch(caller, customer.id, early, CIDict({"status": "deleted"}), None)
    backend.state.clock.advance(169 * 3600)

    assert cancelled.status == "deleted"
    with pytest.raises(PCError) as error:
        backend.subscriptions.patch(caller, customer.id, late, CIDict({"status": "deleted"}), None)
    assert (error.value.status, error.value.code) == (400, 900213)
    assert "168-hour" in error.value.description


def test_patch_without_auto_renew_turns_it_off(backend, caller):
    customer, _ = backend.customers.create(caller, customer_body(), None)
    confirm_mca(backend, caller, customer.id)
    sid = buy(backend, caller, customer.id)

    sub = backend.subscriptions.patch(caller, customer.id, sid, CIDict({"friendlyName": "HQ"}), None)

    assert sub.auto_renew is False
    assert sub.friendly_name == "HQ"


def test_renews_at_term_end_or_expires(backend, caller):
    customer, _ = backend.customers.create(caller, customer_body(), None)
    confirm_mca(backend, caller, customer.id)
    renewing = buy(backend, caller, customer.id, term="P1M", cycle="monthly")
    expiring = buy(backend, caller, customer.id, term="P1M", cycle="monthly")
    backend.subscriptions.patch(caller, customer.id, expiring, CIDict({"autoRenewEnabled": False}), None)
    first_end = backend.subscriptions.get(caller, customer.id, renewing).commitment_end

    backend.state.clock.advance(40 * 86400)

    renewed = backend.subscriptions.get(caller, customer.id, renewing)
    assert renewed.status == "active"
    assert renewed.commitment_end == term_end(first_end + dt.timedelta(days=1), "P1M")
    assert backend.subscriptions.get(caller, customer.id, expiring).status == "expired"
    backend.state.clock.advance(31 * 86400)
    assert backend.subscriptions.get(caller, customer.id, expiring).status == "disabled"


def test_default_seed_matches_the_fact_sheet_suggestion(backend):
    ids = seed_default_data(backend)
    partner = backend.state.partners[DIRECT_TENANT]

    assert partner.subscriptions[ids["sub_business_basic_new"]].quantity == 12
    assert partner.subscriptions[ids["sub_exchange_suspended"]].status == "suspended"
    assert len(partner.subscriptions[ids["sub_azure_plan"]].entitlements) == 2
    assert not has_mca(partner.customers[ids["customer_no_mca"]])
