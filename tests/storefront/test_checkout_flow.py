"""End to end through the storefront views, against the Partner Center simulator over HTTPS.

cart -> checkout wizard -> order_place -> provisioning tasks (eager) -> simulator -> active subscriptions.
"""

import html
import json

import pytest
from django.urls import reverse

from bss.choices import OrderKind, OrderStatus
from bss.models import Customer, MCAAcceptance, Order, Subscription
from tests.storefront import flow
from tests.storefront.conftest import BUSINESS_BASIC, BUSINESS_STANDARD

pytestmark = pytest.mark.django_db


def sim_subscriptions(pc_sim, customer_id: str) -> dict[str, dict]:
    session = pc_sim.session(pc_sim.partners.direct.tenant_id)
    items = session.get(f"{pc_sim.base_url}/v1/customers/{customer_id}/subscriptions", timeout=10).json()["items"]
    return {s["id"]: s for s in items}


def test_new_customer_order_ends_with_active_subscriptions_recorded_with_partner_center_ids(
    reseller_client, reseller_user, synced, publish, pc_sim, django_capture_on_commit_callbacks
):
    # Given the catalog synced from the simulator and two plans published
    basic, standard = publish(BUSINESS_BASIC), publish(BUSINESS_STANDARD)
    flow.add_to_cart(reseller_client, basic, "P1Y:monthly", 5)
    flow.add_to_cart(reseller_client, standard, "P1M:monthly", 2)

    # When the reseller goes through the wizard and places the order
    response = flow.new_customer_checkout(reseller_client, django_capture_on_commit_callbacks)

    # Then the order exists, is provisioned by the simulator, and the subscriptions carry Partner Center's ids
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("storefront:order_detail", args=[order.pk])
    assert order.kind == OrderKind.NEW_CUSTOMER and order.placed_by == reseller_user
    order = flow.settle(pc_sim, order)
    assert order.status == OrderStatus.COMPLETED, order.failure_reason
    tenant = order.tenant
    assert tenant.default_domain == "adventureworks42.onmicrosoft.com" and tenant.pc_customer_id
    subs = Subscription.objects.filter(customer=order.customer).order_by("name")
    remote = sim_subscriptions(pc_sim, tenant.pc_customer_id)
    assert [(s.name, s.quantity, s.billing_cycle, s.term_duration, s.status) for s in subs] == [
        ("Microsoft 365 Business Basic", 5, "monthly", "P1Y", "active"),
        ("Microsoft 365 Business Standard", 2, "monthly", "P1M", "active"),
    ]
    assert {s.pc_subscription_id for s in subs} == set(remote)
    assert all(remote[s.pc_subscription_id]["quantity"] == s.quantity for s in subs)
    customer = order.customer
    assert (customer.company_name, customer.contact_email, customer.reseller) == (
        "Adventure Works Cycles", "ana.ruiz@adventure-works.test", reseller_user.reseller
    )
    mca = MCAAcceptance.objects.get(customer=customer)
    assert (mca.role, mca.signatory_email, mca.recorded_by) == ("reseller", "ana.ruiz@adventure-works.test",
                                                                reseller_user)
    # The cart is empty after ordering; the wizard starts afresh next time
    assert reseller_client.get(reverse("storefront:cart")).context["lines"] == []

    # And the new tenant's admin credentials are shown once, then never again
    first = reseller_client.get(reverse("storefront:order_detail", args=[order.pk]))
    second = reseller_client.get(reverse("storefront:order_detail", args=[order.pk]))
    credentials = first.context["credentials"]
    assert credentials is not None and credentials.password
    assert html.escape(credentials.password) in first.content.decode()
    assert "admin@adventureworks42.onmicrosoft.com" in first.content.decode()
    assert second.context["credentials"] is None
    assert html.escape(credentials.password) not in second.content.decode()
    assert "Completed" in second.content.decode()


def test_annual_billing_order_passes_billing_cycle_annual(
    reseller_client, publish, pc_sim, django_capture_on_commit_callbacks
):
    basic = publish(BUSINESS_BASIC)
    flow.add_to_cart(reseller_client, basic, "P1Y:annual", 3)
    pc_sim.control.clear_requests()

    flow.new_customer_checkout(reseller_client, django_capture_on_commit_callbacks, domain_prefix="annualco7")
    order = flow.settle(pc_sim, Order.objects.get())

    assert order.status == OrderStatus.COMPLETED, order.failure_reason
    carts = [r for r in pc_sim.control.requests(method="POST") if r["path"].lower().endswith("/carts")]
    assert len(carts) == 1
    items = json.loads(carts[0]["body"])["lineItems"]
    assert [(i["catalogItemId"].split(":")[0], i["quantity"], i["termDuration"], i["billingCycle"]) for i in items] \
        == [(BUSINESS_BASIC, 3, "P1Y", "annual")]
    sub = Subscription.objects.get(customer=order.customer)
    assert (sub.billing_cycle, sub.term_duration) == ("annual", "P1Y")
    assert order.lines.get().unit_price == 72


