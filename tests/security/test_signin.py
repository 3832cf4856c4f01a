import time

import pyotp
import pytest
from django.urls import reverse

from bss.models import AuditEvent
from bss.security import services
from bss.security.models import RecoveryCode, TOTPDevice
from tests.factories.bss import CustomerUserFactory, ResellerUserFactory, StaffUserFactory, reseller_of
from tests.security.conftest import enrol, sign_in, sign_in_fully

pytestmark = pytest.mark.django_db


def _signed_in_as(client) -> str | None:
    return client.session.get("_auth_user_id")


def test_customer_user_without_mfa_signs_in_with_the_password_alone(client):
    user = CustomerUserFactory()

    response = sign_in(client, user)

    assert response.status_code == 302 and response.url == reverse("home")
    assert _signed_in_as(client) == str(user.pk)
    event = AuditEvent.objects.get(action="security.signin")
    assert event.actor_id == user.pk and event.after == {"mfa": False} and event.ip_address == "127.0.0.1"


def test_wrong_password_is_refused_with_a_generic_message(client):
    user = CustomerUserFactory()

    response = sign_in(client, user, password="not-the-password")

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert _signed_in_as(client) is None


def test_staff_without_authenticator_must_enrol_before_being_signed_in(client):
    staff = StaffUserFactory()

    response = sign_in(client, staff)

    assert response.status_code == 302 and response.url == reverse("security:login_enrol")
    assert _signed_in_as(client) is None
    assert client.get(reverse("backoffice:dashboard")).status_code == 302  # still anonymous: to the login page
    page = client.get(reverse("security:login_enrol"))
    body = page.content.decode()
    device = TOTPDevice.objects.get(user=staff)
    assert device.confirmed_at is None
    assert "<svg" in body and device.secret in body and "otpauth://totp/" in body

    wrong = client.post(reverse("security:login_enrol"), {"code": "000000"})
    assert wrong.status_code == 200 and "not valid" in wrong.content.decode()
    assert _signed_in_as(client) is None

    response = client.post(reverse("security:login_enrol"), {"code": pyotp.TOTP(device.secret).now()})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert "Save these recovery codes now" in body
    assert body.count("<li>") >= 10 and RecoveryCode.objects.filter(user=staff).count() == 10
    assert _signed_in_as(client) == str(staff.pk)
    assert client.get(reverse("backoffice:dashboard")).status_code == 200
    enrolled_event = AuditEvent.objects.get(action="security.mfa_enrolled", object_id=str(staff.pk))
    assert enrolled_event.actor == staff and enrolled_event.ip_address == "127.0.0.1" and enrolled_event.request_id
    assert enrolled_event.after == {"mfa": True, "recovery_codes": 10}
    assert AuditEvent.objects.get(action="security.signin").after == {"mfa": True}


def test_recovery_codes_are_stored_hashed_only(client):
    enrolled = enrol(StaffUserFactory())

    stored = list(RecoveryCode.objects.filter(user=enrolled.user).values_list("code_hash", flat=True))

    assert len(stored) == 10
    for code in enrolled.recovery_codes:
        assert code not in stored and code.replace("-", "") not in stored


def test_enrolled_user_is_not_signed_in_by_the_password_alone(client):
    enrolled = enrol(CustomerUserFactory())

    response = sign_in(client, enrolled.user)

    assert response.status_code == 302 and response.url == reverse("security:login_verify")
    assert _signed_in_as(client) is None
    assert client.get(reverse("security:account")).status_code == 302


def test_wrong_code_is_refused(client):
    enrolled = enrol(StaffUserFactory())
    sign_in(client, enrolled.user)

    response = client.post(reverse("security:login_verify"), {"code": "123456"})

    assert response.status_code == 200 and "That code is not valid" in response.content.decode()
    assert _signed_in_as(client) is None


def test_valid_code_signs_in_and_goes_to_next(client):
    enrolled = enrol(StaffUserFactory())
    target = reverse("backoffice:customer_list")

    client.post(
        reverse("login"),
        {"username": enrolled.user.username, "password": "correct-horse-battery-staple", "next": target},
    )
    response = client.post(reverse("security:login_verify"), {"code": enrolled.code()})

    assert response.status_code == 302 and response.url == target
    assert _signed_in_as(client) == str(enrolled.user.pk)
    assert client.get(target).status_code == 200


def test_next_pointing_to_another_site_is_ignored(client):
    user = CustomerUserFactory()

    response = client.post(
        reverse("login"),
        {"username": user.username, "password": "correct-horse-battery-staple", "next": "https://evil.example.com/"},
    )

    assert response.status_code == 302 and response.url == reverse("home")


def test_a_code_is_accepted_only_once(client, django_user_model):
    enrolled = enrol(StaffUserFactory())
    code = enrolled.code()
    sign_in(client, enrolled.user)
    assert client.post(reverse("security:login_verify"), {"code": code}).status_code == 302

    other = client.__class__()
    sign_in(other, enrolled.user)
    response = other.post(reverse("security:login_verify"), {"code": code})

    assert response.status_code == 200 and "not valid" in response.content.decode()
    assert other.session.get("_auth_user_id") is None


