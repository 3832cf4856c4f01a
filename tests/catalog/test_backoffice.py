"""BSS Setup > Tools > Catalog update and Published catalog: runs, uploads, reports, publishing, markup, permissions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bss.models import AuditEvent, User
from catalog.choices import Lifecycle, MarkupKind, RunStage, RunStatus
from catalog.models import (
    CatalogChange,
    CatalogSyncRun,
    MarketplaceCatalogSettings,
    MarkupRule,
    Offer,
    Price,
    Product,
    Sku,
)
from catalog.services import _set_progress, markup_rule_set, offer_publish, pricesheet_import_file
from config.celery import app as celery_app
from partnercenter.simulator import catalog_data as cd
from tests.catalog.test_import_file import _replace_cell
from tests.factories.bss import (
    CustomerFactory,
    CustomerUserFactory,
    MarketplaceFactory,
    MicrosoftTenantFactory,
    ResellerUserFactory,
    StaffUserFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db
JULY = dt.date(2025, 7, 1)
BASIC = ("CFQ7TTC0LH18", "0001")  # Microsoft 365 Business Basic: P1Y annual cost 57.6, ERP 72 (USD)
ALL_PERMS = ("view_catalogsyncrun", "add_catalogsyncrun", "view_offer", "change_offer")


def staff_with(*codenames: str) -> User:
    user = StaffUserFactory()
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="catalog", codename__in=codenames))
    return User.objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def operator(db) -> User:
    return staff_with(*ALL_PERMS)


@pytest.fixture
def staff_client(client, operator):
    client.force_login(operator)
    return client


def upload(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="text/csv")


def post_upload(client, instance, path, *, market="US", name=None, capture=None):
    data = {"instance": instance.pk, "market": market, "file": upload(path, name)}
    if capture is None:
        return client.post(reverse("catalog:pricesheet_upload"), data)
    with capture(execute=True):
        return client.post(reverse("catalog:pricesheet_upload"), data)


def media_files(settings) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "catalog_imports"
    return sorted(folder.iterdir()) if folder.exists() else []


# --- Tools page and schedule ---------------------------------------------------------------------------


def test_tools_page_links_both_catalog_tools(staff_client):
    response = staff_client.get(reverse("backoffice:tools"))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("catalog:runs") in html and reverse("catalog:marketplaces") in html


def test_tools_page_hides_catalog_tools_without_permission(client):
    client.force_login(StaffUserFactory())
    html = client.get(reverse("backoffice:tools")).content.decode()
    assert reverse("catalog:runs") not in html and reverse("catalog:marketplaces") not in html


def test_monthly_sync_is_in_the_beat_schedule(settings):
    entry = celery_app.conf.beat_schedule["catalog.sync_monthly"]
    assert entry["task"] == "catalog.tasks.catalog_sync_monthly"
    assert entry["schedule"].day_of_month == {settings.CATALOG_SYNC_DAY}
    assert entry["schedule"].hour == {3} and entry["schedule"].minute == {0}


# --- Catalog update: start a sync, upload a file -------------------------------------------------------


def test_start_sync_from_the_page_runs_against_the_simulator(staff_client, sim_instance,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("catalog:sync_start"), {"instance": sim_instance.pk, "market": "us"})
    run = CatalogSyncRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("catalog:run_detail", args=[run.pk])
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.market == "US" and run.source == "partner_center" and run.added_count > 20
    assert AuditEvent.objects.filter(action="catalog.sync_requested", actor=response.wsgi_request.user).exists()

    page = staff_client.get(reverse("catalog:run_detail", args=[run.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "Succeeded" in html and f"Added ({run.added_count})" in html
    product = Product.objects.get(product_id=BASIC[0])
    assert reverse("catalog:product_detail", args=[product.pk]) in html
    runs_page = staff_client.get(reverse("catalog:runs")).content.decode()
    assert reverse("catalog:run_detail", args=[run.pk]) in runs_page and "Succeeded" in runs_page


def test_upload_imports_the_file_in_the_worker_and_reports(staff_client, instance, sheet_file, settings,
                                                           django_capture_on_commit_callbacks):
    response = post_upload(staff_client, instance, sheet_file(), capture=django_capture_on_commit_callbacks)
    run = CatalogSyncRun.objects.get()
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.source == "file" and run.file_name == "sheet.csv" and run.stage == RunStage.DONE
    priced = {k[0] for k in cd.catalog_for_market("US").prices}
    assert run.added_count == len(priced) == Product.objects.count()
    assert media_files(settings) == []  # the stored upload is removed once imported
    html = staff_client.get(reverse("catalog:run_detail", args=[run.pk])).content.decode()
    for product in Product.objects.all():
        assert reverse("catalog:product_detail", args=[product.pk]) in html
    product_page = staff_client.get(reverse("catalog:product_detail", args=[Product.objects.get(
        product_id=BASIC[0]).pk]))
    assert product_page.status_code == 200 and "57.60" in product_page.content.decode()


def test_malformed_upload_fails_shows_why_and_changes_nothing(staff_client, instance, sheet_file,
                                                              django_capture_on_commit_callbacks):
    pricesheet_import_file(instance=instance, market="US", path=sheet_file())
    prices = list(Price.objects.order_by("pk").values_list("pk", "unit_price", "is_current"))
    bad = sheet_file(name="bad.csv", edit=lambda ls: _replace_cell(ls, 5, "Currency", "XYZ"))

    response = post_upload(staff_client, instance, bad, capture=django_capture_on_commit_callbacks)

    run = CatalogSyncRun.objects.latest("pk")
    run.refresh_from_db()
    assert response.status_code == 302 and run.status == RunStatus.FAILED
    html = staff_client.get(reverse("catalog:run_detail", args=[run.pk])).content.decode()
    assert "The run failed and changed nothing" in html and "row 5, column Currency" in html
    assert "&#x27;XYZ&#x27; unknown currency" in html or "unknown currency" in html
    assert list(Price.objects.order_by("pk").values_list("pk", "unit_price", "is_current")) == prices
    assert not CatalogChange.objects.filter(run=run).exists()
    runs_page = staff_client.get(reverse("catalog:runs")).content.decode()
    assert "Failed" in runs_page and "row 5, column Currency" in runs_page


def test_truncated_upload_fails(staff_client, instance, sheet_file, django_capture_on_commit_callbacks):
    truncated = sheet_file(name="cut.csv", edit=lambda ls: [*ls[:9], ls[9][: len(ls[9]) // 2]])
    post_upload(staff_client, instance, truncated, capture=django_capture_on_commit_callbacks)
    run = CatalogSyncRun.objects.get()
    assert run.status == RunStatus.FAILED and "row 9" in run.error
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("_case", "market", "name", "limit", "message"),
    [
        ("not_csv", "US", "prices.xlsx", None, "as a .csv file"),
        ("too_large", "US", None, 100, "at most"),
        ("market_not_of_instance", "FR", None, None, "is not set up for market"),
        ("bad_market", "1", None, None, "is not set up for market"),
    ],
)
def test_upload_bad_input_rerenders_with_a_message(staff_client, instance, sheet_file, settings, _case, market,
                                                    name, limit, message):
    if limit is not None:
        settings.CATALOG_IMPORT_MAX_BYTES = limit
    response = post_upload(staff_client, instance, sheet_file(), market=market, name=name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CatalogSyncRun.objects.exists() and media_files(settings) == []


def test_empty_upload_is_refused(staff_client, instance, tmp_path, settings):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    response = post_upload(staff_client, instance, empty)
    assert response.status_code == 400 and "empty" in response.content.decode()
    assert not CatalogSyncRun.objects.exists()


def test_a_second_run_is_refused_while_one_is_queued(staff_client, instance, sheet_file, settings):
    queued = CatalogSyncRun.objects.create(instance=instance, market="US")
    sync = staff_client.post(reverse("catalog:sync_start"), {"instance": instance.pk, "market": "US"})
    imp = post_upload(staff_client, instance, sheet_file())
    for response in (sync, imp):
        assert response.status_code == 400
        assert f"Run #{queued.pk}" in response.content.decode()
    assert list(CatalogSyncRun.objects.all()) == [queued] and media_files(settings) == []


def test_progress_endpoint_and_live_display_while_queued(staff_client, instance):
    run = CatalogSyncRun.objects.create(instance=instance, market="US", status=RunStatus.RUNNING)
    _set_progress(run, stage=RunStage.READING_PRICES, rows=40000)  # what the worker reports while it reads
    data = staff_client.get(reverse("catalog:run_progress", args=[run.pk])).json()
    assert data == {"id": run.pk, "status": "running", "status_label": "Running", "stage": "reading_prices",
                    "stage_label": "Reading the price sheet", "rows_read": 40000, "active": True}
    html = staff_client.get(reverse("catalog:run_detail", args=[run.pk])).content.decode()
    assert reverse("catalog:run_progress", args=[run.pk]) in html and "catalog/run_progress.js" in html
    assert 'http-equiv="refresh"' in html  # without JavaScript the page refreshes itself
    done = staff_client.get(reverse("catalog:runs")).content.decode()
    assert "40000" in done and "Reading the price sheet" in done


# --- Change report ------------------------------------------------------------------------------------


def test_monthly_report_lists_added_discontinued_repriced_and_held_subscriptions(staff_client, instance,
                                                                                 sheet_file):
    catalog = cd.catalog_for_market("US")
    june = pricesheet_import_file(instance=instance, market="US", path=sheet_file(catalog))
    changes = cd.monthly_update(catalog, seed=11, effective_date=JULY)
    gone_pid = changes.discontinued_products[0]
    gone_sku = Sku.objects.filter(product__product_id=gone_pid).first()
    customer = CustomerFactory(marketplace=MarketplaceFactory(instance=instance))
    held = SubscriptionFactory(tenant=MicrosoftTenantFactory(customer=customer, instance=instance),
                               pc_product_id=gone_pid, pc_sku_id=gone_sku.sku_id, name="Held plan")
    july = pricesheet_import_file(instance=instance, market="US", path=sheet_file(catalog, name="july.csv", at=JULY))
    assert july.status == RunStatus.SUCCEEDED, july.error

    url = reverse("catalog:run_detail", args=[july.pk])
    added = staff_client.get(url, {"kind": "added"}).content.decode()
    for pid in changes.added_products:
        assert reverse("catalog:product_detail", args=[Product.objects.get(product_id=pid).pk]) in added
    gone = staff_client.get(url, {"kind": "discontinued"}).content.decode()
    gone_product = Product.objects.get(product_id=gone_pid)
    assert gone_product.lifecycle == Lifecycle.DISCONTINUED
    assert reverse("catalog:product_detail", args=[gone_product.pk]) in gone
    assert "Subscriptions still held on discontinued items" in gone and "Held plan" in gone
    assert reverse("backoffice:customer_detail", args=[held.customer_id]) in gone
    repriced = staff_client.get(url, {"kind": "repriced"}).content.decode()
    assert f"Repriced ({july.repriced_count})" in repriced
    first = changes.repriced[0]
    assert f"{first.old_erp_price:.2f}" in repriced and f"{first.new_erp_price:.2f}" in repriced
    # old runs are kept with their own reports
    assert staff_client.get(reverse("catalog:run_detail", args=[june.pk])).status_code == 200
    product_page = staff_client.get(reverse("catalog:product_detail", args=[gone_product.pk])).content.decode()
    assert "Held plan" in product_page and "Discontinued" in product_page
    assert staff_client.get(url, {"kind": "nonsense"}).status_code == 404


# --- Published catalog --------------------------------------------------------------------------------


@pytest.fixture
def imported(instance, sheet_file):
    pricesheet_import_file(instance=instance, market="US", path=sheet_file())
    return Sku.objects.get(product__product_id=BASIC[0], sku_id=BASIC[1])


def test_publish_and_unpublish_from_the_marketplace_page(staff_client, marketplace, imported):
    page = staff_client.get(reverse("catalog:marketplace_detail", args=[marketplace.pk]), {"q": "Business Basic"})
    assert page.status_code == 200 and imported.title in page.content.decode()
    url = reverse("catalog:offer_publish", args=[marketplace.pk, imported.pk])

    response = staff_client.post(url, {"publish": "1", "next_query": "q=Business+Basic"})
    assert response.status_code == 302 and response["Location"].endswith("?q=Business+Basic")
    assert Offer.objects.get(marketplace=marketplace, sku=imported).is_published
    listed = staff_client.get(reverse("catalog:marketplace_detail", args=[marketplace.pk]), {"show": "published"})
    assert imported.title in listed.content.decode()
    assert staff_client.get(reverse("catalog:marketplaces")).content.decode().count(">1<") >= 1

    staff_client.post(url, {"publish": "0"})
    assert not Offer.objects.get(marketplace=marketplace, sku=imported).is_published


def test_publishing_a_discontinued_sku_shows_the_error(staff_client, marketplace, imported):
    Sku.objects.filter(pk=imported.pk).update(lifecycle=Lifecycle.DISCONTINUED)
    response = staff_client.post(reverse("catalog:offer_publish", args=[marketplace.pk, imported.pk]),
                                 {"publish": "1"}, follow=True)
    assert "A discontinued SKU cannot be published." in response.content.decode()
    assert not Offer.objects.filter(is_published=True).exists()


def test_sku_of_another_catalog_is_not_found(staff_client, marketplace, imported):
    other = MarketplaceFactory(market="DE", currency="EUR")
    response = staff_client.post(reverse("catalog:sku_markup", args=[other.pk, imported.pk]),
                                 {"action": "save", "kind": "percent", "percent": "5"})
    assert response.status_code == 404 and not MarkupRule.objects.exists()


def _row(html: str, term: str, cycle: str) -> str:
    start = html.index(f"<td>{term}</td><td>{cycle}</td>")
    return html[start:html.index("</tr>", start)]


def test_default_markup_and_price_preview(staff_client, marketplace, imported):
    response = staff_client.post(reverse("catalog:default_markup", args=[marketplace.pk]),
                                 {"kind": MarkupKind.PERCENT_OVER_COST, "percent": "10"})
    assert response.status_code == 302
    rule = MarkupRule.objects.get(marketplace=marketplace, sku=None)
    assert rule.kind == MarkupKind.PERCENT_OVER_COST and rule.percent == Decimal("10")

    html = staff_client.get(reverse("catalog:sku_pricing", args=[marketplace.pk, imported.pk])).content.decode()
    annual = _row(html, "P1Y", "annual")
    # cost 57.60, ERP 72.00, sale 57.60 x 1.10 = 63.36, margin 5.76 = 9.09 % of the sale price
    for value in ("57.60", "72.00", "63.36", "5.76", "9.09 %"):
        assert value in annual, (value, annual)
    assert "marketplace default" in html


def test_sku_markup_fixed_price_preview_then_save(staff_client, marketplace, imported):
    url = reverse("catalog:sku_markup", args=[marketplace.pk, imported.pk])
    preview = staff_client.post(url, {"action": "preview", "kind": MarkupKind.FIXED_PRICE,
                                      "fixed_monthly_price": "5.5"})
    assert preview.status_code == 200 and not MarkupRule.objects.exists()
    proposed = preview.content.decode().split("Preview of the proposed rule")[1]
    annual = _row(proposed, "P1Y", "annual")
    for value in ("57.60", "72.00", "66.00", "8.40", "12.73 %"):  # 5.50 x 12 months
        assert value in annual, (value, annual)

    # 5.50 a month sells the month-to-month plan below its cost: refused until "Sell below cost" is ticked.
    refused = staff_client.post(url, {"action": "save", "kind": MarkupKind.FIXED_PRICE, "fixed_monthly_price": "5.5"})
    assert refused.status_code == 400 and "below cost" in refused.content.decode()
    assert not MarkupRule.objects.exists()
    saved = staff_client.post(url, {"action": "save", "kind": MarkupKind.FIXED_PRICE, "fixed_monthly_price": "5.5",
                                    "allow_below_cost": "on"})
    assert saved.status_code == 302
    rule = MarkupRule.objects.get(marketplace=marketplace, sku=imported)
    assert rule.fixed_monthly_price == Decimal("5.5") and rule.percent is None
    html = staff_client.get(reverse("catalog:sku_pricing", args=[marketplace.pk, imported.pk])).content.decode()
    assert "this SKU&#x27;s own" in html or "this SKU's own" in html
    assert "66.00" in _row(html, "P1Y", "annual")

    staff_client.post(url, {"action": "delete"})
    assert not MarkupRule.objects.filter(sku=imported).exists()


def test_price_preview_get_for_viewers(client, marketplace, imported):
    client.force_login(staff_with("view_offer"))
    html = client.get(reverse("catalog:sku_pricing", args=[marketplace.pk, imported.pk]),
                      {"kind": "percent", "percent": "25"}).content.decode()
    proposed = html.split("Preview of the proposed rule")[1]
    assert "72.00" in _row(proposed, "P1Y", "annual")  # 57.60 x 1.25
    assert "Save for this SKU" not in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "percent", "percent": ""}, "Give the percentage over cost"),
        ({"kind": "percent", "percent": "-150"}, "greater than or equal to -100"),
        ({"kind": "fixed", "fixed_monthly_price": ""}, "Give the fixed sale price"),
        ({"kind": "fixed", "fixed_monthly_price": "-1"}, "greater than or equal to 0"),
        ({"kind": "bogus", "percent": "5"}, "Select a valid choice"),
    ],
)
def test_bad_markup_rerenders_with_a_message_and_saves_nothing(staff_client, marketplace, imported, data, message):
    for url in (reverse("catalog:default_markup", args=[marketplace.pk]),
                reverse("catalog:sku_markup", args=[marketplace.pk, imported.pk])):
        response = staff_client.post(url, {"action": "save", **data})
        assert response.status_code == 400 and message in response.content.decode()
    assert not MarkupRule.objects.exists()


def test_annual_billing_off_is_shown_in_the_preview(staff_client, marketplace, imported):
    marketplace.annual_billing_enabled = False
    marketplace.save()
    html = staff_client.get(reverse("catalog:sku_pricing", args=[marketplace.pk, imported.pk])).content.decode()
    assert "no (annual billing off)" in _row(html, "P1Y", "annual")
    assert "no (annual" not in _row(html, "P1Y", "monthly")


def test_auto_publish_setting(staff_client, marketplace):
    staff_client.post(reverse("catalog:catalog_settings", args=[marketplace.pk]), {"auto_publish_new": "on"})
    assert MarketplaceCatalogSettings.objects.get(marketplace=marketplace).auto_publish_new
    staff_client.post(reverse("catalog:catalog_settings", args=[marketplace.pk]), {})
    assert not MarketplaceCatalogSettings.objects.get(marketplace=marketplace).auto_publish_new


# --- Permission matrix ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "_case", ["reseller_user", "customer_user", "staff_without_permission", "staff_with_view_only"],
)
def test_users_without_the_permissions_get_404_and_nothing_changes(client, instance, marketplace, imported,
                                                                   sheet_file, settings, _case):
    user = {
        "reseller_user": ResellerUserFactory,
        "customer_user": CustomerUserFactory,
        "staff_without_permission": StaffUserFactory,
        "staff_with_view_only": lambda: staff_with("view_catalogsyncrun", "view_offer"),
    }[_case]()
    client.force_login(user)
    offer_publish(marketplace=marketplace, sku=imported, actor=None)
    markup_rule_set(marketplace=marketplace, sku=imported, kind="percent", percent=Decimal("5"), actor=None)
    run = CatalogSyncRun.objects.get()
    runs, audits = CatalogSyncRun.objects.count(), AuditEvent.objects.count()

    posts = [
        client.post(reverse("catalog:sync_start"), {"instance": instance.pk, "market": "US"}),
        post_upload(client, instance, sheet_file()),
        client.post(reverse("catalog:offer_publish", args=[marketplace.pk, imported.pk]), {"publish": "0"}),
        client.post(reverse("catalog:default_markup", args=[marketplace.pk]), {"kind": "percent", "percent": "9"}),
        client.post(reverse("catalog:sku_markup", args=[marketplace.pk, imported.pk]), {"action": "delete"}),
        client.post(reverse("catalog:catalog_settings", args=[marketplace.pk]), {"auto_publish_new": "on"}),
    ]

    assert [r.status_code for r in posts] == [404] * len(posts)
    gets = [
        client.get(reverse("catalog:runs")),
        client.get(reverse("catalog:run_detail", args=[run.pk])),
        client.get(reverse("catalog:run_progress", args=[run.pk])),
        client.get(reverse("catalog:product_detail", args=[imported.product_id])),
        client.get(reverse("catalog:marketplaces")),
        client.get(reverse("catalog:marketplace_detail", args=[marketplace.pk])),
        client.get(reverse("catalog:sku_pricing", args=[marketplace.pk, imported.pk])),
    ]
    expected = 200 if _case == "staff_with_view_only" else 404
    assert [r.status_code for r in gets] == [expected] * len(gets)
    if _case == "staff_with_view_only":  # sees everything, offered no buttons that would change anything
        html = gets[0].content.decode() + gets[5].content.decode()
        assert "Start sync" not in html and "Publish</button>" not in html and "Save default markup" not in html
    assert CatalogSyncRun.objects.count() == runs and AuditEvent.objects.count() == audits
    assert Offer.objects.get(marketplace=marketplace, sku=imported).is_published
    assert MarkupRule.objects.get().percent == Decimal("5")
    assert not MarketplaceCatalogSettings.objects.exists() and media_files(settings) == []


def test_view_runs_only_cannot_open_published_catalog(client, marketplace, imported):
    client.force_login(staff_with("view_catalogsyncrun"))
    assert client.get(reverse("catalog:runs")).status_code == 200
    assert client.get(reverse("catalog:marketplaces")).status_code == 404
    assert client.get(reverse("catalog:product_detail", args=[imported.product_id])).status_code == 200


def test_anonymous_is_sent_to_sign_in(client):
    for name in ("catalog:runs", "catalog:marketplaces"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]
