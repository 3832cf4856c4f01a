"""Catalog sync from the simulator: first sync, no-change resync, Microsoft's monthly update."""

from __future__ import annotations

import pytest

from catalog.choices import ChangeKind, Lifecycle, RunStatus
from catalog.models import Availability, CatalogChange, Product
from catalog.services import catalog_sync_run

pytestmark = pytest.mark.django_db


def test_sync_resync_and_monthly_update(sim_instance, pc_sim):
    first = catalog_sync_run(instance=sim_instance, market="US")
    assert first.status == RunStatus.SUCCEEDED, first.error
    assert first.added_count > 20 and first.prices_written > 50
    assert Availability.objects.filter(catalog_item_id="CFQ7TTC0LH18:0001:CFQ7TTC0K971").exists()
    assert Product.objects.get(product_id="DZH318Z0BPS6").lifecycle == Lifecycle.ACTIVE  # Azure: API only

    again = catalog_sync_run(instance=sim_instance, market="US")
    assert again.status == RunStatus.SUCCEEDED, again.error
    assert again.change_count == 0 and again.prices_written == 0

    report = pc_sim.control.monthly_catalog_update()["markets"]["US"]
    third = catalog_sync_run(instance=sim_instance, market="US")
    assert third.status == RunStatus.SUCCEEDED, third.error
    changes = CatalogChange.objects.filter(run=third).select_related("product", "sku")
    added = {c.product.product_id for c in changes if c.kind == ChangeKind.ADDED}
    gone = {c.product.product_id for c in changes if c.kind == ChangeKind.DISCONTINUED}
    repriced = {f"{c.product.product_id}:{c.sku.sku_id}" for c in changes if c.kind == ChangeKind.REPRICED}
    assert added == set(report["addedProducts"])
    assert gone == set(report["discontinuedProducts"])
    assert repriced == set(report["repricedSkus"])
    assert third.repriced_count == len(report["repriced"])


def test_failed_sync_changes_nothing(sim_instance, pc_sim):
    catalog_sync_run(instance=sim_instance, market="US")
    before = set(Product.objects.values_list("product_id", "lifecycle"))
    pc_sim.control.inject_fault("5xx", method="GET", path="*pricesheets*", status=503, count=5)
    run = catalog_sync_run(instance=sim_instance, market="US")
    assert run.status == RunStatus.FAILED and run.error
    assert set(Product.objects.values_list("product_id", "lifecycle")) == before
    assert not CatalogChange.objects.filter(run=run).exists()
