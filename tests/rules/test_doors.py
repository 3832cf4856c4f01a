"""Every subscription rule, asked through both doors: the workspace page and the API answer the same (both accept,
or both refuse with the same message), because both call the one core service that enforces it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bss.models import LicenseLedgerEntry, Subscription
from catalog.models import Product, Sku
from tests.workspace.conftest import record

pytestmark = pytest.mark.django_db

RESELLER_ONLY = "Only the customer's reseller can do this; ask your reseller."


@pytest.fixture
def basic(world) -> Subscription:
    """Business Basic x12, annual, bought today in Partner Center: inside every window."""
    return record(world.tenant, world.seeded["sub_business_basic_new"])


def _same(page, api):
    assert page.accepted == api.accepted, (page, api)
    assert page.message == api.message, (page, api)


# --- who may do what ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "data"),
    [("quantity", {"quantity": 10}), ("suspend", {}), ("reactivate", {}), ("cancel", {})],
)
def test_a_customer_user_cannot_reduce_suspend_reactivate_or_cancel(doors, world, basic, action, data):
    if action == "reactivate":
        Subscription.objects.filter(pk=basic.pk).update(status="suspended")

    page, api = doors(world.customer_user).both(basic, action, **data)

    _same(page, api)
    assert not api.accepted
    assert api.message == RESELLER_ONLY
    assert (api.status, api.code) == (403, "reseller_only")


@pytest.mark.parametrize(
    ("action", "data"),
    [("quantity", {"quantity": 14}), ("extra_licences", {"additional": 2}), ("auto_renew", {"enabled": "off"})],
)
def test_a_customer_user_can_add_licences_and_toggle_auto_renew(doors, world, basic, action, data):
    page, api = doors(world.customer_user).both(basic, action, **data)

    _same(page, api)
    assert page.accepted and api.accepted
    assert api.status == 202


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("quantity", {"quantity": 14}),
        ("quantity", {"quantity": 10}),
        ("extra_licences", {"additional": 1}),
        ("suspend", {}),
        ("auto_renew", {"enabled": "off"}),
        ("cancel", {}),
    ],
)
def test_staff_without_the_tool_permission_cannot_act_on_either_door(
    doors, world, basic, staff_without_tool, action, data
):
    page, api = doors(staff_without_tool).both(basic, action, **data)

    _same(page, api)
    assert not api.accepted
    assert (api.status, api.code) == (403, "staff_permission_required")
    assert "permission to change subscriptions" in api.message


@pytest.mark.parametrize("action", ["suspend", "cancel"])
def test_staff_with_the_tool_permission_acts_on_both_doors(doors, world, basic, operator_staff, action):
    page, api = doors(operator_staff).both(basic, action)

    _same(page, api)
    assert page.accepted and api.accepted


def test_a_reseller_acts_on_both_doors(doors, world, basic):
    page, api = doors(world.reseller_user).both(basic, "suspend")

    _same(page, api)
    assert page.accepted and api.accepted


# --- the 168-hour window ----------------------------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """Stop the clock for the request (the rule compares with `timezone.now()`): one second stays one second however
    slow the machine."""
    frozen = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: frozen)
    return frozen


@pytest.mark.parametrize(("offset", "allowed"), [(-1, True), (0, True), (+1, False)])
def test_removing_licences_one_second_either_side_of_168_hours(doors, world, basic, clock, offset, allowed):
    LicenseLedgerEntry.objects.filter(subscription=basic).update(
        created_at=clock - dt.timedelta(hours=168, seconds=offset)
    )

    page, api = doors(world.reseller_user).both(basic, "quantity", quantity=11)

    _same(page, api)
    assert api.accepted is allowed
    if not allowed:
        assert "no licences of this subscription can be removed now" in api.message
        assert (api.status, api.code) == (409, "quantity_decrease_refused")


@pytest.mark.parametrize(("offset", "allowed"), [(-1, True), (0, True), (+1, False)])
def test_cancelling_one_second_either_side_of_the_deadline(doors, world, basic, clock, offset, allowed):
    Subscription.objects.filter(pk=basic.pk).update(
        cancellation_allowed_until=clock - dt.timedelta(seconds=offset)
    )

    page, api = doors(world.reseller_user).both(basic, "cancel")

    _same(page, api)
    assert api.accepted is allowed
    if not allowed:
        assert "can be cancelled only within 7 days" in api.message
        assert (api.status, api.code) == (409, "cancellation_window_closed")


@pytest.mark.parametrize(("until_offset", "offered"), [(None, True), (-60, True), (+60, False)])
def test_the_page_offers_cancel_exactly_when_the_service_accepts_it(doors, world, basic, clock, until_offset, offered):
    """The subscription page shows the Cancel button by the same rule the service applies: without a deadline from
    Partner Center the service accepts (Partner Center decides), so the page must offer it too."""
    until = None if until_offset is None else clock - dt.timedelta(seconds=until_offset)
    Subscription.objects.filter(pk=basic.pk).update(cancellation_allowed_until=until)
    client = Client()
    client.force_login(world.reseller_user)

    page = client.get(reverse("workspace:subscription", args=[basic.pk]))
    _, api = doors(world.reseller_user).both(basic, "cancel")

    assert ("Cancel subscription" in page.content.decode()) is offered
    assert api.accepted is offered


# --- the SKU's quantity bounds -----------------------------------------------------------------------------------


@pytest.fixture
def sku_max_20(world, basic) -> Sku:
    product = Product.objects.create(
        instance=world.tenant.instance, market=world.customer.marketplace.market, product_id=basic.pc_product_id,
        title="Microsoft 365 Business Basic"
    )
    return Sku.objects.create(product=product, sku_id=basic.pc_sku_id, title="Microsoft 365 Business Basic",
                              min_quantity=1, max_quantity=20)


def test_a_quantity_over_the_skus_maximum_is_refused_on_both_doors(doors, world, basic, sku_max_20):
    door = doors(world.reseller_user)

    for action, data in (("quantity", {"quantity": 21}), ("extra_licences", {"additional": 9})):
        page, api = door.both(basic, action, **data)
        _same(page, api)
        assert not api.accepted
        assert "The maximum quantity is 20." in api.message
        assert api.code == "quantity_out_of_range"

    page, api = door.both(basic, "quantity", quantity=20)
    _same(page, api)
    assert api.accepted
