"""The demo's customer user has something to try: `seed_demo` gives its company (Relecloud, the simulator's seeded
indirect customer, sold by Tailspin) the tenant and subscriptions the simulator holds, and the workspace shows them.

Test client against the HTTPS simulator (the pages are plain; the demo's screenshots are taken by hand)."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from bss.models import MicrosoftTenant, Subscription, User
from demo.management.commands.seed_demo import CUSTOMER_USER, DEMO_USERS

pytestmark = pytest.mark.django_db


def test_the_demo_customer_user_sees_a_tenant_and_subscriptions(client, sim_settings, pc_sim):
    seeded = pc_sim.control.seeded
    call_command("seed_demo", simulator_url=pc_sim.base_url, simulator_ca=pc_sim.ca_bundle)

    user = User.objects.get(username=CUSTOMER_USER)
    assert CUSTOMER_USER in DEMO_USERS and user.role == "customer"
    tenant = MicrosoftTenant.objects.get(customer=user.customer)
    assert tenant.pc_customer_id == seeded["indirect_customer"]
    assert tenant.customer.reseller.name == "Tailspin Toys IT"
    subscriptions = list(Subscription.objects.filter(customer=user.customer))
    assert [s.pc_subscription_id for s in subscriptions] == [seeded["indirect_sub"]]

    client.force_login(user)
    home = client.get(reverse("storefront:home"), follow=True).content.decode()
    panel = client.get(reverse("workspace:panel", args=[user.customer_id])).content.decode()
    assert tenant.default_domain in panel and subscriptions[0].name in panel
    assert "Relecloud" in home

    # A second run (every `make demo` start) changes nothing.
    call_command("seed_demo", simulator_url=pc_sim.base_url, simulator_ca=pc_sim.ca_bundle)
    assert Subscription.objects.filter(customer=user.customer).count() == 1
