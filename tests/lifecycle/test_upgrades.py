"""Upgrades (Partner Center transitions) from the subscription page, end to end against the simulator over HTTPS:
eligibility listed from Partner Center, a partial upgrade into a new co-terminous subscription recorded with a
`convert` ledger entry on both sides, and Microsoft's rules refused on the page with their message."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.keys import api_key_create
from billing.rating.ledger import rate_subscription
from billing.services.history import Audience, priced_history
from bss.models import LicenseLedgerEntry, Subscription
from bss.partner_center import get_client
from catalog import lifecycle as catalog_lifecycle
from provisioning.models import ProvisioningOperation
from provisioning.pipeline import upgrade as upgrade_pipeline
from tests.backoffice.conftest import staff_with
from tests.lifecycle.conftest import BUSINESS_BASIC, BUSINESS_STANDARD
from tests.workspace.conftest import buy_in_simulator, record, sim_subscription

pytestmark = pytest.mark.django_db

STANDARD = "CFQ7TTC0LDPB:0001"


@pytest.fixture
def reseller(client, world):
    client.force_login(world.reseller_user)
    return client


@pytest.fixture
def basic(world):
    """Business Basic x12, annual, bought today (its upgrade targets: Business Standard and Premium)."""
    return record(world.tenant, world.seeded["sub_business_basic_new"])


def _standard_item(page: str) -> str:
    match = re.search(STANDARD + r":[A-Z0-9]+", page)
    assert match is not None, "Business Standard is not offered"
    return match.group(0)


def test_page_lists_partner_centers_eligible_targets_and_microsofts_rules(reseller, basic):
    response = reseller.get(reverse("workspace:upgrade", args=[basic.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Microsoft 365 Business Standard" in page and STANDARD in page
    assert "cannot be scheduled for a later date" in page
    assert "number of licences cannot grow" in page
    assert "promotion on this subscription is lost" in page


def test_partial_upgrade_into_a_new_subscription(reseller, world, basic, pc_sim, run_after_commit, publish):
    publish(BUSINESS_STANDARD)
    publish(BUSINESS_BASIC)  # the source's price (it was bought outside the BSS: the price list's)
    page = reseller.get(reverse("workspace:upgrade", args=[basic.pk])).content.decode()
    target_item = _standard_item(page)

    response = run_after_commit(
        reseller.post, reverse("workspace:upgrade", args=[basic.pk]),
        {"to_catalog_item_id": target_item, "quantity": 5, "into": "new"},
    )

    assert response.status_code == 302, response.content.decode()[-3000:]
    op = ProvisioningOperation.objects.get(subscription=basic, kind="upgrade")
    assert op.status == "succeeded", op.last_error_message
    basic.refresh_from_db()
    assert (basic.quantity, basic.status) == (7, "active")
    assert sim_subscription(pc_sim, world.tenant, basic.pc_subscription_id).quantity == 7
    target = Subscription.objects.get(pc_subscription_id=op.result["to_subscription_id"])
    assert (target.quantity, target.pc_product_id, target.status) == (5, "CFQ7TTC0LDPB", "active")
    assert target.commitment_end_date == basic.commitment_end_date  # co-terminous with the source
    source_convert = LicenseLedgerEntry.objects.get(subscription=basic, kind="convert")
    target_convert = LicenseLedgerEntry.objects.get(subscription=target, kind="convert")
    assert (source_convert.quantity_before, source_convert.quantity_after) == (12, 7)
    assert (target_convert.quantity_before, target_convert.quantity_after) == (0, 5)
    assert source_convert.reference_id == target_convert.reference_id == op.result["transition_id"]
    assert target_convert.unit_price == catalog_lifecycle.sale_price_of(
        marketplace=world.customer.marketplace, pc_product_id=BUSINESS_STANDARD, pc_sku_id="0001",
        term_duration=basic.term_duration, billing_cycle=basic.billing_cycle,
    )  # the marketplace's price of Business Standard
    assert target_convert.unit_price is not None
    # Billing rates the pair as Microsoft does: the source refunded, the target charged, `convert` both.
    today = timezone.now().date()
    for sub, sign in ((basic, -1), (target, 1)):
        history = priced_history(sub, list(sub.ledger.order_by("effective_at", "id")), audience=Audience.CUSTOMER)
        converts = [c for c in rate_subscription(history.events, through=today) if c.charge_type.value == "convert"]
        assert [(c.quantity, c.amount > 0) for c in converts] == [(5, sign > 0)], converts

    # Idempotent: a read-back finds the same transition (none created again) and recording it again adds nothing.
    client = get_client(world.tenant.instance)
    outcome = upgrade_pipeline.settle(client, op)
    assert outcome.result["transition_id"] == op.result["transition_id"]
    transitions = client.subscriptions.list_transitions(
        customer_id=world.tenant.pc_customer_id, subscription_id=basic.pc_subscription_id
    )
    assert len(transitions) == 1
    upgrade_pipeline.upgraded(op, outcome)
    assert LicenseLedgerEntry.objects.filter(kind="convert").count() == 2
    detail = reseller.get(reverse("workspace:subscription", args=[basic.pk])).content.decode()
    assert "Upgrade subscription (transition)" in detail


def test_quantity_increase_during_an_upgrade_is_refused_on_the_page(reseller, basic, run_after_commit):
    page = reseller.get(reverse("workspace:upgrade", args=[basic.pk])).content.decode()

    response = run_after_commit(
        reseller.post, reverse("workspace:upgrade", args=[basic.pk]),
        {"to_catalog_item_id": _standard_item(page), "quantity": 15, "into": "new"},
    )

    assert response.status_code == 400
    assert "The quantity cannot increase during an upgrade" in response.content.decode()
    assert not ProvisioningOperation.objects.filter(subscription=basic).exists()
    basic.refresh_from_db()
    assert basic.quantity == 12


def test_future_dated_upgrade_is_refused_on_the_page(reseller, basic):
    page = reseller.get(reverse("workspace:upgrade", args=[basic.pk])).content.decode()
    later = timezone.now().date() + dt.timedelta(days=10)

    response = reseller.post(
        reverse("workspace:upgrade", args=[basic.pk]),
        {"to_catalog_item_id": _standard_item(page), "quantity": 5, "into": "new", "effective_on": later.isoformat()},
    )

    assert response.status_code == 400
    assert "cannot be scheduled for" in response.content.decode()
    assert not ProvisioningOperation.objects.filter(subscription=basic).exists()


def test_promotion_loss_must_be_confirmed(reseller, basic):
    Subscription.objects.filter(pk=basic.pk).update(promotion_id="39NFJQT1PJQB:0001:39NFJQT1Q5KN")
    page = reseller.get(reverse("workspace:upgrade", args=[basic.pk])).content.decode()
    assert "Upgrading loses it" in page

    response = reseller.post(
        reverse("workspace:upgrade", args=[basic.pk]),
        {"to_catalog_item_id": _standard_item(page), "quantity": 5, "into": "new"},
    )

    assert response.status_code == 400
    assert "the upgrade loses it" in response.content.decode()


def test_a_target_partner_center_does_not_offer_is_refused(reseller, basic):
    response = reseller.post(
        reverse("workspace:upgrade", args=[basic.pk]),
        {"to_catalog_item_id": "CFQ7TTC0LH18:0001:CFQ7TTC0K971", "quantity": 5, "into": "new"},
    )

    assert response.status_code == 400
    assert "is not an upgrade Partner Center offers" in response.content.decode()


def test_customer_user_may_not_upgrade(client, world, basic):
    client.force_login(world.customer_user)

    response = client.post(
        reverse("workspace:upgrade", args=[basic.pk]), {"to_catalog_item_id": STANDARD, "quantity": 1}
    )

    assert response.status_code == 403
    assert not ProvisioningOperation.objects.filter(subscription=basic).exists()


def test_staff_upgrade_into_an_existing_subscription_from_the_back_office(client, world, basic, pc_sim,
                                                                          run_after_commit, publish):
    """Staff with the change permission move licences into an existing Business Standard subscription that Partner
    Center lists as eligible; staff who may only view are refused by the same service."""
    publish(BUSINESS_STANDARD)
    publish(BUSINESS_BASIC)
    standard_id = buy_in_simulator(pc_sim, world.tenant, (BUSINESS_STANDARD, "0001"), quantity=3, term="P1Y",
                                   billing=basic.billing_cycle)
    pc_sim.control.advance(hours=24 * 8)  # past the target's cancellation window (else it is not eligible)
    standard = record(world.tenant, standard_id)
    Subscription.objects.filter(pk=standard.pk).update(commitment_end_date=basic.commitment_end_date)
    viewer = staff_with("bss.view_subscription")
    client.force_login(viewer)
    url = reverse("backoffice:subscription_upgrade", args=[basic.pk])
    page = client.get(url).content.decode()
    assert "Upgrade…" in client.get(reverse("backoffice:subscription_detail", args=[basic.pk])).content.decode()
    item = _standard_item(page)

    refused = client.post(url, {"to_catalog_item_id": item, "quantity": 4, "into": str(standard.pk)})
    assert refused.status_code == 403

    client.force_login(staff_with("bss.view_subscription", "provisioning.add_provisioningoperation"))
    response = run_after_commit(client.post, url, {"to_catalog_item_id": item, "quantity": 4,
                                                   "into": str(standard.pk)})

    assert response.status_code == 302, response.content.decode()[-2000:]
    op = ProvisioningOperation.objects.get(subscription=basic, kind="upgrade")
    assert op.status == "succeeded", op.last_error_message
    assert op.result["to_subscription_id"] == standard.pc_subscription_id
    basic.refresh_from_db()
    standard.refresh_from_db()
    assert (basic.quantity, standard.quantity) == (8, 7)
    convert = LicenseLedgerEntry.objects.get(subscription=standard, kind="convert")
    assert (convert.quantity_before, convert.quantity_after) == (3, 7)
    # Billing rates seats moved into an existing subscription as Microsoft's `moveQuantity`.
    history = priced_history(standard, list(standard.ledger.order_by("effective_at", "id")),
                             audience=Audience.CUSTOMER)
    assert convert.effective_at is not None  # the simulator's time (8 days on)
    charges = rate_subscription(history.events, through=convert.effective_at.date())
    assert [(c.charge_type.value, c.quantity) for c in charges if c.reference_id == convert.reference_id] == [
        ("moveQuantity", 4)
    ]
    assert standard.pc_subscription_id is not None
    assert sim_subscription(pc_sim, world.tenant, standard.pc_subscription_id).quantity == 7


def test_the_api_lists_the_targets_and_refuses_as_the_page_does(world, basic, run_after_commit):
    admin = world.reseller_user
    type(admin).objects.filter(pk=admin.pk).update(is_reseller_admin=True)
    admin.refresh_from_db()
    _key, secret = api_key_create(actor=admin, reseller=world.customer.reseller, name="upgrades")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    url = f"/api/v1/subscriptions/{basic.pk}/upgrade/"

    listed = api.get(url)
    assert listed.status_code == 200, listed.content
    item = next(o["catalog_item_id"] for o in listed.json()["options"] if o["catalog_item_id"].startswith(STANDARD))

    refused = api.post(url, {"to_catalog_item_id": item, "quantity": 13}, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "upgrade_quantity_increase"

    accepted = run_after_commit(api.post, url, {"to_catalog_item_id": item, "quantity": 2}, format="json")
    assert accepted.status_code == 202, accepted.content
    basic.refresh_from_db()
    assert basic.quantity == 10
