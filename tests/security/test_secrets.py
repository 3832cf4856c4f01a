"""Secrets at rest (encrypted, key rotation), in logs (redacted by every handler) and in responses (never shown)."""

import io
import logging
import sys
from typing import cast

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from bss.models import PartnerCenterInstance
from bss.security.log_filters import REDACTED, RedactSecretsFilter, redact
from bss.security.models import TOTPDevice
from tests.factories.bss import PartnerCenterInstanceFactory, StaffUserFactory
from tests.security.conftest import enrol, sign_in_fully

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_partner_center_secrets_and_totp_secrets_are_unreadable_in_the_database():
    instance = PartnerCenterInstanceFactory(application_secret="pc-secret-VALUE-1", refresh_token="pc-refresh-TOKEN-1")
    enrolled = enrol(StaffUserFactory())
    device = TOTPDevice.objects.get(user=enrolled.user)

    stored = [
        _raw("bss_partnercenterinstance", "application_secret", instance.pk),
        _raw("bss_partnercenterinstance", "refresh_token", instance.pk),
        _raw("security_totpdevice", "secret", device.pk),
    ]

    assert "pc-secret-VALUE-1" not in stored[0] and "pc-refresh-TOKEN-1" not in stored[1]
    assert enrolled.secret not in stored[2]
    assert all(value.startswith("gAAAAA") for value in stored)  # Fernet tokens


def test_rotation_re_encrypts_every_encrypted_column_with_the_newest_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    instance = PartnerCenterInstanceFactory(application_secret="rotate-me", refresh_token="")
    enrolled = enrol(StaffUserFactory())
    updated_at = PartnerCenterInstance.objects.get(pk=instance.pk).updated_at
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    with pytest.raises(CommandError, match="2 value"):
        call_command("rotate_field_encryption", "--check", stdout=io.StringIO())
    out = io.StringIO()
    call_command("rotate_field_encryption", stdout=out)

    assert "bss.PartnerCenterInstance.application_secret: 1 re-encrypted" in out.getvalue()
    assert "security.TOTPDevice.secret: 1 re-encrypted" in out.getvalue()
    assert "rotate-me" not in out.getvalue() and enrolled.secret not in out.getvalue()
    new_only = Fernet(NEW_KEY.encode())
    ciphertext = _raw("bss_partnercenterinstance", "application_secret", instance.pk)
    assert new_only.decrypt(ciphertext.encode()) == b"rotate-me"
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # the old key can now be dropped
    reread = PartnerCenterInstance.objects.get(pk=instance.pk)
    assert reread.application_secret == "rotate-me" and reread.refresh_token == ""
    assert reread.updated_at == updated_at  # rotation is not a change of the secret
    assert TOTPDevice.objects.get(user=enrolled.user).secret == enrolled.secret
    call_command("rotate_field_encryption", "--check", stdout=io.StringIO())  # nothing left to do


def test_rotation_reports_values_no_key_can_read(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    PartnerCenterInstanceFactory(application_secret="lost")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # old key dropped too early

    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("rotate_field_encryption", stdout=io.StringIO())


@pytest.mark.parametrize(
    ("_case", "text", "secret"),
    [
        ("bearer header", "GET /v1/customers Authorization: Bearer eyJ0eXAiOi.eyJhdWQi.sig-_x", "eyJ0eXAiOi"),
        ("form body", "POST /token grant_type=refresh_token&refresh_token=0.ARoA-rt&client_id=abc", "0.ARoA-rt"),
        ("client secret", "token request client_secret=Qx8~abc.def&scope=x", "Qx8~abc.def"),
        ("json", '{"client_secret": "s3cr3t!", "refresh_token": "rt-123", "name": "ok"}', "s3cr3t!"),
        ("python repr", "{'refresh_token': 'rt-in-dict', 'expires_in': 3600}", "rt-in-dict"),
        ("kwargs", "instance_create(application_secret='app-secret-1', name='x')", "app-secret-1"),
        ("basic auth", 'headers={"Authorization": "Basic dXNlcjpwYXNz"}', "dXNlcjpwYXNz"),
    ],
)
def test_redaction_removes_credentials(_case, text, secret):
    redacted = redact(text)

    assert secret not in redacted and REDACTED in redacted


def test_redaction_keeps_ordinary_text():
    text = "customer 42 created; secrets_changed_at=2026-01-01; grant_type=refresh_token"

    assert redact(text) == text


def test_filter_redacts_arguments_and_tracebacks():
    record_filter = RedactSecretsFilter()
    try:
        raise ValueError("upstream said: refresh_token=rt-in-exception")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "partnercenter", logging.ERROR, __file__, 1, "token call %s", ("client_secret=abc",), exc_info
    )

    assert record_filter.filter(record) is True
    assert record.getMessage() == f"token call client_secret={REDACTED}"
    assert record.exc_text is not None  # the filter formats the traceback
    assert "rt-in-exception" not in record.exc_text and REDACTED in record.exc_text


