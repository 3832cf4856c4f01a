import re

import pyotp
import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from bss.models import AuditEvent
from bss.security.models import RecoveryCode, ResellerMFAPolicy, TOTPDevice
from tests.factories.bss import CustomerUserFactory, ResellerUserFactory, StaffUserFactory
from tests.security.conftest import PASSWORD, enrol, sign_in, sign_in_fully

pytestmark = pytest.mark.django_db


def test_new_recovery_codes_replace_the_old_ones(client):
    enrolled = enrol(CustomerUserFactory())
    sign_in_fully(client, enrolled)

    response = client.post(reverse("security:recovery_codes"), {"code": enrolled.code(1)})

    assert response.status_code == 200
    new_codes = re.findall(r"<li>([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</li>", response.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(enrolled.recovery_codes)
    assert RecoveryCode.objects.filter(user=enrolled.user).count() == 10
    event = AuditEvent.objects.get(action="security.recovery_codes_regenerated")
    assert event.after == {"recovery_codes_left": 10}
    other = Client()
    sign_in(other, enrolled.user)
    assert other.post(reverse("security:login_verify"), {"code": enrolled.recovery_codes[0]}).status_code == 200
    assert other.post(reverse("security:login_verify"), {"code": new_codes[0]}).status_code == 302


def test_new_recovery_codes_need_a_valid_code(client):
    enrolled = enrol(CustomerUserFactory())
    sign_in_fully(client, enrolled)
    before = set(RecoveryCode.objects.values_list("code_hash", flat=True))

    response = client.post(reverse("security:recovery_codes"), {"code": "000000"}, follow=True)

    assert "That code is not valid" in response.content.decode()
    assert set(RecoveryCode.objects.values_list("code_hash", flat=True)) == before


def test_user_may_turn_off_optional_mfa_with_a_code(client):
    enrolled = enrol(CustomerUserFactory())
    sign_in_fully(client, enrolled)

    response = client.post(reverse("security:mfa_disable"), {"code": enrolled.code(1)}, follow=True)

    assert "Multi-factor authentication is off" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=enrolled.user).exists()
    assert not RecoveryCode.objects.filter(user=enrolled.user).exists()
    event = AuditEvent.objects.get(action="security.mfa_disabled")
    assert event.actor == enrolled.user and event.before["mfa"] is True and event.after["mfa"] is False
    assert client.get(reverse("security:account")).status_code == 200  # session continues


def test_staff_cannot_turn_off_required_mfa(client):
    enrolled = enrol(StaffUserFactory())
    sign_in_fully(client, enrolled)

    response = client.post(reverse("security:mfa_disable"), {"code": enrolled.code(1)}, follow=True)

    assert "is required for your account" in response.content.decode()
    assert TOTPDevice.objects.filter(user=enrolled.user, confirmed_at__isnull=False).exists()


def test_optional_enrolment_from_the_account_page(client):
    user = CustomerUserFactory()
    sign_in(client, user)
    assert "Set up an authenticator app" in client.get(reverse("security:account")).content.decode()
    client.get(reverse("security:mfa_enrol"))
    device = TOTPDevice.objects.get(user=user)

    response = client.post(reverse("security:mfa_enrol"), {"code": pyotp.TOTP(device.secret).now()})

    assert response.status_code == 200 and "Save these recovery codes now" in response.content.decode()
    assert '<span class="badge ok">On</span>' in client.get(reverse("security:account")).content.decode()


def test_reseller_admin_can_require_mfa_for_the_organisation(client):
    admin = ResellerUserFactory(is_reseller_admin=True)
    sign_in(client, admin)

    response = client.post(reverse("security:reseller_policy_require"))

    assert response.status_code == 302
    assert ResellerMFAPolicy.objects.get(reseller=admin.reseller).mfa_required is True
    event = AuditEvent.objects.get(action="security.reseller_mfa_policy_changed")
    assert event.before == {"mfa_required": False} and event.after == {"mfa_required": True}


def test_other_reseller_users_cannot_change_the_policy(client):
    user = ResellerUserFactory(is_reseller_admin=False)
    sign_in(client, user)

    response = client.post(reverse("security:reseller_policy_require"))

    assert response.status_code == 404
    assert not ResellerMFAPolicy.objects.exists()


def test_password_change_validates_and_is_audited(client):
    user = CustomerUserFactory()
    sign_in(client, user)

    weak = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert weak.status_code == 200 and "This password is too short" in weak.content.decode()

    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-better-passphrase-42",
            "new_password2": "a-much-better-passphrase-42",
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-much-better-passphrase-42")
    assert client.get(reverse("security:account")).status_code == 200  # still signed in
    event = AuditEvent.objects.get(action="security.password_changed")
    assert event.after == {"password": "changed"} and "a-much-better" not in str(event.before) + str(event.after)


def test_password_reset_by_email(client):
    user = CustomerUserFactory(email="carol@example.com")

    client.post(reverse("password_reset"), {"email": "carol@example.com"})

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["carol@example.com"] and message.subject == "Reset your cspbss password"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", str(message.body)).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "fresh-and-long-passphrase", "new_password2": "fresh-and-long-passphrase"},
    )
    assert response.status_code == 302 and response.url == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("fresh-and-long-passphrase")
    assert client.session.get("_auth_user_id") is None  # not signed in by the reset: MFA still applies
    assert AuditEvent.objects.get(action="security.password_reset").object_id == str(user.pk)
    assert "Link no longer valid" in client.get(link, follow=True).content.decode()


def test_password_reset_does_not_reveal_unknown_addresses(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)

    assert "If an account uses that address" in response.content.decode()
    assert mail.outbox == []


def test_guessing_codes_on_the_account_page_locks_and_signs_out(client, lockout_settings):
    enrolled = enrol(CustomerUserFactory())
    sign_in_fully(client, enrolled)
    for _ in range(2):
        client.post(reverse("security:recovery_codes"), {"code": "000000"})

    response = client.post(reverse("security:recovery_codes"), {"code": "000000"}, follow=True)

    assert "Too many failed sign-in attempts for this account" in response.content.decode()
    assert client.session.get("_auth_user_id") is None