def test_existing_tenant_order_waits_for_the_relationship_then_completes(
    reseller_client, publish, pc_sim, django_capture_on_commit_callbacks
):
    tenant = pc_sim.control.create_tenant(domain="adatum.onmicrosoft.com", company_name="Adatum")
    basic = publish(BUSINESS_BASIC)
    flow.add_to_cart(reseller_client, basic, "P1M:monthly", 4)

    assert flow.choose(reseller_client, "existing_tenant").status_code == 302
    details = {k: v for k, v in flow.NEW_CUSTOMER.items() if k != "domain_prefix"}
    response = reseller_client.post(
        reverse("storefront:checkout_details"),
        {**details, "company_name": "Adatum Corporation", "domain_or_tenant_id": "Adatum.onmicrosoft.com "},
    )
    assert response.status_code == 302
    assert flow.accept_mca(reseller_client).status_code == 302
    flow.place(reseller_client, django_capture_on_commit_callbacks, flow.review_key(reseller_client))

    # The order waits, with the relationship link and instructions shown
    order = Order.objects.get()
    assert (order.kind, order.status) == (OrderKind.EXISTING_TENANT, OrderStatus.AWAITING_RELATIONSHIP)
    page = reseller_client.get(reverse("storefront:order_detail", args=[order.pk]))
    html = page.content.decode()
    assert page.context["relationship_link"].startswith("https://admin.microsoft.com/")
    assert "invType=ResellerRelationship" in html and "global administrator" in html
    assert "Check now" in html

    # "Check now" before the admin accepted: still waiting, and said so
    check_url = reverse("storefront:order_check_relationship", args=[order.pk])
    early = reseller_client.post(check_url, follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_RELATIONSHIP
    assert "does not show the relationship yet" in early.content.decode()

    # The tenant's admin accepts the link in the simulator; "check now" sees it and the pipeline continues
    pc_sim.control.accept_relationship(pc_sim.partners.direct.tenant_id, domain="adatum.onmicrosoft.com")
    with django_capture_on_commit_callbacks(execute=True):
        reseller_client.post(check_url)
    order = flow.settle(pc_sim, order)

    assert order.status == OrderStatus.COMPLETED, order.failure_reason
    assert order.tenant.pc_customer_id == tenant["tenantId"]
    sub = Subscription.objects.get(customer=order.customer)
    assert (sub.quantity, sub.status) == (4, "active") and sub.pc_subscription_id in sim_subscriptions(pc_sim,
                                                                                                      tenant["tenantId"])


def test_order_for_an_existing_customer_adds_subscriptions_to_its_tenant(
    reseller_client, publish, pc_sim, django_capture_on_commit_callbacks
):
    basic, standard = publish(BUSINESS_BASIC), publish(BUSINESS_STANDARD)
    flow.add_to_cart(reseller_client, basic, "P1M:monthly", 1)
    flow.new_customer_checkout(reseller_client, django_capture_on_commit_callbacks, domain_prefix="repeatco1")
    first = flow.settle(pc_sim, Order.objects.get())
    assert first.status == OrderStatus.COMPLETED

    # The customer now exists with its MCA on record: the MCA step only confirms it
    flow.add_to_cart(reseller_client, standard, "P1M:monthly", 2)
    assert flow.choose(reseller_client, "existing_customer", first.customer).status_code == 302
    mca_page = reseller_client.get(reverse("storefront:checkout_mca"))
    assert mca_page.context["on_record"] is not None
    reseller_client.post(reverse("storefront:checkout_mca"), {"use_on_record": "1"})
    flow.place(reseller_client, django_capture_on_commit_callbacks, flow.review_key(reseller_client))

    second = flow.settle(pc_sim, Order.objects.exclude(pk=first.pk).get())
    assert (second.kind, second.status, second.tenant) == (OrderKind.ADD_ON, OrderStatus.COMPLETED, first.tenant)
    assert Subscription.objects.filter(customer=first.customer, status="active").count() == 2
    assert MCAAcceptance.objects.filter(customer=first.customer).count() == 1


def test_customer_user_accepts_the_mca_itself_and_orders_for_its_own_tenant(
    client, customer_user_factory, publish, pc_sim, django_capture_on_commit_callbacks, reseller_client,
):
    # A customer with a provisioned tenant (ordered by its reseller) ...
    basic, standard = publish(BUSINESS_BASIC), publish(BUSINESS_STANDARD)
    flow.add_to_cart(reseller_client, basic, "P1M:monthly", 1)
    flow.new_customer_checkout(reseller_client, django_capture_on_commit_callbacks, domain_prefix="selfserve1")
    first = flow.settle(pc_sim, Order.objects.get())
    MCAAcceptance.objects.filter(customer=first.customer).delete()  # as if its acceptance had never been recorded
    user = customer_user_factory(customer=first.customer)
    client.force_login(user)

    flow.add_to_cart(client, standard, "P1M:monthly", 3)
    start = client.get(reverse("storefront:checkout_customer"))
    mca_page = client.get(start["Location"])
    form = mca_page.context["form"]
    response = client.post(reverse("storefront:checkout_mca"), {**flow.SIGNATORY, "signatory_email": "carla@x.test"})
    flow.place(client, django_capture_on_commit_callbacks, flow.review_key(client))

    assert start["Location"] == reverse("storefront:checkout_mca")
    assert "I accept the Microsoft Customer Agreement" in mca_page.content.decode()
    assert form.initial["signatory_email"] == "carla@customer.test"
    assert response.status_code == 302
    order = flow.settle(pc_sim, Order.objects.exclude(pk=first.pk).get())
    assert (order.customer, order.placed_by, order.status) == (first.customer, user, OrderStatus.COMPLETED)
    mca = MCAAcceptance.objects.get(customer=first.customer)
    assert (mca.role, mca.signatory_email) == ("customer", "carla@x.test")
    assert Customer.objects.count() == 1


def test_order_refused_by_partner_center_shows_failed_with_the_reason(
    reseller_client, publish, pc_sim, django_capture_on_commit_callbacks
):
    flow.add_to_cart(reseller_client, publish(BUSINESS_BASIC), "P1M:monthly", 2)
    pc_sim.control.inject_fault("error", method="POST", path="/v1/customers/*/carts", status=400, code=800002,
                                description="Invalid request input: the offer cannot be purchased right now")

    flow.new_customer_checkout(reseller_client, django_capture_on_commit_callbacks, domain_prefix="refusedco1")
    order = flow.settle(pc_sim, Order.objects.get())

    assert order.status == OrderStatus.FAILED
    assert "the offer cannot be purchased right now" in order.failure_reason
    page = reseller_client.get(reverse("storefront:order_detail", args=[order.pk]))
    status = reseller_client.get(reverse("storefront:order_status", args=[order.pk])).json()
    assert "The order failed" in page.content.decode()
    assert "the offer cannot be purchased right now" in page.content.decode()
    assert status["status"] == "failed" and "cannot be purchased" in status["failure_reason"]
    assert not Subscription.objects.filter(customer=order.customer, status="active").exists()


def test_indirect_provider_link_names_the_resellers_partner_id(
    reseller_client, reseller, marketplace, publish, pc_sim, django_capture_on_commit_callbacks
):
    indirect = pc_sim.partners.indirect
    instance = marketplace.instance
    instance.csp_model = "indirect_provider"
    instance.partner_tenant_id = indirect.tenant_id
    instance.partner_id = indirect.mpn_id
    instance.save()
    reseller.pc_tenant_id = pc_sim.partners.reseller_tailspin
    reseller.partner_id = "5123456"
    reseller.save()
    pc_sim.control.create_tenant(domain="litware.onmicrosoft.com", company_name="Litware")
    flow.add_to_cart(reseller_client, publish(BUSINESS_BASIC), "P1M:monthly", 1)

    flow.choose(reseller_client, "existing_tenant")
    details = {k: v for k, v in flow.NEW_CUSTOMER.items() if k != "domain_prefix"}
    reseller_client.post(reverse("storefront:checkout_details"),
                         {**details, "company_name": "Litware Inc", "domain_or_tenant_id": "litware.onmicrosoft.com"})
    flow.accept_mca(reseller_client)
    flow.place(reseller_client, django_capture_on_commit_callbacks, flow.review_key(reseller_client))

    order = Order.objects.get()
    page = reseller_client.get(reverse("storefront:order_detail", args=[order.pk]))
    link = page.context["relationship_link"]
    assert order.status == OrderStatus.AWAITING_RELATIONSHIP
    assert f"partnerId={pc_sim.partners.reseller_tailspin}" in link
    assert f"indirectCSPId={indirect.tenant_id}" in link
    assert "Fabrikam Reseller (partner ID 5123456)" in page.content.decode()
