"""Bad input in the checkout: each gets a clear message, keeps what the user typed, and creates nothing (twice)."""

import pytest
from django.urls import reverse

from bss.models import Customer, MCAAcceptance, MicrosoftTenant, Order
from catalog.choices import Lifecycle
from tests.storefront import flow
from tests.storefront.conftest import BUSINESS_BASIC, sku_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_checkout(reseller_client, publish):
    """A reseller with Business Basic in the cart, at the "new customer" details step."""
    offer = publish(BUSINESS_BASIC)
    flow.add_to_cart(reseller_client, offer, "P1M:monthly", 3)
    flow.choose(reseller_client, "new")
    return offer


def nothing_created():
    return not (Order.objects.exists() or Customer.objects.exists() or MicrosoftTenant.objects.exists()
                or MCAAcceptance.objects.exists())


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


@pytest.mark.parametrize(
    ("_case", "prefix", "message"),
    [
        ("hyphen", "adventure-works", "Use only letters a-z and digits 0-9"),
        ("too_long", "a" * 28, "at most 27 characters"),
        ("empty", "", "This field is required."),
    ],
)
def test_invalid_domain_prefix_is_explained_and_everything_typed_is_kept(_case, prefix, message, reseller_client,
                                                                         in_checkout):
    response = flow.details(reseller_client, domain_prefix=prefix, city="Redmond")

    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in e for e in form.errors["domain_prefix"])
    html = response.content.decode()
    assert 'value="Adventure Works Cycles"' in html and 'value="1 Microsoft Way"' in html
    assert nothing_created()


def test_taken_domain_is_refused_on_submit_and_by_the_live_check(reseller_client, in_checkout, pc_sim):
    pc_sim.control.create_tenant(domain="takenco.onmicrosoft.com", company_name="Taken Co")

    live = reseller_client.get(reverse("storefront:checkout_domain_check"), {"prefix": "TakenCo"})
    free = reseller_client.get(reverse("storefront:checkout_domain_check"), {"prefix": "freshco99"})
    response = flow.details(reseller_client, domain_prefix="takenco")

    assert live.json() == {"available": False, "prefix": "takenco", "domain": "takenco.onmicrosoft.com",
                           "message": "takenco.onmicrosoft.com is already taken; choose another prefix."}
    assert free.json()["available"] is True
    assert response.status_code == 400
    assert response.context["form"].errors["domain_prefix"] == [
        "takenco.onmicrosoft.com is already taken; choose another prefix."
    ]
    assert 'value="takenco"' in response.content.decode()
    assert nothing_created()


def test_domain_taken_between_review_and_placement_sends_the_user_back_to_the_details(
    reseller_client, in_checkout, pc_sim, django_capture_on_commit_callbacks
):
    flow.details(reseller_client, domain_prefix="racyco1")
    flow.accept_mca(reseller_client)
    key = flow.review_key(reseller_client)
    pc_sim.control.create_tenant(domain="racyco1.onmicrosoft.com")

    response = flow.place(reseller_client, django_capture_on_commit_callbacks, key)

    assert response["Location"] == reverse("storefront:checkout_details")
    page = reseller_client.get(response["Location"])
    assert "racyco1.onmicrosoft.com is already taken" in messages_of(page)
    assert 'value="racyco1"' in page.content.decode()
    assert nothing_created()


def test_invalid_company_details_are_explained_field_by_field(reseller_client, in_checkout):
    response = flow.details(reseller_client, contact_email="not-an-email", state="", country="USA", company_name="")

    errors = response.context["form"].errors
    assert response.status_code == 400
    assert errors["contact_email"] == ["Enter a valid email address."]
    assert errors["country"] == ["Enter the two-letter country code, e.g. US, GB, DE."]
    assert errors["company_name"] == ["This field is required."]
    ok = flow.details(reseller_client, state="", country="US")
    assert ok.context["form"].errors["state"] == ["A state or province is required for addresses in US."]


def test_order_without_mca_is_refused(reseller_client, in_checkout, django_capture_on_commit_callbacks):
    flow.details(reseller_client)
    # Skipping the MCA step: the review page is not reachable and placing is refused.
    review = reseller_client.get(reverse("storefront:checkout_review"))
    response = flow.place(reseller_client, django_capture_on_commit_callbacks, "forged-key-123")

    assert review["Location"] == reverse("storefront:checkout_mca")
    assert response["Location"] == reverse("storefront:checkout_mca")
    page = reseller_client.get(response["Location"])
    assert "Microsoft Customer Agreement must be on record before ordering" in messages_of(page)
    assert nothing_created()


def test_mca_step_requires_the_confirmation_and_a_date_not_in_the_future(reseller_client, in_checkout):
    flow.details(reseller_client)

    unchecked = flow.accept_mca(reseller_client, accept=None)
    future = flow.accept_mca(reseller_client, accepted_on="2999-01-01")

    assert unchecked.context["form"].errors["accept"] == [
        "Confirm that the customer has accepted the Microsoft Customer Agreement."
    ]
    assert future.context["form"].errors["accepted_on"] == ["The date of acceptance cannot be in the future."]
    html = unchecked.content.decode()
    assert "https://aka.ms/customeragreement" in html and 'value="ana.ruiz@adventure-works.test"' in html
    assert nothing_created()