def test_recovery_code_signs_in_once_and_is_audited(client):
    enrolled = enrol(StaffUserFactory())
    code = enrolled.recovery_codes[3]
    sign_in(client, enrolled.user)

    response = client.post(reverse("security:login_verify"), {"code": code.lower().replace("-", " ")}, follow=True)

    assert _signed_in_as(client) == str(enrolled.user.pk)
    assert "You signed in with a recovery code; 9 left" in response.content.decode()
    event = AuditEvent.objects.get(action="security.recovery_code_used")
    assert event.after == {"recovery_codes_left": 9}
    client.logout()
    sign_in(client, enrolled.user)
    again = client.post(reverse("security:login_verify"), {"code": code})
    assert again.status_code == 200 and _signed_in_as(client) is None


def test_half_finished_sign_in_expires(client, monkeypatch):
    enrolled = enrol(StaffUserFactory())
    sign_in(client, enrolled.user)
    later = time.time() + 301
    monkeypatch.setattr(time, "time", lambda: later)

    response = client.post(reverse("security:login_verify"), {"code": enrolled.code()})

    assert response.status_code == 302 and response.url == reverse("login")
    assert _signed_in_as(client) is None


def test_admin_login_goes_through_the_two_step_sign_in(client):
    response = client.get(reverse("admin:login") + "?next=/admin/bss/")

    assert response.status_code == 302 and response.url == reverse("login") + "?next=%2Fadmin%2Fbss%2F"


def test_force_login_sessions_are_left_alone_outside_strict_mode(client):
    client.force_login(StaffUserFactory())

    assert client.get(reverse("backoffice:dashboard")).status_code == 200


def test_strict_mode_sends_unstamped_staff_sessions_to_enrolment(client, settings):
    settings.MFA_STRICT_SESSIONS = True
    client.force_login(StaffUserFactory())

    response = client.get(reverse("backoffice:dashboard"))

    assert response.status_code == 302
    assert response.url == reverse("security:mfa_enrol") + "?next=%2Fbackoffice%2F"


def test_strict_mode_asks_enrolled_users_for_their_code(client, settings):
    settings.MFA_STRICT_SESSIONS = True
    enrolled = enrol(StaffUserFactory())
    client.force_login(enrolled.user)

    response = client.get(reverse("backoffice:dashboard"))
    assert response.status_code == 302 and response.url.startswith(reverse("security:verify"))

    verified = client.post(reverse("security:verify") + "?next=/backoffice/", {"code": enrolled.code()})
    assert verified.status_code == 302 and verified.url == "/backoffice/"
    assert client.get(reverse("backoffice:dashboard")).status_code == 200


def test_reseller_users_are_sent_to_enrolment_when_their_reseller_starts_requiring_mfa(client):
    user = ResellerUserFactory()
    staff = StaffUserFactory()
    sign_in(client, user)
    assert client.get(reverse("security:account")).status_code == 200

    services.reseller_mfa_policy_set(reseller=reseller_of(user), mfa_required=True, actor=staff)
    response = client.get(reverse("security:account"))

    assert response.status_code == 302 and response.url.startswith(reverse("security:mfa_enrol"))
    device = services.totp_enrolment_start(user=user)
    client.post(reverse("security:mfa_enrol"), {"code": pyotp.TOTP(device.secret).now()})
    assert client.get(reverse("security:account")).status_code == 200


def test_reseller_users_under_an_mfa_policy_enrol_at_sign_in(client):
    user = ResellerUserFactory()
    services.reseller_mfa_policy_set(reseller=reseller_of(user), mfa_required=True, actor=StaffUserFactory())

    response = sign_in(client, user)

    assert response.status_code == 302 and response.url == reverse("security:login_enrol")
    assert _signed_in_as(client) is None


def test_api_answers_403_json_while_enrolment_is_pending(client):
    user = ResellerUserFactory()
    sign_in(client, user)
    services.reseller_mfa_policy_set(reseller=reseller_of(user), mfa_required=True, actor=StaffUserFactory())

    response = client.get("/api/v1/customers/")

    assert response.status_code == 403
    assert response.json()["code"] == "mfa_enrolment_required"


def test_mfa_reset_ends_sessions_that_relied_on_the_old_authenticator(client):
    enrolled = enrol(StaffUserFactory())
    sign_in_fully(client, enrolled)
    admin = StaffUserFactory()

    services.mfa_reset(user=enrolled.user, actor=admin)
    response = client.get(reverse("backoffice:dashboard"))

    assert response.status_code == 302 and response.url == reverse("login")
    assert _signed_in_as(client) is None


def test_sign_out_works_before_enrolment_is_finished(client, settings):
    settings.MFA_STRICT_SESSIONS = True
    client.force_login(StaffUserFactory())

    response = client.post(reverse("logout"))

    assert response.status_code == 302 and _signed_in_as(client) is None


def test_mfa_enforcement_can_be_switched_off(client, settings):
    settings.MFA_ENFORCED = False
    staff = StaffUserFactory()

    response = sign_in(client, staff)

    assert response.status_code == 302 and response.url == reverse("home")
    assert client.session.get("_auth_user_id") == str(staff.pk)
