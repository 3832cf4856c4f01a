import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from bss.models import AuditEvent
from tests.factories.bss import StaffUserFactory

pytestmark = pytest.mark.django_db


def _perms(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_setup_creates_the_staff_groups_with_their_permissions():
    call_command("setup_staff_groups", stdout=io.StringIO())

    admin, support, finance, auditor = (
        _perms(name) for name in ["Back-office administrator", "Support", "Finance", "Auditor"]
    )
    assert {"security.unlock_login", "security.reset_mfa", "bss.change_partnercenterinstance"} <= admin
    assert {"security.unlock_login", "security.reset_mfa", "bss.view_auditevent"} <= support
    assert "bss.change_partnercenterinstance" not in support
    assert {"bss.view_auditevent", "security.export_auditlog"} <= finance
    assert "security.unlock_login" not in finance and "security.reset_mfa" not in finance
    assert {"bss.view_auditevent", "security.export_auditlog", "security.view_loginlockout"} <= auditor
    assert not any(p.startswith(("security.change", "security.unlock", "security.reset")) for p in auditor)
    assert AuditEvent.objects.filter(action="security.staff_group_synced").count() == 4


def test_setup_is_idempotent_and_restores_the_defined_permissions():
    call_command("setup_staff_groups", stdout=io.StringIO())
    finance = Group.objects.get(name="Finance")
    finance.permissions.clear()
    before = AuditEvent.objects.count()

    call_command("setup_staff_groups", stdout=io.StringIO())

    assert "security.export_auditlog" in _perms("Finance")
    assert AuditEvent.objects.count() == before + 1  # only the group that changed is recorded


def test_group_membership_opens_exactly_that_groups_tools(client):
    call_command("setup_staff_groups", stdout=io.StringIO())
    member = StaffUserFactory()
    member.groups.add(Group.objects.get(name="Finance"))
    client.force_login(member)

    assert client.get(reverse("security:audit_log")).status_code == 200
    assert client.get(reverse("security:audit_export")).status_code == 200
    assert client.get(reverse("security:signin_security")).status_code == 404
