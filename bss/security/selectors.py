"""Reads for account security and the audit log viewer. Nothing here writes."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from ipaddress import ip_address as parse_ip

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from bss.choices import UserRole
from bss.exceptions import NotFound
from bss.models import AuditEvent, Reseller, User
from bss.security.models import LoginLockout, RecoveryCode, ResellerMFAPolicy, TOTPDevice


def normalize_username(username: str) -> str:
    """The key failed sign-ins are counted under: case and surrounding blanks do not give extra attempts."""
    return username.strip().casefold()[:150]


def mfa_required_for(user: User) -> bool:
    """Whether this user must sign in with a second factor: provider staff (anyone who can reach the back office
    or the admin) always, reseller users when their reseller's policy says so. `MFA_ENFORCED=0` turns the
    obligation off (users who enrolled anyway are still asked for their code)."""
    if not settings.MFA_ENFORCED or not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser or user.role == UserRole.PROVIDER_STAFF:
        return True
    if user.role == UserRole.RESELLER and user.reseller_id:
        return ResellerMFAPolicy.objects.filter(reseller_id=user.reseller_id, mfa_required=True).exists()
    return False


def totp_device_confirmed(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed_at__isnull=False).first()


def recovery_codes_remaining(user: User) -> int:
    return RecoveryCode.objects.filter(user_id=user.pk, used_at__isnull=True).count()


def lockout_active(*, username: str, ip_address: str | None) -> LoginLockout | None:
    """The lock (on this account name or this IP address) that lasts longest, if any is in force."""
    target = Q(scope=LoginLockout.Scope.ACCOUNT, username=normalize_username(username))
    if ip_address:
        target |= Q(scope=LoginLockout.Scope.IP, ip_address=ip_address)
    return (
        LoginLockout.objects.filter(target, locked_until__gt=timezone.now(), unlocked_at__isnull=True)
        .order_by("-locked_until")
        .first()
    )


def password_reset_users(email: str) -> list[User]:
    """The accounts a reset link for this address goes to: active, with a usable password (as Django's own form)."""
    email = email.strip()
    return [
        user
        for user in User.objects.filter(email__iexact=email, is_active=True)
        if user.has_usable_password() and user.email.casefold() == email.casefold()
    ]


def lockout_list_active() -> QuerySet[LoginLockout]:
    return LoginLockout.objects.filter(locked_until__gt=timezone.now(), unlocked_at__isnull=True).order_by(
        "-created_at"
    )


def lockout_list_recent(*, days: int = 7) -> QuerySet[LoginLockout]:
    return LoginLockout.objects.select_related("unlocked_by").filter(
        created_at__gte=timezone.now() - timedelta(days=days)
    )


def user_security_list(*, search: str = "") -> QuerySet[User]:
    """Users with their MFA state, for the Sign-in security tool (staff only)."""
    qs = (
        User.objects.select_related("reseller", "customer")
        .annotate(
            mfa_enrolled=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed_at__isnull=False)),
            recovery_left=Count("recovery_codes", filter=Q(recovery_codes__used_at__isnull=True)),
        )
        .order_by("username")
    )
    if search:
        qs = qs.filter(Q(username__icontains=search) | Q(email__icontains=search) | Q(reseller__name__icontains=search))
    return qs


def user_get(*, user_id: int) -> User:
    try:
        return User.objects.get(pk=user_id)
    except User.DoesNotExist:
        raise NotFound("User not found.") from None


def lockout_get(*, lockout_id: int) -> LoginLockout:
    try:
        return LoginLockout.objects.get(pk=lockout_id)
    except LoginLockout.DoesNotExist:
        raise NotFound("Lock not found.") from None


def reseller_get(*, reseller_id: int) -> Reseller:
    try:
        return Reseller.objects.get(pk=reseller_id)
    except Reseller.DoesNotExist:
        raise NotFound("Reseller not found.") from None


def reseller_policy_list() -> QuerySet[Reseller]:
    return Reseller.objects.annotate(
        mfa_required=Exists(ResellerMFAPolicy.objects.filter(reseller=OuterRef("pk"), mfa_required=True)),
        user_count=Count("users", distinct=True),
    ).order_by("name")


def reseller_mfa_required(reseller: Reseller) -> bool:
    return ResellerMFAPolicy.objects.filter(reseller=reseller, mfa_required=True).exists()


# --- Audit log --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    q: str = ""
    action: str = ""
    object_type: str = ""
    date_from: date | None = None
    date_to: date | None = None


def audit_event_list(*, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Audit events, newest first, narrowed by free-text search (actor, action, object, request id, IP) and by
    action, object type and an inclusive date range (UTC days)."""
    qs = AuditEvent.objects.select_related("actor")
    if filters.q:
        text = filters.q.strip()
        match = (
            Q(actor_label__icontains=text)
            | Q(action__icontains=text)
            | Q(object_repr__icontains=text)
            | Q(object_type__icontains=text)
            | Q(object_id=text)
            | Q(request_id=text)
        )
        if _looks_like_ip(text):
            match |= Q(ip_address=text)
        qs = qs.filter(match)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.date_from:
        qs = qs.filter(created_at__gte=datetime.combine(filters.date_from, time.min, tzinfo=UTC))
    if filters.date_to:
        qs = qs.filter(created_at__lt=datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=UTC))
    return qs.order_by("-created_at", "-id")


def audit_event_get(*, event_id: int) -> AuditEvent:
    try:
        return AuditEvent.objects.select_related("actor").get(pk=event_id)
    except AuditEvent.DoesNotExist:
        raise NotFound("Audit event not found.") from None


def audit_action_choices() -> list[str]:
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())


def audit_object_type_choices() -> list[str]:
    return list(AuditEvent.objects.order_by("object_type").values_list("object_type", flat=True).distinct())


def _looks_like_ip(text: str) -> bool:
    try:
        parse_ip(text)
    except ValueError:
        return False
    return True
