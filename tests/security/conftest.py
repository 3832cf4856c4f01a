"""Helpers for the security tests: enrolled users, current TOTP codes, and the sign-in steps as a user does them."""

from dataclasses import dataclass

import pyotp
import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bss.models import User
from bss.security import services
from bss.security.models import TOTPDevice

PASSWORD = "correct-horse-battery-staple"  # what tests/factories/bss.py UserFactory sets


@dataclass
class Enrolled:
    user: User
    secret: str
    recovery_codes: list[str]

    def code(self, steps_ahead: int = 0) -> str:
        """A valid code; pass steps_ahead=1 for a second code in the same test (each step is accepted once)."""
        totp = pyotp.TOTP(self.secret)
        return totp.generate_otp(totp.timecode(timezone.now()) + steps_ahead)


def enrol(user: User) -> Enrolled:
    device = services.totp_enrolment_start(user=user)
    totp = pyotp.TOTP(device.secret)
    # Enrol with the previous step's code so that the current and next steps stay usable in the test.
    codes = services.totp_enrolment_confirm(user=user, code=totp.generate_otp(totp.timecode(timezone.now()) - 1))
    return Enrolled(user=user, secret=TOTPDevice.objects.get(user=user).secret, recovery_codes=codes)


def grant(user: User, *perms: str) -> User:
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return User.objects.get(pk=user.pk)  # fresh instance: no stale permission cache


def sign_in(client: Client, user: User, password: str = PASSWORD, **extra: str):
    return client.post(reverse("login"), {"username": user.get_username(), "password": password, **extra})


def sign_in_fully(client: Client, enrolled: Enrolled, steps_ahead: int = 0, password: str = PASSWORD) -> None:
    """Password then code, as a user would; asserts it worked."""
    response = sign_in(client, enrolled.user, password=password)
    assert response.status_code == 302 and response.url == reverse("security:login_verify")
    response = client.post(reverse("security:login_verify"), {"code": enrolled.code(steps_ahead)})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert client.session.get("_auth_user_id") == str(enrolled.user.pk)


@pytest.fixture
def lockout_settings(settings):
    settings.LOGIN_LOCKOUT_MAX_FAILURES_PER_ACCOUNT = 3
    settings.LOGIN_LOCKOUT_MAX_FAILURES_PER_IP = 6
    settings.LOGIN_LOCKOUT_WINDOW_SECONDS = 900
    settings.LOGIN_LOCKOUT_DURATION_SECONDS = 900
    return settings


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Sign-in tests hash many passwords; the hasher's cost is not what they test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
