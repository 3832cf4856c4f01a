from django.conf import settings
from django.db import models
from django.db.models import Q


class ApiKey(models.Model):
    """A reseller's API key. Only a SHA-256 of the secret is stored; the full key is shown once at creation.

    The key format is `<prefix>.<secret>`: the prefix finds the row, the secret proves possession. API keys are
    256-bit random values, so a fast hash is enough (no password stretching needed against guessing)."""

    reseller = models.ForeignKey("bss.Reseller", on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The first response to a request carrying an Idempotency-Key, replayed for the same key and body."""

    owner = models.CharField(max_length=64, help_text="api key prefix or user id the key belongs to")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    # Null while the first request is still being processed (a concurrent duplicate then gets 409).
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="api_idempotencyrecord_owner_key_unique"),
            models.CheckConstraint(
                name="api_idempotencyrecord_complete_has_body",
                condition=Q(response_status__isnull=True) | Q(response_body__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner}:{self.key}"