def test_every_configured_handler_redacts_and_secrets_never_reach_the_log(client):
    assert "redact_secrets" in django_settings.LOGGING["handlers"]["console"]["filters"]
    root = logging.getLogger()
    console = cast(  # the console handler writes to a stream
        logging.StreamHandler,
        next(h for h in root.handlers if any(isinstance(f, RedactSecretsFilter) for f in h.filters)),
    )
    stream = io.StringIO()
    old_stream, old_level = console.setStream(stream), root.level
    root.setLevel(logging.DEBUG)
    try:
        staff = StaffUserFactory()
        staff.user_permissions.add(
            *Permission.objects.filter(codename__in=["view_partnercenterinstance", "add_partnercenterinstance"])
        )
        enrolled = enrol(staff)
        sign_in_fully(client, enrolled)
        client.post(
            reverse("backoffice:cloud_services_create"),
            {
                "name": "Logged",
                "cloud": "global",
                "partner_tenant_id": "11111111-2222-3333-4444-555555555555",
                "csp_model": "direct",
                "application_id": "app",
                "application_secret": "never-log-this-secret",
                "refresh_token": "never-log-this-token",
                "default_market": "US",
                "default_currency": "USD",
                "is_active": "on",
            },
        )
        logging.getLogger("urllib3.connectionpool").debug(
            "POST /oauth2/v2.0/token body=client_secret=never-log-this-secret&refresh_token=never-log-this-token"
        )
        logging.getLogger("partnercenter").info("calling with Authorization: Bearer never-log-this-bearer")
    finally:
        console.setStream(old_stream)
        root.setLevel(old_level)

    output = stream.getvalue()
    assert "POST /oauth2/v2.0/token" in output  # the record itself is kept
    for secret in ("never-log-this-secret", "never-log-this-token", "never-log-this-bearer", enrolled.secret):
        assert secret not in output


def test_secrets_are_absent_from_pages_and_the_admin(client, django_user_model):
    instance = PartnerCenterInstanceFactory(application_secret="page-secret-XYZ", refresh_token="page-token-XYZ")
    root = django_user_model.objects.create_superuser("root", "root@example.com", "a-long-admin-password")
    enrolled = enrol(root)
    sign_in_fully(client, enrolled, password="a-long-admin-password")

    pages = [
        client.get(reverse("admin:bss_partnercenterinstance_change", args=[instance.pk])),
        client.get(reverse("backoffice:cloud_services")),
        client.get(reverse("backoffice:cloud_services_edit", args=[instance.pk])),
        client.get(reverse("security:account")),
        client.get(reverse("security:audit_log")),
    ]

    for page in pages:
        assert page.status_code == 200
        body = page.content.decode()
        assert "page-secret-XYZ" not in body and "page-token-XYZ" not in body and enrolled.secret not in body


def test_no_api_endpoint_exposes_a_secret_field(client):
    client.force_login(StaffUserFactory())

    schema = client.get(reverse("api-schema"), {"format": "json"})

    assert schema.status_code == 200
    body = schema.content.decode()
    assert "application_secret" not in body and "refresh_token" not in body and "code_hash" not in body
