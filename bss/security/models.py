"""Security state of accounts: second factors, recovery codes, sign-in throttling, per-reseller MFA policy.

Every write goes through `bss.security.services` (audited in the same transaction); these models only hold state.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from bss.crypto import EncryptedTextField


class TOTPDevice(models.Model):
    """A user's authenticator app (RFC 6238 TOTP). At most one per user.

    The shared secret is encrypted at rest (same keys and rotation as Partner Center secrets). A device is
    unusable until `confirmed_at` is set, which happens only when the user proves possession with a valid code.
    `last_used_step` stops a code from being accepted twice (replay within its 30-second window)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device")
    secret = EncryptedTextField(help_text="Base32 TOTP secret; encrypted at rest, never rendered after enrolment")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "TOTP device"
        permissions = [("reset_mfa", "Can reset another user's multi-factor authentication")]

    def __str__(self) -> str:
        return f"Authenticator of {self.user}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """A one-time code that replaces the authenticator once. Only a SHA-256 hash is stored: the codes carry
    80 random bits, so a fast hash is safe, and the plaintext is shown to the user exactly once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(name="security_recoverycode_user_hash_unique", fields=["user", "code_hash"])
        ]

    def __str__(self) -> str:
        return f"Recovery code of {self.user} ({'used' if self.used_at else 'unused'})"


class ResellerMFAPolicy(models.Model):
    """Whether a reseller requires its users to sign in with a second factor (staff always must)."""

    reseller = models.OneToOneField("bss.Reseller", on_delete=models.CASCADE, related_name="mfa_policy")
    mfa_required = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "reseller MFA policy"
        verbose_name_plural = "reseller MFA policies"

    def __str__(self) -> str:
        return f"{self.reseller}: MFA {'required' if self.mfa_required else 'optional'}"


class ThrottleKey(models.Model):
    """One row per account name, IP address or e-mail digest that was ever throttled: the row each attempt locks
    (SELECT ... FOR UPDATE) so that "is it over the limit?" and "count this attempt" are one step, however many
    requests arrive at once. Holds no state of its own."""

    class Scope(models.TextChoices):
        SIGNIN_ACCOUNT = "signin_account", "Sign-in, account name"
        SIGNIN_IP = "signin_ip", "Sign-in, IP address"
        RESET_ADDRESS = "reset_address", "Password reset, e-mail address"
        RESET_IP = "reset_ip", "Password reset, IP address"

    scope = models.CharField(max_length=20, choices=Scope.choices)
    key = models.CharField(max_length=150)

    class Meta:
        constraints = [models.UniqueConstraint(name="security_throttlekey_scope_key_unique", fields=["scope", "key"])]

    def __str__(self) -> str:
        return f"{self.get_scope_display()}: {self.key}"


class LoginFailure(models.Model):
    """One sign-in attempt counted against the limits (wrong password or wrong second factor), per account and per
    IP address.

    The row is written *before* the credentials are checked (reason "pending", under the ThrottleKey locks), so
    attempts still being checked count too; it becomes "password"/"mfa" when the check fails and is deleted when
    it succeeds. `username` is the normalised name as typed, whether or not such an account exists, so that
    throttling does not reveal which accounts exist. Rows for an account are deleted when it signs in."""

    class Reason(models.TextChoices):
        PENDING = "pending", "Being checked"
        PASSWORD = "password", "Wrong password"
        MFA = "mfa", "Wrong second factor"

    username = models.CharField(max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    reason = models.CharField(max_length=20, choices=Reason.choices, default=Reason.PASSWORD)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.username} from {self.ip_address}"


class LoginLockout(models.Model):
    """A lock on an account (username) or an IP address after too many failures within the window.

    Active while `locked_until` is in the future and nobody unlocked it; staff with `security.unlock_login`
    can unlock early. Exactly one of username / ip_address is set."""

    class Scope(models.TextChoices):
        ACCOUNT = "account", "Account"
        IP = "ip", "IP address"

    scope = models.CharField(max_length=10, choices=Scope.choices)
    username = models.CharField(max_length=150, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    failure_count = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    locked_until = models.DateTimeField()
    unlocked_at = models.DateTimeField(null=True, blank=True)
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("unlock_login", "Can unlock locked accounts and IP addresses")]
        constraints = [
            models.CheckConstraint(
                name="security_loginlockout_one_target",
                condition=Q(scope="account", ip_address__isnull=True) & ~Q(username="")
                | Q(scope="ip", username="", ip_address__isnull=False),
            )
        ]

    def __str__(self) -> str:
        target = self.username if self.scope == self.Scope.ACCOUNT else self.ip_address
        return f"Sign-in lock on {self.get_scope_display().lower()} {target}"


class PasswordResetRequest(models.Model):
    """One request for a password-reset e-mail, known address or not, counted per address and per IP address.

    The address is kept only as a keyed digest (`address_digest`): enough to count, nothing to leak."""

    address_digest = models.CharField(max_length=64, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    sent = models.BooleanField(default=False, help_text="Whether an e-mail went out (the address has an account)")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} password reset from {self.ip_address}"


class SecurityPermissions(models.Model):
    """Holder of permissions that belong to no single model (no table is created)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("export_auditlog", "Can export the audit log as CSV")]

    def __str__(self) -> str:
        return "Security permissions"
