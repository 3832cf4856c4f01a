"""API key issue, revoke and authentication (DRF)."""

import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from api.models import ApiKey
from bss.choices import UserRole
from bss.exceptions import ApplicationError, NotFound
from bss.models import Reseller, User
from bss.services.audit import audit_record


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _may_manage_keys(user: User, reseller: Reseller) -> bool:
    return user.role == UserRole.RESELLER and user.reseller_id == reseller.pk and user.is_reseller_admin


@transaction.atomic
def api_key_create(*, actor: User, reseller: Reseller, name: str) -> tuple[ApiKey, str]:
    """Create a key; returns it with the full key text, which is never available again."""
    if not _may_manage_keys(actor, reseller):
        raise NotFound("Reseller not found.")
    name = name.strip()
    if not name:
        raise ApplicationError("Give the key a name so you can recognise it later.", code="name_required")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        reseller=reseller, name=name[:100], prefix=prefix, secret_hash=_hash(secret), created_by=actor
    )
    audit_record(actor=actor, action="api_key.create", obj=key, after={"name": key.name, "prefix": prefix})
    return key, f"{prefix}.{secret}"


@transaction.atomic
def api_key_revoke(*, actor: User, key: ApiKey) -> ApiKey:
    if not _may_manage_keys(actor, key.reseller):
        raise NotFound("API key not found.")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.revoked_by = actor
        key.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(actor=actor, action="api_key.revoke", obj=key, before={"active": True}, after={"active": False})
    return key


def api_key_principal(key: ApiKey) -> User:
    """An unsaved reseller user standing for the key: selectors scope it exactly like the reseller's users."""
    principal = User(username=f"api-key:{key.prefix}", role=UserRole.RESELLER, reseller=key.reseller, is_active=True)
    principal.api_key = key  # type: ignore[attr-defined]
    return principal


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <prefix>.<secret>` (or the `X-API-Key` header)."""

    keyword = "Api-Key"

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        header = request.headers.get("Authorization", "")
        raw = header[len(self.keyword) + 1 :].strip() if header.startswith(self.keyword + " ") else ""
        raw = raw or request.headers.get("X-API-Key", "").strip()
        if not raw:
            return None
        prefix, _, secret = raw.partition(".")
        key = ApiKey.objects.select_related("reseller").filter(prefix=prefix).first()
        if key is None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
            raise exceptions.AuthenticationFailed("Invalid API key.")
        if key.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        if not key.reseller.is_active:
            raise exceptions.AuthenticationFailed("The reseller of this API key is not active.")
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)  # at most one write a minute per key
        return api_key_principal(key), key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
