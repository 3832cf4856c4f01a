"""The back-office pages of the import tool: the role matrix, the preview/selection/import journey, live progress
JSON and the CSV report."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from backoffice.tools import tools_for
from bss.models import Customer, MicrosoftTenant, Reseller
from reconciliation.imports.choices import Classification, ResellerAction, RunStatus
from reconciliation.imports.models import ImportRun
from tests.factories.bss import CustomerUserFactory, ResellerFactory, ResellerUserFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_importer(client, importer):
    client.force_login(importer)
    return client


def _run_urls(run_id: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("imports:run_detail", args=[run_id])),
        ("get", reverse("imports:run_progress", args=[run_id])),
        ("get", reverse("imports:run_report_csv", args=[run_id])),
        ("post", reverse("imports:run_select", args=[run_id])),
        ("post", reverse("imports:run_resellers_map", args=[run_id])),
        ("post", reverse("imports:run_start", args=[run_id])),
        ("post", reverse("imports:run_retry", args=[run_id])),
    ]


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: StaffUserFactory(),  # staff without imports.run_import
        lambda: ResellerUserFactory(),
        lambda: CustomerUserFactory(),
    ],
    ids=["staff-without-permission", "reseller-user", "customer-user"],
)
def test_without_permission_everything_is_not_found_and_nothing_changes(client, sim, direct, make_user):
    user = make_user()
    client.force_login(user)
    run = ImportRun.objects.create(instance=direct.instance, status=RunStatus.READY)
    response = client.post(reverse("imports:home"), {"instance": direct.instance.pk, "page_size": 500})
    assert response.status_code == 404
    assert client.get(reverse("imports:home")).status_code == 404
    for method, url in _run_urls(run.pk):
        assert getattr(client, method)(url, {"action": "all"}).status_code == 404, url
    assert ImportRun.objects.count() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.READY
    assert "Import Office 365 Customers" not in [t.title for t in tools_for(user)]


def test_anonymous_goes_to_login(client, direct):
    response = client.get(reverse("imports:home"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_tool_is_listed_for_permitted_staff(as_importer, importer):
    assert "Import Office 365 Customers" in [t.title for t in tools_for(importer)]
    response = as_importer.get(reverse("backoffice:tools"))
    assert reverse("imports:home") in response.content.decode()


def test_journey_preview_select_import_report(
    as_importer, sim, indirect, indirect_seeder, importer, django_capture_on_commit_callbacks
):
    indirect_seeder.customer("Wingtip Client", "wingtipclient.onmicrosoft.com", reseller=sim.partners.reseller_wingtip)
    indirect_seeder.customer("Not This One", "notthisone.onmicrosoft.com", reseller=sim.partners.reseller_tailspin)
    other = ResellerFactory(name="Mapped By Hand", parent=indirect.provider, partner_id="")

    page = as_importer.get(reverse("imports:home"))
    assert page.status_code == 200 and indirect.instance.name in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = as_importer.post(reverse("imports:home"), {"instance": indirect.instance.pk, "page_size": 1})
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:run_detail", args=[run.pk])
    run.refresh_from_db()
    assert run.status == RunStatus.READY and run.pages_read == 3

    detail = as_importer.get(reverse("imports:run_detail", args=[run.pk]))
    html = detail.content.decode()
    assert detail.status_code == 200
    for text in (
        "Relecloud",
        "Wingtip Client",
        "relecloudltd.onmicrosoft.com",
        "Wingtip Partners",
        "5234567",
        "New to the BSS",
        "Import 3 selected customers",
        "backoffice/live_progress.js",
    ):
        assert text in html, text

    # Unselect one customer from the page, map Wingtip by hand to an existing reseller.
    skip = run.items.get(company_name="Not This One")
    shown = list(run.items.values_list("pk", flat=True))
    keep = [pk for pk in shown if pk != skip.pk]
    response = as_importer.post(
        reverse("imports:run_select", args=[run.pk]),
        {"action": "page", "shown": shown, "item": keep, "return_query": "?c=new"},
    )
    assert response.status_code == 302 and response["Location"].endswith("?c=new")
    skip.refresh_from_db()
    assert not skip.selected
    as_importer.post(
        reverse("imports:run_resellers_map", args=[run.pk]), {"partner_id": "5234567", "reseller": other.pk}
    )
    assert run.resellers.get(partner_id="5234567").action == ResellerAction.MAPPED

    with django_capture_on_commit_callbacks(execute=True):
        response = as_importer.post(reverse("imports:run_start", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED, run.error
    assert (run.created_count, run.skipped_count) == (2, 1)
    assert MicrosoftTenant.objects.get(default_domain="wingtipclient.onmicrosoft.com").customer.reseller == other
    assert not Reseller.objects.filter(partner_id="5234567").exists()
    assert not Customer.objects.filter(company_name="Not This One").exists()

    progress = as_importer.get(reverse("imports:run_progress", args=[run.pk])).json()
    assert progress["status"] == "completed" and progress["active"] is False
    assert (progress["created"], progress["skipped"], progress["percent"]) == (2, 1, 100)

    report = as_importer.get(reverse("imports:run_report_csv", args=[run.pk]))
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
    assert "attachment" in report["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(report.streaming_content).decode())))
    customers = {r["name"]: r for r in rows if r["object"] == "customer"}
    assert customers["Not This One"]["outcome"] == "skipped"
    assert customers["Not This One"]["reason"] == "not selected for import"
    assert customers["Wingtip Client"]["outcome"] == "created"
    assert {r["outcome"] for r in rows} <= {"created", "linked", "skipped", "failed"}
    assert any(r["object"] == "subscription" and r["outcome"] == "created" for r in rows)

    final = as_importer.get(reverse("imports:run_detail", args=[run.pk]) + "?o=skipped").content.decode()
    assert "Result report" in final and "not selected for import" in final and "Download CSV" in final


def test_selection_is_frozen_once_importing(as_importer, sim, direct):
    run = ImportRun.objects.create(instance=direct.instance, status=RunStatus.IMPORTING)
    run.items.create(position=0, pc_customer_id="x", domain="x.onmicrosoft.com", classification=Classification.NEW)
    response = as_importer.post(reverse("imports:run_select", args=[run.pk]), {"action": "all"}, follow=True)
    assert "only while the preview is ready" in response.content.decode()
    assert not run.items.get().selected


def test_csv_report_neutralises_formulas(as_importer, sim, direct):
    run = ImportRun.objects.create(instance=direct.instance, status=RunStatus.COMPLETED)
    run.rows.create(object_type="customer", pc_id="x", name='=HYPERLINK("http://evil")', outcome="created")
    body = b"".join(as_importer.get(reverse("imports:run_report_csv", args=[run.pk])).streaming_content).decode()
    assert "'=HYPERLINK" in body


def test_pages_for_running_and_interrupted_runs(as_importer, sim, direct):
    running = ImportRun.objects.create(instance=direct.instance, status=RunStatus.PREVIEWING, stage="Reading page 2")
    html = as_importer.get(reverse("imports:run_detail", args=[running.pk])).content.decode()
    assert 'data-active="true"' in html and "Reading page 2" in html and 'http-equiv="refresh"' in html
    running.status = RunStatus.IMPORT_FAILED
    running.error = "Partner Center failed while importing X: HTTP 503"
    running.preview_finished_at = running.created_at
    running.save()
    html = as_importer.get(reverse("imports:run_detail", args=[running.pk])).content.decode()
    assert 'data-active="false"' in html and "Resume the import" in html and "HTTP 503" in html
    home = as_importer.get(reverse("imports:home")).content.decode()
    assert f"#{running.pk}" in home and "Import interrupted" in home
