"""A partial upgrade is a mid-term change of its source: Microsoft deletes the source's change at renewal, and the
BSS sends it again (end to end against the simulator)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bss.models import NextTermInstruction
from provisioning.models import ProvisioningOperation
from provisioning.services import renewals
from tests.lifecycle.conftest import BUSINESS_STANDARD
from tests.lifecycle.test_upgrades import _standard_item, basic, reseller  # noqa: F401  (fixtures)
from tests.workspace.conftest import sim_subscription

pytestmark = pytest.mark.django_db


def test_the_change_at_renewal_is_reapplied_after_a_partial_upgrade(
    reseller, world, basic, pc_sim, run_after_commit, publish  # noqa: F811
):
    run_after_commit(renewals.next_term_request, actor=world.reseller_user, subscription=basic,
                     wanted=renewals.NextTermRequest(quantity=4))
    assert sim_subscription(pc_sim, world.tenant, basic.pc_subscription_id).scheduled_next_term_instructions
    publish(BUSINESS_STANDARD)
    page = reseller.get(reverse("workspace:upgrade", args=[basic.pk])).content.decode()

    run_after_commit(reseller.post, reverse("workspace:upgrade", args=[basic.pk]),
                     {"to_catalog_item_id": _standard_item(page), "quantity": 5, "into": "new"})

    assert ProvisioningOperation.objects.get(subscription=basic, kind="upgrade").status == "succeeded"
    reapplied = ProvisioningOperation.objects.filter(subscription=basic, kind="set_next_term").first()
    assert reapplied is not None and reapplied.payload["reason"] == "after_upgrade"
    assert reapplied.status == "succeeded", reapplied.last_error_message
    held = sim_subscription(pc_sim, world.tenant, basic.pc_subscription_id).scheduled_next_term_instructions
    assert held is not None and held.quantity == 4
    assert NextTermInstruction.objects.get(subscription=basic).confirmed_at is not None
