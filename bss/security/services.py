"""Every write of account security state: second factors, recovery codes, sign-in throttling, MFA policy,
passwords. Each state change records an audit event in the same transaction; no secret (password, TOTP secret,
recovery code) ever goes into an audit row or a log line."""

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import pyotp
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from bss.exceptions import ApplicationError
from bss.models import Reseller, User
from bss.security.models import (
    LoginFailure,
    LoginLockout,
    PasswordResetRequest,
    RecoveryCode,
    ResellerMFAPolicy,
    ThrottleKey,
    TOTPDevice,
)
from bss.security.selectors import lockout_active, normalize_username, password_reset_users
from bss.services.audit import audit_record

logger = logging.getLogger(__name__)
T = TypeVar("T")

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols = 5 bits each; no 0/O, 1/I
_RECOVERY_LENGTH = 16  # 80 bits


class SignInLocked(ApplicationError):
    """Sign-in refused without checking credentials: too many recent failures for this account or IP address."""

    code = "signin_locked"
    http_status = 429

    def __init__(self, lockout: LoginLockout) -> None:
        self.lockout = lockout
        super().__init__(lockout_message(lockout), extra={"retry_at": lockout.locked_until.isoformat()})


class CredentialsRejected(ApplicationError):
    """The password or code was checked and is wrong (counted against the sign-in limits by login_attempt)."""

    code = "invalid_credentials"


class InvalidSecondFactor(CredentialsRejected):
    code = "invalid_second_factor"


class MFAStateError(ApplicationError):
    code = "mfa_state"