@pytest.mark.parametrize("_case", ["unpublished", "discontinued"])
def test_offer_withdrawn_during_checkout_is_refused_at_placement(
    _case, reseller_client, in_checkout, publish, marketplace, django_capture_on_commit_callbacks
):
    flow.details(reseller_client)
    flow.accept_mca(reseller_client)
    key = flow.review_key(reseller_client)
    if _case == "unpublished":
        publish(BUSINESS_BASIC, published=False)
    else:
        sku = sku_of(marketplace, BUSINESS_BASIC)
        sku.lifecycle = Lifecycle.DISCONTINUED
        sku.save(update_fields=["lifecycle"])

    response = flow.place(reseller_client, django_capture_on_commit_callbacks, key)

    assert response["Location"] == reverse("storefront:cart")
    page = reseller_client.get(response["Location"])
    assert "no longer sold in this marketplace" in page.content.decode()
    assert nothing_created()


def test_quantity_outside_the_offers_limits_is_refused_at_placement(
    reseller_client, in_checkout, marketplace, django_capture_on_commit_callbacks
):
    flow.details(reseller_client)
    flow.accept_mca(reseller_client)
    key = flow.review_key(reseller_client)
    sku = sku_of(marketplace, BUSINESS_BASIC)
    sku.min_quantity = 5  # Microsoft raised the minimum after the line was added
    sku.save(update_fields=["min_quantity"])

    response = flow.place(reseller_client, django_capture_on_commit_callbacks, key)

    assert response["Location"] == reverse("storefront:cart")
    assert "The minimum quantity is 5." in reseller_client.get(response["Location"]).content.decode()
    assert nothing_created()


def test_double_click_and_second_tab_place_one_order(
    reseller_client, in_checkout, pc_sim, django_capture_on_commit_callbacks
):
    flow.details(reseller_client)
    flow.accept_mca(reseller_client)
    first_tab = flow.review_key(reseller_client)
    second_tab = flow.review_key(reseller_client)

    one = flow.place(reseller_client, django_capture_on_commit_callbacks, first_tab)
    two = flow.place(reseller_client, django_capture_on_commit_callbacks, first_tab)  # double click
    three = flow.place(reseller_client, django_capture_on_commit_callbacks, second_tab)  # the other tab

    order = Order.objects.get()
    assert first_tab == second_tab
    assert one["Location"] == two["Location"] == three["Location"] == reverse("storefront:order_detail",
                                                                              args=[order.pk])
    assert Customer.objects.count() == MicrosoftTenant.objects.count() == MCAAcceptance.objects.count() == 1
    creates = [r for r in pc_sim.control.requests(method="POST") if r["path"].lower() == "/v1/customers"]
    assert len(creates) == 1


def test_a_stale_review_page_is_not_placed_after_the_cart_changed(
    reseller_client, in_checkout, django_capture_on_commit_callbacks
):
    flow.details(reseller_client)
    flow.accept_mca(reseller_client)
    stale = flow.review_key(reseller_client)
    flow.add_to_cart(reseller_client, in_checkout, "P1M:monthly", 1)  # in another tab

    response = flow.place(reseller_client, django_capture_on_commit_callbacks, stale)

    assert response["Location"] == reverse("storefront:checkout_review")
    assert "changed since you reviewed them" in messages_of(reseller_client.get(reverse("storefront:cart")))
    assert nothing_created()
    assert flow.review_key(reseller_client) != stale


def test_going_back_and_switching_customer_kind_loses_nothing(reseller_client, in_checkout):
    flow.details(reseller_client, domain_prefix="keepme1")
    flow.choose(reseller_client, "existing_tenant")
    reseller_client.post(reverse("storefront:checkout_details"), {"domain_or_tenant_id": "fabrikam.com"})
    flow.choose(reseller_client, "new")

    page = reseller_client.get(reverse("storefront:checkout_details"))
    flow.choose(reseller_client, "existing_tenant")
    tenant_page = reseller_client.get(reverse("storefront:checkout_details"))

    assert page.context["form"].initial["domain_prefix"] == "keepme1"
    assert 'value="keepme1"' in page.content.decode()
    assert 'value="fabrikam.com"' in tenant_page.content.decode()


def test_checkout_without_a_cart_sends_the_user_to_the_catalog(reseller_client, marketplace):
    response = reseller_client.get(reverse("storefront:checkout_customer"))

    assert response["Location"] == reverse("storefront:catalog")


def test_customer_user_without_a_ready_tenant_is_told_so(client, customer_user_factory, publish):
    client.force_login(customer_user_factory())  # its customer has no Microsoft tenant yet
    flow.add_to_cart(client, publish(BUSINESS_BASIC), "P1M:monthly", 1)

    response = client.get(reverse("storefront:checkout_customer"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("storefront:cart")
    assert "Your Microsoft tenant is not ready for orders yet" in messages_of(response)
    assert not (Order.objects.exists() or MCAAcceptance.objects.exists())
