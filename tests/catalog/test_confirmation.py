"""A run that would discontinue or reprice too much of the catalog waits for a person to confirm it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from bss.models import AuditEvent
from catalog.choices import ChangeKind, Lifecycle, RunStatus
from catalog.models import CatalogChange, CatalogSyncRun, HeldPrice, Price, Product
from catalog.services import catalog_sync_run, pricesheet_import_file
from partnercenter.simulator import catalog_data as cd
from tests.catalog.test_backoffice import ALL_PERMS, post_upload, staff_with

pytestmark = pytest.mark.django_db
JULY = dt.date(2025, 7, 1)


@pytest.fixture
def staff_client(client):
    client.force_login(staff_with(*ALL_PERMS))
    return client


def _state():
    return (sorted(Product.objects.values_list("product_id", "lifecycle")),
            sorted(Price.objects.values_list("pk", "unit_price", "is_current")))


def _truncated(sheet_file):
    """The header and the first 20 of 82 rows: an upload cut short."""
    return sheet_file(name="cut.csv", edit=lambda lines: lines[:21])


def test_truncated_sheet_waits_for_confirmation_and_discontinues_nothing(instance, sheet_file, staff_client):
    pricesheet_import_file(instance=instance, market="US", path=sheet_file())
    before = _state()

    run = pricesheet_import_file(instance=instance, market="US", path=_truncated(sheet_file))

    assert run.status == RunStatus.AWAITING_CONFIRMATION, run.error
    assert (run.discontinued_count, run.catalog_products) == (16, 23)
    assert _state() == before and not Product.objects.filter(lifecycle=Lifecycle.DISCONTINUED).exists()
    assert not CatalogChange.objects.filter(run=run).exists()
    assert HeldPrice.objects.filter(run=run).count() == 20  # what it read, kept for the decision
    html = staff_client.get(reverse("catalog:run_detail", args=[run.pk])).content.decode()
    assert "Awaiting confirmation" in html and "discontinue 16 of 23 products" in html
    assert "Apply anyway" in html and "Discard" in html
    assert reverse("catalog:run_confirm", args=[run.pk]) in html
    assert reverse("catalog:run_discard", args=[run.pk]) in html


def test_confirming_applies_the_held_diff_without_reading_again(instance, sheet_file, staff_client,
                                                                django_capture_on_commit_callbacks):
    pricesheet_import_file(instance=instance, market="US", path=sheet_file())
    cut = _truncated(sheet_file)
    run = pricesheet_import_file(instance=instance, market="US", path=cut)
    cut.unlink()  # the confirmation applies what was read then: the file is not needed any more

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("catalog:run_confirm", args=[run.pk]))

    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.discontinued_count == 16 and run.decided_by is not None
    assert not HeldPrice.objects.exists()
    assert Product.objects.filter(lifecycle=Lifecycle.DISCONTINUED).count() == 16
    assert CatalogChange.objects.filter(run=run, kind=ChangeKind.DISCONTINUED, sku=None).count() == 16
    event = AuditEvent.objects.get(action="catalog.run_confirmed")
    assert event.actor == run.decided_by and event.after["discontinued"] == 16
    # confirmed once: a second click changes nothing
    again = staff_client.post(reverse("catalog:run_confirm", args=[run.pk]))
    assert again.status_code == 302 and AuditEvent.objects.filter(action="catalog.run_confirmed").count() == 1


def test_discarding_changes_nothing(instance, sheet_file, staff_client):
    pricesheet_import_file(instance=instance, market="US", path=sheet_file())
    before = _state()
    run = pricesheet_import_file(instance=instance, market="US", path=_truncated(sheet_file))

    response = staff_client.post(reverse("catalog:run_discard", args=[run.pk]))

    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.DISCARDED and run.is_finished and not HeldPrice.objects.exists()
    assert _state() == before and not CatalogChange.objects.filter(run=run).exists()
    assert AuditEvent.objects.filter(action="catalog.run_discarded", actor=run.decided_by).exists()
    assert staff_client.post(reverse("catalog:run_confirm", args=[run.pk])).status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.DISCARDED and _state() == before
    # the full sheet is imported as usual afterwards
    good = pricesheet_import_file(instance=instance, market="US", path=sheet_file(name="again.csv"),
                                  allow_shortcut=False)
    assert good.status == RunStatus.SUCCEEDED and good.change_count == 0


def test_viewers_cannot_confirm(client, instance, sheet_file):
    pricesheet_import_file(instance=instance, market="US", path=sheet_file())
    run = pricesheet_import_file(instance=instance, market="US", path=_truncated(sheet_file))
    client.force_login(staff_with("view_catalogsyncrun"))
    assert client.post(reverse("catalog:run_confirm", args=[run.pk])).status_code == 404
    run.refresh_from_db()
    assert run.status == RunStatus.AWAITING_CONFIRMATION


def test_repricing_most_of_the_catalog_waits_too(instance, sheet_file, settings):
    catalog = cd.catalog_for_market("US")
    pricesheet_import_file(instance=instance, market="US", path=sheet_file(catalog))

    def double(lines):
        out = [lines[0]]
        for line in lines[1:]:
            values = line.rstrip("\r\n")[1:-1].split('","')
            values[11] = str(2 * float(values[11]))  # UnitPrice
            out.append('"' + '","'.join(values) + '"\r\n')
        return out

    run = pricesheet_import_file(instance=instance, market="US", path=sheet_file(catalog, name="x2.csv", edit=double))
    assert run.status == RunStatus.AWAITING_CONFIRMATION
    assert run.repriced_count > 0.25 * run.catalog_prices and run.discontinued_count == 0
    settings.CATALOG_CONFIRM_REPRICED_SHARE = 1
    relaxed = pricesheet_import_file(instance=instance, market="US", path=sheet_file(catalog, name="x2b.csv",
                                                                                       edit=double))
    assert relaxed.status == RunStatus.SUCCEEDED and relaxed.repriced_count == run.repriced_count


def test_monthly_update_with_a_few_changes_applies_without_asking(instance, sheet_file):
    catalog = cd.catalog_for_market("US")
    pricesheet_import_file(instance=instance, market="US", path=sheet_file(catalog))
    cd.monthly_update(catalog, seed=11, effective_date=JULY)
    run = pricesheet_import_file(instance=instance, market="US", path=sheet_file(catalog, name="july.csv", at=JULY))
    assert run.status == RunStatus.SUCCEEDED and run.discontinued_count >= 1 and run.repriced_count >= 1


def test_upload_of_a_truncated_sheet_waits_and_keeps_no_file(staff_client, instance, sheet_file, settings,
                                                             django_capture_on_commit_callbacks):
    pricesheet_import_file(instance=instance, market="US", path=sheet_file())
    post_upload(staff_client, instance, _truncated(sheet_file), capture=django_capture_on_commit_callbacks)
    run = CatalogSyncRun.objects.latest("pk")
    assert run.status == RunStatus.AWAITING_CONFIRMATION
    runs_page = staff_client.get(reverse("catalog:runs")).content.decode()
    assert "Awaiting confirmation" in runs_page


# --- Partner Center sync ------------------------------------------------------------------------------


def test_sync_that_would_discontinue_too_much_waits_then_applies_without_downloading(
        sim_instance, pc_sim, settings, staff_client, django_capture_on_commit_callbacks):
    assert catalog_sync_run(instance=sim_instance, market="US").status == RunStatus.SUCCEEDED
    report = pc_sim.control.monthly_catalog_update()["markets"]["US"]
    settings.CATALOG_CONFIRM_DISCONTINUED_SHARE = 0  # any discontinuation asks
    before = _state()

    run = catalog_sync_run(instance=sim_instance, market="US")
    assert run.status == RunStatus.AWAITING_CONFIRMATION, run.error
    assert run.discontinued_count == len(report["discontinuedProducts"]) and _state() == before

    # Partner Center is not asked again: every call would fail now
    pc_sim.control.inject_fault("5xx", method="GET", path="*", status=503, count=50)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("catalog:run_confirm", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.held_catalog is None and not HeldPrice.objects.exists()
    gone = set(CatalogChange.objects.filter(run=run, kind=ChangeKind.DISCONTINUED, sku=None)
               .values_list("product__product_id", flat=True))
    assert gone == set(report["discontinuedProducts"])
    assert set(CatalogChange.objects.filter(run=run, kind=ChangeKind.ADDED, sku=None)
               .values_list("product__product_id", flat=True)) == set(report["addedProducts"])
    assert run.repriced_count == len(report["repriced"])


def test_a_held_run_does_not_block_the_next_one_but_cannot_be_applied_after_it(instance, sheet_file, staff_client):
    pricesheet_import_file(instance=instance, market="US", path=sheet_file())
    held = pricesheet_import_file(instance=instance, market="US", path=_truncated(sheet_file))
    corrected = pricesheet_import_file(instance=instance, market="US", path=sheet_file(name="full.csv"),
                                       allow_shortcut=False)
    assert corrected.status == RunStatus.SUCCEEDED
    before = _state()

    response = staff_client.post(reverse("catalog:run_confirm", args=[held.pk]), follow=True)

    assert "has been applied since" in response.content.decode()
    held.refresh_from_db()
    assert held.status == RunStatus.AWAITING_CONFIRMATION and _state() == before
    staff_client.post(reverse("catalog:run_discard", args=[held.pk]))
    held.refresh_from_db()
    assert held.status == RunStatus.DISCARDED