def lockout_message(lockout: LoginLockout) -> str:
    """What the user reads: why, and exactly when to try again (UTC), and who can help sooner."""
    now = timezone.now()
    minutes = max(1, int((lockout.locked_until - now).total_seconds() + 59) // 60)
    where = "this account" if lockout.scope == LoginLockout.Scope.ACCOUNT else "your network address"
    return (
        f"Too many failed sign-in attempts for {where}. Try again after "
        f"{lockout.locked_until:%H:%M} UTC (in about {minutes} minute{'s' if minutes != 1 else ''}), "
        "or ask an administrator to unlock it."
    )


# --- Sign-in throttling ---------------------------------------------------------------------------------------
#
# Every password or code is checked inside login_attempt, which first reserves the attempt's place in the count
# (a "pending" LoginFailure row, written under row locks on the account name's and IP address's ThrottleKey), so
# "is it locked?", "is it over the limit?" and "count this one" are a single step: however many attempts arrive
# at once, at most the limit is ever checked.


def login_attempt(*, username: str, ip_address: str | None, reason: str, check: Callable[[], T]) -> T:
    """Run `check` (a password or second-factor check) under the sign-in limits and return what it returns.

    Raises SignInLocked without calling `check` while the account name or IP address is locked, or when its failures
    plus the attempts being checked right now already reach the limit (that locks it). `check` raises
    CredentialsRejected for wrong credentials: the attempt then stays counted as a failure (`reason`: "password"
    or "mfa") and the error is raised again, or SignInLocked if this failure completes a lock. When `check`
    succeeds, or fails for another reason, the attempt is not counted."""
    attempt_id, lockout = _attempt_reserve(username=username, ip_address=ip_address)
    if lockout is not None:
        raise SignInLocked(lockout)
    try:
        result = check()
    except CredentialsRejected as exc:
        lockout = _attempt_failed(attempt_id=attempt_id, username=username, ip_address=ip_address, reason=reason)
        if lockout is not None:
            raise SignInLocked(lockout) from exc
        raise
    except BaseException:
        LoginFailure.objects.filter(pk=attempt_id).delete()
        raise
    LoginFailure.objects.filter(pk=attempt_id).delete()
    return result


def _attempt_reserve(*, username: str, ip_address: str | None) -> tuple[int, LoginLockout | None]:
    """The pending row of a new attempt, or the lock that refuses it (returned, not raised: a lock created here
    must be committed)."""
    lockout = lockout_active(username=username, ip_address=ip_address)  # cheap refusal without taking locks
    if lockout is not None:
        return 0, lockout
    with transaction.atomic():
        key = normalize_username(username)
        _signin_keys_lock(username=key, ip_address=ip_address)
        lockout = lockout_active(username=key, ip_address=ip_address) or _limits_lock(
            username=key, ip_address=ip_address, settled_only=False
        )
        if lockout is not None:
            return 0, lockout
        attempt = LoginFailure.objects.create(username=key, ip_address=ip_address, reason=LoginFailure.Reason.PENDING)
        return attempt.pk, None


@transaction.atomic
def _attempt_failed(*, attempt_id: int, username: str, ip_address: str | None, reason: str) -> LoginLockout | None:
    """The reserved attempt was a failure: keep it counted, and lock what reached its limit. Returns the new lock."""
    key = normalize_username(username)
    _signin_keys_lock(username=key, ip_address=ip_address)
    if not LoginFailure.objects.filter(pk=attempt_id).update(reason=reason):
        # Its reservation was cleared meanwhile (a sign-in succeeded, or staff unlocked): it still was a failure.
        LoginFailure.objects.create(username=key, ip_address=ip_address, reason=reason)
    return _limits_lock(username=key, ip_address=ip_address, settled_only=True)


def _signin_keys_lock(*, username: str, ip_address: str | None) -> None:
    keys = [(ThrottleKey.Scope.SIGNIN_ACCOUNT, username)]
    if ip_address:
        keys.append((ThrottleKey.Scope.SIGNIN_IP, ip_address))
    _throttle_keys_lock(keys)


def _throttle_keys_lock(keys: Sequence[tuple[str, str]]) -> None:
    """Row-lock these keys (creating their rows first) until the transaction ends, always in the same order, so
    that two requests never wait for each other's keys. On SQLite the write transaction itself serialises."""
    ThrottleKey.objects.bulk_create([ThrottleKey(scope=s, key=k) for s, k in sorted(keys)], ignore_conflicts=True)
    wanted = Q()
    for scope, key in keys:
        wanted |= Q(scope=scope, key=key)
    list(ThrottleKey.objects.select_for_update().filter(wanted).order_by("scope", "key").values_list("pk"))


def _limits_lock(*, username: str, ip_address: str | None, settled_only: bool) -> LoginLockout | None:
    new_lock = _maybe_lock(
        scope=LoginLockout.Scope.ACCOUNT, username=username, ip_address=None, settled_only=settled_only
    )
    if ip_address:
        ip_lock = _maybe_lock(
            scope=LoginLockout.Scope.IP, username="", ip_address=ip_address, settled_only=settled_only
        )
        new_lock = new_lock or ip_lock
    return new_lock


def _maybe_lock(*, scope: str, username: str, ip_address: str | None, settled_only: bool) -> LoginLockout | None:
    """Lock the account name or IP address if its attempts within LOGIN_LOCKOUT_WINDOW_SECONDS reach the limit
    (attempts before its previous lock do not count twice). `settled_only`: count failures only, not the attempts
    still being checked (after a failure: the others may yet succeed); before a check, both count."""
    now = timezone.now()
    if scope == LoginLockout.Scope.ACCOUNT:
        target: dict[str, str | None] = {"username": username}
        limit = settings.LOGIN_LOCKOUT_MAX_FAILURES_PER_ACCOUNT
    else:
        target = {"ip_address": ip_address}
        limit = settings.LOGIN_LOCKOUT_MAX_FAILURES_PER_IP
    since = now - timedelta(seconds=settings.LOGIN_LOCKOUT_WINDOW_SECONDS)
    previous = LoginLockout.objects.filter(scope=scope, **target).order_by("-created_at").first()
    if previous is not None:
        if previous.locked_until > now and previous.unlocked_at is None:
            return None  # already locked
        since = max(since, previous.created_at)
    attempts = LoginFailure.objects.filter(created_at__gt=since, **target)
    if settled_only:
        attempts = attempts.exclude(reason=LoginFailure.Reason.PENDING)
    failures = attempts.count()
    if failures < limit:
        return None
    lockout = LoginLockout.objects.create(
        scope=scope,
        failure_count=failures,
        locked_until=now + timedelta(seconds=settings.LOGIN_LOCKOUT_DURATION_SECONDS),
        **target,
    )
    audit_record(
        actor=None,
        actor_label="sign-in protection",
        action="security.signin_locked",
        obj=lockout,
        after={"scope": scope, "target": username or ip_address, "failures": failures, "until": lockout.locked_until},
    )
    logger.warning("Sign-in locked: %s %s after %s failures", scope, username or ip_address, failures)
    return lockout


@transaction.atomic
def login_success_record(*, user: User, mfa: bool) -> None:
    """A completed sign-in: the account's failure count starts again, and the audit log says who, when, from
    where and whether a second factor was used."""
    LoginFailure.objects.filter(username=normalize_username(user.get_username())).delete()
    audit_record(actor=user, action="security.signin", obj=user, after={"mfa": mfa})


@transaction.atomic
def login_unlock(*, lockout: LoginLockout, actor: User) -> LoginLockout:
    """Lift a lock before it expires (staff action). The failures behind it stop counting."""
    lockout = LoginLockout.objects.select_for_update(of=("self",)).get(pk=lockout.pk)
    if lockout.unlocked_at is not None or lockout.locked_until <= timezone.now():
        raise ApplicationError("This lock is no longer in force.", code="lockout_not_active")
    before = {"locked_until": lockout.locked_until, "unlocked_at": None}
    lockout.unlocked_at = timezone.now()
    lockout.unlocked_by = actor
    lockout.save(update_fields=["unlocked_at", "unlocked_by"])
    if lockout.scope == LoginLockout.Scope.ACCOUNT:
        LoginFailure.objects.filter(username=lockout.username).delete()
    audit_record(
        actor=actor,
        action="security.signin_unlocked",
        obj=lockout,
        before=before,
        after={"locked_until": lockout.locked_until, "unlocked_at": lockout.unlocked_at},
    )
    return lockout


# --- TOTP and recovery codes ------------------------------------------------------------------------------------


def totp_provisioning_uri(*, device: TOTPDevice) -> str:
    """The otpauth:// URI authenticator apps read from the QR code."""
    return pyotp.TOTP(device.secret).provisioning_uri(
        name=device.user.email or device.user.get_username(), issuer_name=settings.MFA_ISSUER
    )


@transaction.atomic
def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """A not-yet-confirmed authenticator for this user (the same one again if enrolment is already under way).

    Not audited: nothing changes for the account until the user confirms a code (totp_enrolment_confirm)."""
    device = TOTPDevice.objects.select_for_update(of=("self",)).filter(user=user).first()
    if device is not None and device.is_confirmed:
        raise MFAStateError("An authenticator app is already set up for this account.")
    if device is None:
        device = TOTPDevice.objects.create(user=user, secret=pyotp.random_base32())
    return device


@transaction.atomic
def totp_enrolment_confirm(*, user: User, code: str) -> list[str]:
    """Confirm the pending authenticator with a current code; issue fresh recovery codes. Returns the codes in
    plaintext, the only time they exist outside the user's hands."""
    device = TOTPDevice.objects.select_for_update(of=("self",)).filter(user=user).first()
    if device is None:
        raise MFAStateError("Start the set-up again: no authenticator is waiting for confirmation.")
    if device.is_confirmed:
        raise MFAStateError("An authenticator app is already set up for this account.")
    step = _totp_match(device=device, code=code)
    if step is None:
        raise InvalidSecondFactor("That code is not valid. Check the time on your phone and enter the current code.")
    device.confirmed_at = timezone.now()
    device.last_used_step = step
    device.save(update_fields=["confirmed_at", "last_used_step"])
    codes = _recovery_codes_replace(user=user)
    audit_record(
        actor=user,
        action="security.mfa_enrolled",
        obj=user,
        before={"mfa": False},
        after={"mfa": True, "recovery_codes": len(codes)},
    )
    return codes


@dataclass(frozen=True)
class SecondFactorResult:
    method: str  # "totp" or "recovery_code"
    device_id: int
    recovery_codes_left: int | None = None


@transaction.atomic
def mfa_verify(*, user: User, code: str) -> SecondFactorResult:
    """Check a code from the authenticator (each accepted once) or an unused recovery code (then spent, audited).
    Raises InvalidSecondFactor; callers run it inside login_attempt, which counts the failure."""
    device = TOTPDevice.objects.select_for_update(of=("self",)).filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        raise MFAStateError("No authenticator app is set up for this account.")
    compact = "".join(code.split())
    if compact.isdigit() and len(compact) == 6:
        step = _totp_match(device=device, code=compact)
        if step is None:
            raise InvalidSecondFactor("That code is not valid.")
        device.last_used_step = step
        device.save(update_fields=["last_used_step"])
        return SecondFactorResult(method="totp", device_id=device.pk)
    recovery = (
        RecoveryCode.objects.select_for_update(of=("self",))
        .filter(user=user, code_hash=_recovery_hash(compact), used_at__isnull=True)
        .first()
    )
    if recovery is None:
        raise InvalidSecondFactor("That code is not valid.")
    recovery.used_at = timezone.now()
    recovery.save(update_fields=["used_at"])
    left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
    audit_record(actor=user, action="security.recovery_code_used", obj=user, after={"recovery_codes_left": left})
    return SecondFactorResult(method="recovery_code", device_id=device.pk, recovery_codes_left=left)


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    """Replace every recovery code of the user (the old ones stop working). Returns the new codes, shown once."""
    if not TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        raise MFAStateError("Set up an authenticator app first.")
    before = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
    codes = _recovery_codes_replace(user=user)
    audit_record(
        actor=user,
        action="security.recovery_codes_regenerated",
        obj=user,
        before={"recovery_codes_left": before},
        after={"recovery_codes_left": len(codes)},
    )
    return codes


@transaction.atomic
def mfa_reset(*, user: User, actor: User) -> None:
    """Remove the user's authenticator and recovery codes: by staff for someone who lost their phone (the user
    must enrol again at next sign-in, and sessions that relied on the old device end), or by the user themself
    where MFA is optional."""
    device = TOTPDevice.objects.select_for_update(of=("self",)).filter(user=user).first()
    if device is None or not device.is_confirmed:
        raise MFAStateError(f"{user.get_username()} has no authenticator app set up.")
    codes_left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
    device.delete()
    RecoveryCode.objects.filter(user=user).delete()
    audit_record(
        actor=actor,
        action="security.mfa_disabled" if actor.pk == user.pk else "security.mfa_reset",
        obj=user,
        before={"mfa": True, "recovery_codes_left": codes_left},
        after={"mfa": False, "recovery_codes_left": 0},
    )


def _totp_match(*, device: TOTPDevice, code: str) -> int | None:
    """The time step the code belongs to (now, or one step either side for clock drift), if it was not used yet."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(device.secret)
    current = totp.timecode(timezone.now())
    for step in (current - 1, current, current + 1):
        if step > device.last_used_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _recovery_codes_replace(*, user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=_recovery_hash(code)) for code in codes)
    return codes


def _recovery_hash(code: str) -> str:
    normalized = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalized.encode()).hexdigest()


# --- Policy and passwords ---------------------------------------------------------------------------------------


@transaction.atomic
def reseller_mfa_policy_set(*, reseller: Reseller, mfa_required: bool, actor: User) -> ResellerMFAPolicy:
    """Require (or stop requiring) a second factor for every user of the reseller. Users already signed in
    without one are sent to enrolment on their next page."""
    policy, _ = ResellerMFAPolicy.objects.select_for_update(of=("self",)).get_or_create(reseller=reseller)
    before = {"mfa_required": policy.mfa_required}
    if policy.mfa_required != mfa_required:
        policy.mfa_required = mfa_required
        policy.updated_by = actor
        policy.save(update_fields=["mfa_required", "updated_by", "updated_at"])
        audit_record(
            actor=actor,
            action="security.reseller_mfa_policy_changed",
            obj=policy,
            before=before,
            after={"mfa_required": mfa_required},
        )
    return policy


@transaction.atomic
def user_password_set(*, user: User, raw_password: str, actor: User | None, reason: str) -> None:
    """Set a new password (already validated by the form). `reason` is "changed" (by the user, signed in) or
    "reset" (through the e-mailed link). The audit row says that it changed, never what to."""
    user.set_password(raw_password)
    user.save(update_fields=["password"])
    audit_record(actor=actor or user, action=f"security.password_{reason}", obj=user, after={"password": "changed"})


def password_reset_request(*, email: str, ip_address: str | None, domain: str, use_https: bool) -> bool:
    """Handle one "e-mail me a reset link" request (from the worker: the page hands every request over unseen).

    Requests are counted per address and per IP address (PASSWORD_RESET_LIMIT_*), known addresses or not; one
    over a limit is dropped. Within the limits, every active account with that address and a usable password gets
    a link. Returns whether an e-mail went out. Unaudited: nothing about an account changes."""
    digest = salted_hmac(_RESET_DIGEST_SALT, email.strip().casefold(), algorithm="sha256").hexdigest()
    keys = [(ThrottleKey.Scope.RESET_ADDRESS, digest)]
    if ip_address:
        keys.append((ThrottleKey.Scope.RESET_IP, ip_address))
    with transaction.atomic():
        _throttle_keys_lock(keys)
        recent = PasswordResetRequest.objects.filter(
            created_at__gt=timezone.now() - timedelta(seconds=settings.PASSWORD_RESET_LIMIT_WINDOW_SECONDS)
        )
        over_limit = recent.filter(address_digest=digest).count() >= settings.PASSWORD_RESET_LIMIT_PER_ADDRESS or bool(
            ip_address and recent.filter(ip_address=ip_address).count() >= settings.PASSWORD_RESET_LIMIT_PER_IP
        )
        if over_limit:
            logger.info("Password reset request dropped: over the limit for the address or %s", ip_address)
            return False
        users = password_reset_users(email)
        PasswordResetRequest.objects.create(address_digest=digest, ip_address=ip_address, sent=bool(users))
    for user in users:  # after the request is counted (committed): a failed send does not give another try
        context = {
            "email": email,
            "domain": domain,
            "site_name": domain,
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "user": user,
            "token": default_token_generator.make_token(user),
            "protocol": "https" if use_https else "http",
        }
        subject = "".join(render_to_string("registration/password_reset_subject.txt", context).splitlines())
        send_mail(subject, render_to_string("registration/password_reset_email.txt", context), None, [user.email])
    return bool(users)


_RESET_DIGEST_SALT = "bss.security.password_reset"


@transaction.atomic
def staff_group_sync(*, name: str, permissions: list[Permission]) -> tuple[Group, list[str], list[str]]:
    """Make the named group hold exactly these permissions; audit what was added and removed."""
    group, created = Group.objects.get_or_create(name=name)
    wanted = {f"{p.content_type.app_label}.{p.codename}": p for p in permissions}
    have = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
    added = sorted(set(wanted) - have)
    removed = sorted(have - set(wanted))
    if added or removed or created:
        group.permissions.set(wanted.values())
        audit_record(
            actor=None,
            actor_label="setup_staff_groups",
            action="security.staff_group_synced",
            obj=group,
            before=None if created else {"permissions": len(have)},
            after={"permissions": len(wanted), "added": ", ".join(added), "removed": ", ".join(removed)},
        )
    return group, added, removed
