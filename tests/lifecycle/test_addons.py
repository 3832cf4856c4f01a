"""Add-ons end to end against the simulator: the base subscription's page lists the add-on offers its SKU is a
prerequisite of, the catalog names an add-on's prerequisite, and an add-on bought through the normal order path
is recorded under its base, co-terminous with it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from bss.models import Order, Subscription
from tests.factories.bss import MCAAcceptanceFactory
from tests.lifecycle.conftest import BUSINESS_STANDARD
from tests.storefront import flow
from tests.workspace.conftest import record

pytestmark = pytest.mark.django_db

TEAMS_PHONE = ("SIM0TPHONSTD", "0001")  # an add-on of the Microsoft 365 suites, Business Basic included


@pytest.fixture
def reseller(client, world):
    client.force_login(world.reseller_user)
    MCAAcceptanceFactory(customer=world.customer, tenant=world.tenant, attested_at=timezone.now())
    return client


@pytest.fixture
def basic(world):
    return record(world.tenant, world.seeded["sub_business_basic_new"])


def test_catalog_names_an_add_ons_prerequisite(reseller, publish):
    publish(*TEAMS_PHONE)
    publish(BUSINESS_STANDARD)

    page = reseller.get(reverse("storefront:catalog")).content.decode()

    assert "data-addon-prerequisite" in page
    assert "Add-on: requires" in page and "Microsoft 365 Business Standard" in page


def test_add_on_bought_for_its_base_is_co_terminous(reseller, world, basic, publish, pc_sim,
                                                    django_capture_on_commit_callbacks):
    teams_phone = publish(*TEAMS_PHONE)
    page = reseller.get(reverse("workspace:addons", args=[basic.pk])).content.decode()
    assert f'data-addon-offer="{TEAMS_PHONE[0]}:{TEAMS_PHONE[1]}"' in page
    assert "Add-ons…" in reseller.get(reverse("workspace:subscription", args=[basic.pk])).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = reseller.post(reverse("workspace:addons", args=[basic.pk]),
                                 {"offer": teams_phone.pk, "plan": "P1Y:annual", "quantity": 3})

    assert response.status_code == 302, response.content.decode()[-2000:]
    order = flow.settle(pc_sim, Order.objects.get())
    assert order.status == "completed", order.failure_reason
    line = order.lines.get()
    assert line.parent_subscription_id == basic.pk
    addon = Subscription.objects.get(order_line=line)
    assert addon.parent_id == basic.pk
    assert (addon.pc_product_id, addon.quantity) == (TEAMS_PHONE[0], 3)
    assert addon.commitment_end_date == basic.commitment_end_date  # co-terminous with its base
    page = reseller.get(reverse("workspace:addons", args=[basic.pk])).content.decode()
    assert "co-terminous with" in page and "3" in page
    detail = reseller.get(reverse("workspace:subscription", args=[addon.pk])).content.decode()
    assert "Add-on of" in detail


def test_an_offer_that_is_not_an_add_on_of_the_base_is_refused(reseller, basic, publish):
    standard = publish(BUSINESS_STANDARD)

    response = reseller.post(reverse("workspace:addons", args=[basic.pk]),
                             {"offer": standard.pk, "plan": "P1Y:annual", "quantity": 1})

    assert response.status_code == 400
    assert "is not an add-on of" in response.content.decode()
    assert not Order.objects.exists()
