"""An import run of one Partner Center instance: its preview rows (one per Partner Center customer), the
indirect resellers it met, and the detailed result report."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from reconciliation.imports.choices import (
    ACTIVE_RUN_STATUSES,
    Classification,
    Outcome,
    ResellerAction,
    RowObject,
    RunStatus,
)


class ImportRun(models.Model):
    """Preview then import of all customers of an instance. Counters are updated with F() as work is done."""

    instance = models.ForeignKey("bss.PartnerCenterInstance", on_delete=models.PROTECT, related_name="import_runs")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.PREVIEWING)
    stage = models.CharField(max_length=255, blank=True, help_text="What the background job is doing now")
    page_size = models.PositiveIntegerField(default=500, help_text="Customers per Partner Center page (max 500)")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    preview_finished_at = models.DateTimeField(null=True, blank=True)
    import_started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    warnings = models.JSONField(default=list, blank=True)
    # Progress.
    pages_read = models.PositiveIntegerField(default=0)
    customers_found = models.PositiveIntegerField(default=0)
    customers_selected = models.PositiveIntegerField(default=0)
    customers_done = models.PositiveIntegerField(default=0)
    # Result (customers).
    created_count = models.PositiveIntegerField(default=0)
    linked_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    subscriptions_created = models.PositiveIntegerField(default=0)
    resellers_created = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("run_import", "Can import Office 365 customers from Partner Center")]
        constraints = [
            # One background job at a time per instance: two concurrent imports could race on the same tenants.
            models.UniqueConstraint(
                name="imports_importrun_one_active_per_instance",
                fields=["instance"],
                condition=Q(status__in=ACTIVE_RUN_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk} of {self.instance_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_RUN_STATUSES

    @property
    def progress_percent(self) -> int:
        if self.status in (RunStatus.IMPORTING, RunStatus.IMPORT_FAILED, RunStatus.COMPLETED):
            if not self.customers_selected:
                return 100 if self.status == RunStatus.COMPLETED else 0
            return min(100, round(100 * self.customers_done / self.customers_selected))
        return 100 if self.preview_finished_at else 0


class ImportReseller(models.Model):
    """An indirect reseller met in a run (by its partner id), and what the import does with it."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="resellers")
    partner_id = models.CharField(max_length=20, help_text="Reseller's Partner ID (MPN id)")
    pc_tenant_id = models.CharField(max_length=64, blank=True)
    pc_name = models.CharField(max_length=200, blank=True)
    pc_location = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=16, choices=ResellerAction.choices, default=ResellerAction.CREATE)
    reseller = models.ForeignKey(
        "bss.Reseller",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Matched or mapped BSS reseller (set once created for 'create')",
    )

    class Meta:
        ordering = ["pc_name", "partner_id"]
        constraints = [
            models.UniqueConstraint(name="imports_importreseller_run_partner_unique", fields=["run", "partner_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.pc_name or self.partner_id} ({self.partner_id})"


class ImportItem(models.Model):
    """One Partner Center customer of a run: what the preview found and what the import did."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(help_text="Order in Partner Center's customer list")
    pc_customer_id = models.CharField(max_length=64, help_text="Customer id = Entra tenant id")
    domain = models.CharField(max_length=255, blank=True)
    company_name = models.CharField(max_length=200, blank=True)
    reseller_partner_id = models.CharField(max_length=20, blank=True, help_text="Indirect reseller's Partner ID")
    classification = models.CharField(max_length=16, choices=Classification.choices)
    note = models.CharField(max_length=500, blank=True, help_text="Why linked or conflicting")
    linked_customer = models.ForeignKey(
        "bss.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tenant_linked = models.BooleanField(default=False, help_text="Its tenant is already linked on this instance")
    subscriptions = models.JSONField(default=list, blank=True, help_text="Preview summary of its subscriptions")
    selected = models.BooleanField(default=False)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    customer = models.ForeignKey("bss.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(name="imports_importitem_run_customer_unique", fields=["run", "pc_customer_id"]),
        ]
        indexes = [models.Index(fields=["run", "selected", "outcome"], name="imports_item_run_sel_outcome")]

    def __str__(self) -> str:
        return f"{self.company_name or self.pc_customer_id} ({self.classification})"

    @property
    def subscription_count(self) -> int:
        return len(self.subscriptions or [])


class ImportResultRow(models.Model):
    """One line of a run's result report: a customer, tenant, subscription or reseller and what happened to it."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rows")
    item = models.ForeignKey(ImportItem, null=True, blank=True, on_delete=models.CASCADE, related_name="rows")
    object_type = models.CharField(max_length=16, choices=RowObject.choices)
    pc_id = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.CharField(max_length=500, blank=True)
    bss_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "outcome"], name="imports_row_run_outcome")]

    def __str__(self) -> str:
        return f"{self.object_type} {self.pc_id}: {self.outcome}"
