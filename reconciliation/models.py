"""Reconciliation runs, their per-customer checks, the findings they produce and the auto-apply policies."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from reconciliation.choices import (
    CustomerCheckStatus,
    FindingKind,
    FindingStatus,
    Resolution,
    RunScope,
    RunStatus,
    RunTrigger,
)


class ReconciliationRun(models.Model):
    """One comparison of the BSS with Partner Center over a scope (an instance, a reseller or a customer).

    The run fans out one `ReconciliationCustomerCheck` per Microsoft tenant in scope; the counters are the live
    progress (updated with F() by each check) and `cancel_requested` is read by every check before it calls
    Partner Center."""

    scope = models.CharField(max_length=16, choices=RunScope.choices)
    instance = models.ForeignKey(
        "bss.PartnerCenterInstance", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reseller = models.ForeignKey("bss.Reseller", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("bss.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    trigger = models.CharField(max_length=16, choices=RunTrigger.choices, default=RunTrigger.MANUAL)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    cancel_requested = models.BooleanField(default=False)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customers_total = models.PositiveIntegerField(default=0)
    customers_done = models.PositiveIntegerField(default=0)
    customers_failed = models.PositiveIntegerField(default=0)
    customers_cancelled = models.PositiveIntegerField(default=0)
    findings_count = models.PositiveIntegerField(default=0)
    pending_count = models.PositiveIntegerField(default=0)
    auto_applied_count = models.PositiveIntegerField(default=0)
    pc_calls = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("run_reconciliation", "Can start and cancel subscription reconciliation runs"),
            ("apply_corrective_action", "Can apply corrective actions to reconciliation findings"),
        ]
        constraints = [
            models.CheckConstraint(
                name="reconciliation_reconciliationrun_scope_target",
                condition=Q(scope=RunScope.INSTANCE, instance__isnull=False)
                | Q(scope=RunScope.RESELLER, reseller__isnull=False)
                | Q(scope=RunScope.CUSTOMER, customer__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Reconciliation run #{self.pk} ({self.get_scope_display()}: {self.scope_label})"

    @property
    def scope_label(self) -> str:
        target: dict[str, models.Model | None] = {
            RunScope.INSTANCE: self.instance, RunScope.RESELLER: self.reseller, RunScope.CUSTOMER: self.customer
        }
        return str(target.get(self.scope) or "")

    @property
    def customers_finished(self) -> int:
        return self.customers_done + self.customers_failed + self.customers_cancelled

    @property
    def percent(self) -> int:
        if not self.customers_total:
            return 100 if self.status not in (RunStatus.QUEUED, RunStatus.RUNNING) else 0
        return int(100 * self.customers_finished / self.customers_total)

    @property
    def is_active(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)


class ReconciliationCustomerCheck(models.Model):
    """The check of one Microsoft tenant (one Partner Center customer) inside a run: the unit a task processes."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="checks")
    tenant = models.ForeignKey("bss.MicrosoftTenant", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=CustomerCheckStatus.choices, default=CustomerCheckStatus.PENDING)
    findings_count = models.PositiveIntegerField(default=0)
    pending_count = models.PositiveIntegerField(default=0)
    pc_calls = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(name="reconciliation_customercheck_run_tenant_unique", fields=["run", "tenant"]),
        ]
        indexes = [models.Index(fields=["run", "status"], name="reconciliation_check_status")]

    def __str__(self) -> str:
        return f"run #{self.run_id} tenant #{self.tenant_id}: {self.status}"


class Finding(models.Model):
    """One difference between a BSS subscription and its Partner Center twin (or a tenant that is no longer ours).

    A finding is identified by (tenant, kind, subscription, pc_subscription_id) across runs: a later run updates
    the live finding (`run`, `last_seen_at`, values) instead of duplicating it, and resolves it as "cleared" when
    the difference is gone. `bss_values`/`pc_values` hold the compared fields of each side; `pc_details` the
    Partner Center subscription as read."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(max_length=24, choices=FindingKind.choices)
    status = models.CharField(max_length=16, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    tenant = models.ForeignKey("bss.MicrosoftTenant", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("bss.Customer", on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(
        "bss.Subscription", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suggested_subscription = models.ForeignKey(
        "bss.Subscription",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="For an unknown subscription: the one BSS subscription without a Partner Center id that matches",
    )
    pc_customer_id = models.CharField(max_length=64)
    pc_subscription_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=255)
    bss_values = models.JSONField(default=dict, blank=True)
    pc_values = models.JSONField(default=dict, blank=True)
    pc_details = models.JSONField(default=dict, blank=True)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    provisioning_operation_id = models.PositiveBigIntegerField(null=True, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        indexes = [
            models.Index(fields=["status", "kind"], name="reconciliation_finding_st_kind"),
            models.Index(fields=["tenant", "status"], name="reconciliation_finding_tenant"),
        ]
        constraints = [
            models.CheckConstraint(
                name="reconciliation_finding_resolved_has_resolution",
                condition=Q(status__in=[FindingStatus.RESOLVED, FindingStatus.IGNORED], resolution__gt="")
                | (Q(status__in=[FindingStatus.OPEN, FindingStatus.PENDING]) & Q(resolution="")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"[:255]


class AutoApplyPolicy(models.Model):
    """Per finding kind: adopt Partner Center's value automatically on nightly runs. Off unless a row says on."""

    kind = models.CharField(max_length=24, choices=FindingKind.choices, unique=True)
    enabled = models.BooleanField(default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]
        verbose_name_plural = "auto-apply policies"

    def __str__(self) -> str:
        return f"auto-adopt {self.kind}: {'on' if self.enabled else 'off'}"
