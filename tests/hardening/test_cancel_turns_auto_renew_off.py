"""Hardening, item 7: cancelling a subscription turns its auto-renew off in the BSS, as Partner Center does, so a
reconciliation of the customer finds no auto-renew difference and the page does not promise a renewal."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from reconciliation.choices import RunScope
from reconciliation.comparators import AUTO_RENEW
from reconciliation.models import Finding
from reconciliation.services import runs
from tests.factories.bss import SubscriptionFactory
from tests.workspace.conftest import record, sim_subscription

pytestmark = pytest.mark.django_db


def test_cancel_through_the_workspace_turns_auto_renew_off_and_reconciliation_agrees(
    client, world, pc_sim, run_after_commit, django_capture_on_commit_callbacks
):
    basic = record(world.tenant, world.seeded["sub_business_basic_new"])
    assert basic.auto_renew
    client.force_login(world.reseller_user)

    run_after_commit(client.post, reverse("workspace:subscription_action", args=[basic.pk, "cancel"]),
                     {"confirm": "yes"})

    basic.refresh_from_db()
    assert basic.pc_subscription_id is not None  # recorded from Partner Center: it keeps its id
    pc_side = sim_subscription(pc_sim, world.tenant, basic.pc_subscription_id)
    assert (pc_side.status, pc_side.auto_renew_enabled) == ("deleted", False)
    assert (basic.status, basic.auto_renew) == ("deleted", False)
    page = client.get(reverse("workspace:subscription", args=[basic.pk])).content.decode()
    assert "then it renews" not in page

    with django_capture_on_commit_callbacks(execute=True):
        run = runs.reconciliation_run_start(actor=None, scope=RunScope.CUSTOMER, customer=world.customer)
    run.refresh_from_db()
    assert run.status == "completed", run.status
    assert not Finding.objects.filter(run=run, subscription=basic, kind=AUTO_RENEW).exists()
    assert not Finding.objects.filter(subscription=basic).exists()


def test_the_data_migration_turns_auto_renew_off_on_subscriptions_cancelled_before():
    migration = importlib.import_module("bss.migrations.0005_cancelled_subscriptions_do_not_renew")
    cancelled = SubscriptionFactory(status="deleted", auto_renew=True)
    active = SubscriptionFactory(status="active", auto_renew=True)

    migration.cancelled_do_not_renew(apps, None)

    cancelled.refresh_from_db()
    active.refresh_from_db()
    assert (cancelled.auto_renew, active.auto_renew) == (False, True)
