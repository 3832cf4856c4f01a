from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bss.models import AuditEvent
from bss.security.models import LoginFailure, LoginLockout
from tests.factories.bss import CustomerUserFactory, StaffUserFactory
from tests.security.conftest import enrol, grant, sign_in

pytestmark = pytest.mark.django_db


def _fail(client: Client, username: str, times: int):
    response = None
    for _ in range(times):
        response = client.post(reverse("login"), {"username": username, "password": "wrong-password-123"})
    return response


def test_account_locks_after_too_many_failures_and_says_when_to_retry(client, lockout_settings):
    user = CustomerUserFactory()

    response = _fail(client, user.username, 3)

    assert response.status_code == 429
    lock = LoginLockout.objects.get(scope="account")
    assert lock.username == user.username and lock.failure_count == 3
    body = response.content.decode()
    assert f"Try again after {lock.locked_until:%H:%M} UTC (in about 15 minutes)" in body
    assert "ask an administrator to unlock it" in body
    # Even the right password is refused now, without being checked.
    refused = sign_in(client, user)
    assert refused.status_code == 429 and client.session.get("_auth_user_id") is None
    assert LoginFailure.objects.count() == 3  # attempts while locked are not counted again
    event = AuditEvent.objects.get(action="security.signin_locked")
    assert event.after["target"] == user.username and event.after["failures"] == 3


def test_lock_is_per_account_name_whatever_its_case(client, lockout_settings):
    user = CustomerUserFactory(username="alice")

    _fail(client, "Alice", 2)
    response = _fail(client, " ALICE ", 1)

    assert response.status_code == 429
    assert sign_in(client, user).status_code == 429


def test_unknown_account_names_lock_too_so_existence_is_not_revealed(client, lockout_settings):
    response = _fail(client, "nobody-here", 3)

    assert response.status_code == 429
    assert LoginLockout.objects.filter(username="nobody-here").exists()


def test_ip_address_locks_after_failures_across_accounts(lockout_settings):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(3):
        _fail(attacker, f"guess{n}", 2)
    victim = CustomerUserFactory()

    response = sign_in(attacker, victim)

    assert response.status_code == 429
    assert "your network address" in response.content.decode()
    assert LoginLockout.objects.get(scope="ip").ip_address == "203.0.113.9"
    # Another address is not affected.
    assert sign_in(Client(REMOTE_ADDR="198.51.100.7"), victim).status_code == 302


def test_successful_sign_in_resets_the_account_count(client, lockout_settings):
    user = CustomerUserFactory()
    _fail(client, user.username, 2)
    assert sign_in(client, user).status_code == 302
    client.logout()

    response = _fail(client, user.username, 2)

    assert response.status_code == 200
    assert not LoginLockout.objects.exists()


def test_lock_ends_by_itself_after_its_duration(client, lockout_settings):
    user = CustomerUserFactory()
    _fail(client, user.username, 3)
    past = timezone.now() - timedelta(seconds=1)
    LoginLockout.objects.update(locked_until=past)  # time passes

    response = sign_in(client, user)

    assert response.status_code == 302 and client.session.get("_auth_user_id") == str(user.pk)


def test_after_a_lock_ends_the_old_failures_do_not_count_again(client, lockout_settings):
    user = CustomerUserFactory()
    _fail(client, user.username, 3)
    LoginLockout.objects.update(locked_until=timezone.now() - timedelta(seconds=1))

    response = _fail(client, user.username, 1)

    assert response.status_code == 200 and LoginLockout.objects.count() == 1


def test_wrong_second_factor_codes_count_towards_the_lock(client, lockout_settings):
    enrolled = enrol(StaffUserFactory())
    sign_in(client, enrolled.user)
    for _ in range(2):
        client.post(reverse("security:login_verify"), {"code": "000000"})

    response = client.post(reverse("security:login_verify"), {"code": "111111"}, follow=True)

    assert "Too many failed sign-in attempts for this account" in response.content.decode()
    assert client.session.get("_auth_user_id") is None
    assert LoginFailure.objects.filter(reason="mfa").count() == 3
    # The valid code does not help now: the half-finished sign-in was dropped.
    again = client.post(reverse("security:login_verify"), {"code": enrolled.code()})
    assert again.status_code == 302 and again.url == reverse("login")


def test_staff_with_permission_unlocks_an_account(client, lockout_settings):
    user = CustomerUserFactory()
    _fail(Client(), user.username, 3)
    lock = LoginLockout.objects.get()
    support = grant(StaffUserFactory(), "security.view_loginlockout", "security.unlock_login")
    client.force_login(support)

    page = client.get(reverse("security:signin_security"))
    assert page.status_code == 200 and user.username in page.content.decode() and "Unlock" in page.content.decode()
    response = client.post(reverse("security:lockout_unlock", args=[lock.pk]))

    assert response.status_code == 302
    lock.refresh_from_db()
    assert lock.unlocked_by == support and lock.unlocked_at is not None
    event = AuditEvent.objects.get(action="security.signin_unlocked")
    assert event.actor == support and event.before["unlocked_at"] is None
    assert sign_in(Client(), user).status_code == 302


def test_staff_without_unlock_permission_cannot_unlock(client, lockout_settings):
    _fail(Client(), "someone", 3)
    lock = LoginLockout.objects.get()
    viewer = grant(StaffUserFactory(), "security.view_loginlockout")
    client.force_login(viewer)

    page = client.get(reverse("security:signin_security")).content.decode()
    response = client.post(reverse("security:lockout_unlock", args=[lock.pk]))

    assert "Unlock</button>" not in page
    assert response.status_code == 404
    lock.refresh_from_db()
    assert lock.unlocked_at is None
    assert not AuditEvent.objects.filter(action="security.signin_unlocked").exists()
