"""Price lists saved by Excel and friends: the upload reads UTF-8 (with or without BOM), UTF-16 (by its BOM) and
otherwise Windows-1252, says which, and refuses what is not text with a form error that says why."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.choices import RunStatus
from catalog.models import CatalogSyncRun, Product
from catalog.services import pricesheet_import_file
from tests.catalog.test_backoffice import ALL_PERMS, media_files, staff_with
from tests.catalog.test_import_file import _replace_cell

pytestmark = pytest.mark.django_db
TITLE = "Microsoft 365 Business Basic \u2013 Édition Société"  # an en dash (Windows-1252 only) and accents


@pytest.fixture
def staff_client(client):
    client.force_login(staff_with(*ALL_PERMS))
    return client


def _text(sheet_file) -> str:
    path = sheet_file(edit=lambda lines: _replace_cell(lines, 1, "ProductTitle", TITLE))
    return path.read_text(encoding="utf-8")


def _post(client, instance, data: bytes, name="prices.csv"):
    upload = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(reverse("catalog:pricesheet_upload"), {"instance": instance.pk, "market": "US", "file": upload},
                       follow=True)


@pytest.mark.parametrize(
    ("encoding", "label"),
    [("cp1252", "Windows-1252"), ("utf-16", "UTF-16"), ("utf-8-sig", "UTF-8"), ("utf-8", "UTF-8")],
)
def test_upload_in_another_encoding_is_read_and_says_which(staff_client, instance, sheet_file, settings, encoding,
                                                           label, django_capture_on_commit_callbacks):
    data = _text(sheet_file).encode(encoding)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(staff_client, instance, data)
    html = response.content.decode()
    assert response.status_code == 200 and f"read as {label}" in html
    run = CatalogSyncRun.objects.get()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.file_encoding == label
    assert Product.objects.get(product_id="CFQ7TTC0LH18").title == TITLE
    assert media_files(settings) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(200), "ZIP"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "not a CSV text file"),
        ('"ProductTitle","ProductId"\r\n'.encode("utf-16-le"), "not a CSV text file"),
    ],
)
def test_upload_that_is_not_text_is_refused_with_a_form_error(staff_client, instance, settings, data, message):
    upload = SimpleUploadedFile("prices.csv", data, content_type="text/csv")
    response = staff_client.post(reverse("catalog:pricesheet_upload"),
                                 {"instance": instance.pk, "market": "US", "file": upload})
    assert response.status_code == 400 and message in response.content.decode()
    assert not CatalogSyncRun.objects.exists() and media_files(settings) == []


def test_file_import_of_a_latin1_file_fails_with_a_named_error(instance, sheet_file, tmp_path):
    """Commands hand the importer a path: what is not UTF-8 fails cleanly (no "Unexpected error")."""
    path = tmp_path / "latin1.csv"
    path.write_bytes(_text(sheet_file).encode("cp1252"))
    run = pricesheet_import_file(instance=instance, market="US", path=path)
    assert run.status == RunStatus.FAILED and "not UTF-8" in run.error and "Unexpected" not in run.error
