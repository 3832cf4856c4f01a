"""Each security tool refuses everyone without its permission (404 for signed-in users, sign-in page for
anonymous visitors) and changes nothing when it refuses."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bss.models import AuditEvent, Reseller
from bss.security.models import LoginLockout, ResellerMFAPolicy, TOTPDevice
from bss.services.audit import audit_record
from tests.factories.bss import CustomerUserFactory, ResellerFactory, ResellerUserFactory, StaffUserFactory
from tests.security.conftest import enrol, grant

pytestmark = pytest.mark.django_db

ROLE_CASES = ["anonymous", "customer_user", "reseller_user", "staff_without_permission"]


def _login_as(client, role: str) -> None:
    factories = {
        "customer_user": CustomerUserFactory,
        "reseller_user": ResellerUserFactory,
        "staff_without_permission": StaffUserFactory,
    }
    if role != "anonymous":
        client.force_login(factories[role]())


def _assert_refused(response, role: str) -> None:
    if role == "anonymous":
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    else:
        assert response.status_code == 404


@pytest.fixture
def locked():
    until = timezone.now() + timedelta(minutes=5)
    return LoginLockout.objects.create(scope="account", username="victim", failure_count=5, locked_until=until)


@pytest.mark.parametrize("_case", ROLE_CASES)
@pytest.mark.parametrize(
    "url_name",
    ["security:audit_log", "security:audit_export", "security:signin_security", "security:reseller_policies"],
)
def test_read_tools_refuse_without_permission(client, _case, url_name):
    _login_as(client, _case)

    _assert_refused(client.get(reverse(url_name)), _case)


@pytest.mark.parametrize("_case", ROLE_CASES)
def test_audit_event_detail_refuses_without_permission(client, _case):
    event = audit_record(actor=None, action="x.y", obj=ResellerFactory())
    _login_as(client, _case)

    _assert_refused(client.get(reverse("security:audit_event", args=[event.pk])), _case)


@pytest.mark.parametrize("_case", ROLE_CASES)
def test_unlock_refuses_without_permission_and_changes_nothing(client, _case, locked):
    _login_as(client, _case)

    _assert_refused(client.post(reverse("security:lockout_unlock", args=[locked.pk])), _case)

    locked.refresh_from_db()
    assert locked.unlocked_at is None and not AuditEvent.objects.filter(action="security.signin_unlocked").exists()


@pytest.mark.parametrize("_case", ROLE_CASES)
def test_mfa_reset_refuses_without_permission_and_changes_nothing(client, _case):
    enrolled = enrol(StaffUserFactory())
    _login_as(client, _case)

    _assert_refused(client.post(reverse("security:user_mfa_reset", args=[enrolled.user.pk])), _case)

    assert TOTPDevice.objects.filter(user=enrolled.user, confirmed_at__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="security.mfa_reset").exists()


@pytest.mark.parametrize("_case", ROLE_CASES)
def test_policy_change_refuses_without_permission_and_changes_nothing(client, _case):
    reseller = ResellerFactory()
    _login_as(client, _case)

    _assert_refused(
        client.post(reverse("security:reseller_policy_set", args=[reseller.pk]), {"mfa_required": "1"}), _case
    )

    assert not ResellerMFAPolicy.objects.exists()


def test_audit_viewer_with_view_permission_but_no_export_permission_cannot_export(client):
    client.force_login(grant(StaffUserFactory(), "bss.view_auditevent"))

    assert client.get(reverse("security:audit_log")).status_code == 200
    assert "Export CSV" not in client.get(reverse("security:audit_log")).content.decode()
    assert client.get(reverse("security:audit_export")).status_code == 404


def test_tools_page_lists_only_the_tools_the_staff_member_may_use(client):
    client.force_login(grant(StaffUserFactory(), "bss.view_auditevent"))

    page = client.get(reverse("backoffice:tools")).content.decode()

    assert "Audit log" in page and "Sign-in security" not in page and "Reseller MFA policy" not in page


def test_staff_with_permission_resets_a_users_mfa(client):
    enrolled = enrol(StaffUserFactory())
    support = grant(StaffUserFactory(), "security.view_loginlockout", "security.reset_mfa")
    client.force_login(support)

    response = client.post(reverse("security:user_mfa_reset", args=[enrolled.user.pk]), follow=True)

    assert "MFA reset for" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=enrolled.user).exists()
    event = AuditEvent.objects.get(action="security.mfa_reset")
    assert event.actor == support and event.object_id == str(enrolled.user.pk)
    assert event.before == {"mfa": True, "recovery_codes_left": 10}


def test_only_a_superuser_may_reset_a_superusers_mfa(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "a-long-admin-password")
    enrol(root)
    client.force_login(grant(StaffUserFactory(), "security.view_loginlockout", "security.reset_mfa"))

    response = client.post(reverse("security:user_mfa_reset", args=[root.pk]))

    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user=root).exists()


def test_staff_with_permission_sets_a_reseller_policy(client):
    reseller = ResellerFactory()
    staff = grant(StaffUserFactory(), "security.view_resellermfapolicy", "security.change_resellermfapolicy")
    client.force_login(staff)

    client.post(reverse("security:reseller_policy_set", args=[reseller.pk]), {"mfa_required": "1"})
    page = client.get(reverse("security:reseller_policies")).content.decode()
    client.post(reverse("security:reseller_policy_set", args=[reseller.pk]), {"mfa_required": "0"})

    assert "required</span>" in page
    assert ResellerMFAPolicy.objects.get(reseller=reseller).mfa_required is False
    changes = AuditEvent.objects.filter(action="security.reseller_mfa_policy_changed").order_by("id")
    assert [e.after["mfa_required"] for e in changes] == [True, False]
    assert all(e.actor == staff for e in changes)


# --- Audit log viewer ----------------------------------------------------------------------------------------


@pytest.fixture
def auditor(client):
    user = grant(StaffUserFactory(), "bss.view_auditevent", "security.export_auditlog")
    client.force_login(user)
    return user


def _event(action: str, obj, **kwargs) -> AuditEvent:
    return audit_record(actor=None, action=action, obj=obj, **kwargs)


def test_audit_log_searches_and_filters(client, auditor):
    fabrikam = ResellerFactory(name="Fabrikam Reseller")
    contoso = ResellerFactory(name="Contoso Reseller")
    _event("reseller.update", fabrikam, before={"name": "Old"}, after={"name": "Fabrikam Reseller"})
    _event("reseller.suspend", contoso)
    AuditEvent.objects.update(request_id="req-1")
    _event("reseller.update", contoso, after={"name": "Contoso Reseller"})

    by_text = client.get(reverse("security:audit_log"), {"q": "Fabrikam"}).content.decode()
    by_action = client.get(reverse("security:audit_log"), {"action": "reseller.suspend"}).content.decode()
    by_request = client.get(reverse("security:audit_log"), {"q": "req-1"}).content.decode()
    by_type = client.get(reverse("security:audit_log"), {"object_type": "bss.Reseller"}).content.decode()
    future = client.get(reverse("security:audit_log"), {"date_from": "2999-01-01"}).content.decode()

    assert "Fabrikam Reseller" in by_text and "Contoso Reseller" not in by_text
    assert by_action.count("reseller.suspend</td>") == 1 and "reseller.update</td>" not in by_action
    assert by_request.count("<tr>") - 1 == 2
    assert by_type.count("bss.Reseller #") == 3
    assert "No audit events match." in future


def test_audit_log_paginates(client, auditor):
    reseller = ResellerFactory()
    for n in range(55):
        _event(f"test.event{n:02d}", reseller)

    first = client.get(reverse("security:audit_log")).content.decode()
    second = client.get(reverse("security:audit_log"), {"page": 2}).content.decode()

    assert "Page 1 of 2" in first and "test.event54</td>" in first and "test.event04</td>" not in first
    assert "test.event04</td>" in second and "test.event54</td>" not in second


def test_audit_event_detail_shows_before_and_after(client, auditor):
    reseller = ResellerFactory()
    event = _event(
        "reseller.update",
        reseller,
        before={"name": "Old Name", "country": "US"},
        after={"name": "New Name", "country": "US"},
    )

    page = client.get(reverse("security:audit_event", args=[event.pk])).content.decode()

    assert "Old Name" in page and "New Name" in page
    assert page.count('class="changed"') == 1


def test_audit_log_exports_filtered_csv(client, auditor):
    reseller = ResellerFactory(name="=HYPERLINK(evil)")
    _event("reseller.update", reseller, after={"name": reseller.name})
    _event("other.thing", ResellerFactory())

    response = client.get(reverse("security:audit_export"), {"action": "reseller.update"})

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1
    assert rows[0]["action"] == "reseller.update" and rows[0]["object"] == "'=HYPERLINK(evil)"
    assert rows[0]["after"] == '{"name": "=HYPERLINK(evil)"}'


def test_audit_rows_cannot_be_changed_through_the_ui(client, django_user_model):
    event = _event("reseller.update", ResellerFactory())
    root = django_user_model.objects.create_superuser("root", "root@example.com", "a-long-admin-password")
    client.force_login(root)

    assert client.post(reverse("security:audit_log")).status_code == 405
    assert client.post(reverse("security:audit_event", args=[event.pk])).status_code == 405
    assert client.post(reverse("admin:bss_auditevent_change", args=[event.pk]), {"action": "x"}).status_code == 403
    assert client.post(reverse("admin:bss_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "reseller.update"
    assert Reseller.objects.exists()
