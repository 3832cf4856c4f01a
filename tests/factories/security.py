"""Factories for bss.security: TOTP devices, recovery codes, reseller MFA policies, sign-in failures and lockouts.
(SecurityPermissions has no table: it only holds permissions.)"""

from __future__ import annotations

import datetime as dt
import hashlib

import factory
import pyotp
from django.utils import timezone

from bss.security.models import (
    LoginFailure,
    LoginLockout,
    PasswordResetRequest,
    RecoveryCode,
    ResellerMFAPolicy,
    ThrottleKey,
    TOTPDevice,
)
from tests.factories.base import ModelFactory
from tests.factories.bss import ResellerFactory, StaffUserFactory


class TOTPDeviceFactory(ModelFactory[TOTPDevice]):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(StaffUserFactory)
    secret = factory.LazyFunction(pyotp.random_base32)
    confirmed_at = factory.LazyFunction(timezone.now)


class RecoveryCodeFactory(ModelFactory[RecoveryCode]):
    class Meta:
        model = RecoveryCode

    user = factory.SubFactory(StaffUserFactory)
    code_hash = factory.Sequence(lambda n: hashlib.sha256(f"recovery-{n}".encode()).hexdigest())


class ResellerMFAPolicyFactory(ModelFactory[ResellerMFAPolicy]):
    class Meta:
        model = ResellerMFAPolicy

    reseller = factory.SubFactory(ResellerFactory)
    mfa_required = True


class LoginFailureFactory(ModelFactory[LoginFailure]):
    class Meta:
        model = LoginFailure

    username = factory.Sequence(lambda n: f"user{n}")
    ip_address = "203.0.113.7"


class LoginLockoutFactory(ModelFactory[LoginLockout]):
    class Meta:
        model = LoginLockout

    scope = LoginLockout.Scope.ACCOUNT
    username = factory.Sequence(lambda n: f"user{n}")
    failure_count = 10
    locked_until = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(minutes=15))


class ThrottleKeyFactory(ModelFactory[ThrottleKey]):
    class Meta:
        model = ThrottleKey

    scope = ThrottleKey.Scope.SIGNIN_ACCOUNT
    key = factory.Sequence(lambda n: f"user{n}")


class PasswordResetRequestFactory(ModelFactory[PasswordResetRequest]):
    class Meta:
        model = PasswordResetRequest

    address_digest = factory.Sequence(lambda n: hashlib.sha256(f"user{n}@example.com".encode()).hexdigest())
    ip_address = "203.0.113.7"
    sent = True
