"""Persisted Partner Center operations (one row per logical write or wait) and their attempts."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from bss.crypto import EncryptedTextField
from provisioning.choices import AttemptOutcome, OperationKind, OperationStatus


class ProvisioningOperation(models.Model):
    """One logical Partner Center operation: what to do (kind, payload), for what (order/tenant/subscription), and
    where it stands (status, attempts, due time).

    Invariants: `ms_request_id` is set when the row is created and sent unchanged on every attempt and retry, so
    Partner Center can recognise a repeated write. An order's operations run in `sequence` order: an operation runs
    only once the one it `depends_on` has succeeded. Rows are changed only by `provisioning.services`.
    """

    kind = models.CharField(max_length=24, choices=OperationKind.choices)
    status = models.CharField(max_length=12, choices=OperationStatus.choices, default=OperationStatus.PENDING)
    instance = models.ForeignKey("bss.PartnerCenterInstance", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(
        "bss.Order", null=True, blank=True, on_delete=models.CASCADE, related_name="provisioning_operations"
    )
    tenant = models.ForeignKey("bss.MicrosoftTenant", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(
        "bss.Subscription", null=True, blank=True, on_delete=models.PROTECT, related_name="provisioning_operations"
    )
    sequence = models.PositiveSmallIntegerField(default=0)
    depends_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="dependents")
    ms_request_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="When a waiting/retrying step is due")
    # Lease of the worker executing it: another worker may take over only once it has expired (worker died).
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error_code = models.CharField(max_length=40, blank=True)
    last_error_message = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                name="provisioning_operation_order_sequence_unique",
                fields=["order", "sequence"],
                condition=Q(order__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="provisioning_op_status_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status not in (OperationStatus.SUCCEEDED, OperationStatus.FAILED, OperationStatus.CANCELLED)


class ProvisioningAttempt(models.Model):
    """One try of an operation: timing, what Partner Center answered, and a sanitized copy of it. Append-only."""

    operation = models.ForeignKey(ProvisioningOperation, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    outcome = models.CharField(max_length=16, choices=AttemptOutcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    pc_error_code = models.CharField(max_length=40, blank=True)
    correlation_id = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    response = models.JSONField(default=dict, blank=True, help_text="Sanitized: no passwords or tokens")
    worker = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["operation_id", "number", "id"]

    def __str__(self) -> str:
        return f"Attempt {self.number} of operation {self.operation_id}: {self.outcome}"


class InitialAdminCredentials(models.Model):
    """The new tenant's first admin credentials, held only until the ordering user has seen them once.

    Partner Center returns the password once, to the worker that created the customer; the ordering user is in
    another process (a browser session), so the password has to wait somewhere: encrypted at rest with the
    field-encryption keys (Fernet), readable only by the order's placer, deleted when shown (or purged after
    `PROVISIONING_CREDENTIALS_TTL_HOURS` if never shown).
    """

    order = models.OneToOneField("bss.Order", on_delete=models.CASCADE, related_name="initial_admin_credentials")
    user_name = models.CharField(max_length=255)
    password = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "initial admin credentials"

    def __str__(self) -> str:
        return f"Initial admin of order {self.order_id}"
