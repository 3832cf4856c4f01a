"""Microsoft's bill as imported (one row per invoice, its reconciliation lines) and the three-way match of each line
with the BSS subscription and our invoice line.

Lines are replaced atomically: an import writes a new `generation` of lines (committed in batches, so its progress
shows), then one short transaction makes it the invoice's current generation and deletes the old one. Readers take
only the current generation (`MicrosoftChargeLine.objects.current()`).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from bss.models.base import TimestampedModel
from reconciliation.money.choices import Cause, ImportStatus, InvoiceKind, MatchedBy, Outcome, Resolution


def money(*, null: bool = False) -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=2, null=null, blank=null)


def unit(*, null: bool = True) -> models.DecimalField:
    return models.DecimalField(max_digits=20, decimal_places=6, null=null, blank=null)


class MicrosoftInvoice(TimestampedModel):
    """One of Microsoft's invoices to the partner (or the open period's unbilled lines so far), and its import.

    `invoice_id` is Microsoft's number (`G…`); an unbilled import is named `unbilled-YYYYMM-CUR`. Importing the same
    invoice again replaces its lines (unique per instance and invoice id)."""

    instance = models.ForeignKey("bss.PartnerCenterInstance", on_delete=models.PROTECT, related_name="+")
    invoice_id = models.CharField(max_length=40)
    kind = models.CharField(max_length=8, choices=InvoiceKind.choices, default=InvoiceKind.BILLED)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    invoice_date = models.DateTimeField(null=True, blank=True)
    total = money(null=True)
    currency = models.CharField(max_length=3, blank=True)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    operation_url = models.TextField(blank=True, help_text="Microsoft's export operation while it is not ready")
    retry_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    manifest_etag = models.CharField(max_length=200, blank=True)
    generation = models.PositiveIntegerField(default=0, help_text="The lines' current generation (0 = none yet)")
    blobs_done = models.PositiveIntegerField(default=0)
    blobs_total = models.PositiveIntegerField(default=0)
    line_count = models.PositiveIntegerField(default=0)
    lines_total = money(null=True)
    error = models.TextField(blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "-month", "invoice_id"]
        constraints = [
            models.UniqueConstraint(name="money_invoice_once_per_instance", fields=["instance", "invoice_id"]),
            models.CheckConstraint(name="money_invoice_month", condition=Q(month__gte=1, month__lte=12)),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} ({self.year}-{self.month:02d})"


class ChargeLineQuerySet(models.QuerySet):
    def current(self) -> "ChargeLineQuerySet":
        return self.filter(generation=F("invoice__generation"))


class MicrosoftChargeLine(models.Model):
    """One line of Microsoft's reconciliation file: what the match and the pages need as columns, the rest of the
    46 attributes in `attributes`. Money in the billing currency; refund rows are negative."""

    # No index of their own: money_line_generation and money_line_period begin with them (a million lines are
    # COPYed in, each index costs the import).
    invoice = models.ForeignKey(MicrosoftInvoice, on_delete=models.CASCADE, related_name="lines", db_index=False)
    generation = models.PositiveIntegerField()
    instance = models.ForeignKey("bss.PartnerCenterInstance", on_delete=models.PROTECT, related_name="+",
                                 db_index=False)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    line_no = models.PositiveIntegerField()
    fingerprint = models.CharField(max_length=64, help_text="Stable identity of the line across imports")
    customer_tenant_id = models.CharField(max_length=64, blank=True)
    customer_name = models.CharField(max_length=255, blank=True)
    pc_subscription_id = models.CharField(max_length=64, blank=True)
    order_id = models.CharField(max_length=64, blank=True)
    product_id = models.CharField(max_length=40, blank=True)
    sku_id = models.CharField(max_length=20, blank=True)
    sku_name = models.CharField(max_length=255, blank=True)
    charge_type = models.CharField(max_length=32, blank=True)
    charge_start = models.DateField(null=True, blank=True)
    charge_end = models.DateField(null=True, blank=True)
    order_date = models.DateTimeField(null=True, blank=True)
    quantity = unit()
    unit_price = unit()
    effective_unit_price = unit()
    subtotal = money(null=True)
    total = money(null=True)
    currency = models.CharField(max_length=3, blank=True)
    pricing_currency = models.CharField(max_length=3, blank=True)
    exchange_rate = unit()
    reference_id = models.CharField(max_length=100, blank=True)
    promotion_id = models.CharField(max_length=100, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    subscription = models.ForeignKey(
        "bss.Subscription", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The BSS subscription, set by the match",
    )
    matched_by = models.CharField(max_length=16, choices=MatchedBy.choices, blank=True, default=MatchedBy.NONE)

    objects = ChargeLineQuerySet.as_manager()

    class Meta:
        ordering = ["invoice", "line_no"]
        indexes = [
            models.Index(fields=["instance", "year", "month"], name="money_line_period"),
            models.Index(fields=["invoice", "generation"], name="money_line_generation"),
            models.Index(fields=["pc_subscription_id"], name="money_line_pc_sub"),
        ]

    def __str__(self) -> str:
        return f"{self.charge_type} {self.sku_name} {self.subtotal}"


class MatchRun(TimestampedModel):
    """One run of the three-way match for an instance and a billing period, with its counts."""

    instance = models.ForeignKey("bss.PartnerCenterInstance", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    tolerance = money()
    counts = models.JSONField(default=dict, blank=True, help_text="lines per outcome; 'new' = findings first seen")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Match {self.year}-{self.month:02d} ({self.instance_id})"


class ChargeMatch(models.Model):
    """The outcome for one Microsoft line (matched, variance, leakage, unknown subscription) or one of our invoice or
    credit-note lines Microsoft did not charge. `key` identifies it across runs (`ms:<fingerprint>:<n>`,
    `ours:<invoice line id>`, `ours:c<credit-note line id>`): a
    re-run replaces open rows and leaves accepted or billed ones alone, so what was settled stays settled."""

    # Indexed by money_match_period and money_match_key_once, which begin with it.
    instance = models.ForeignKey("bss.PartnerCenterInstance", on_delete=models.PROTECT, related_name="+",
                                 db_index=False)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    key = models.CharField(max_length=80)
    run = models.ForeignKey(MatchRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="matches")
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    cause = models.CharField(max_length=12, choices=Cause.choices, blank=True, default=Cause.NONE)
    microsoft_line = models.ForeignKey(
        MicrosoftChargeLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="matches"
    )
    invoice_line = models.ForeignKey(
        "billing.InvoiceLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    credit_note_line = models.ForeignKey(
        "billing.CreditNoteLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Our credit-note line, for a refund credited on an earlier invoice", db_index=False,
    )
    subscription = models.ForeignKey("bss.Subscription", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    customer = models.ForeignKey("bss.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pc_subscription_id = models.CharField(max_length=64, blank=True)
    customer_tenant_id = models.CharField(max_length=64, blank=True)
    charge_type = models.CharField(max_length=32, blank=True)
    charge_start = models.DateField(null=True, blank=True)
    charge_end = models.DateField(null=True, blank=True)
    quantity = unit()
    microsoft_amount = money(null=True)
    our_amount = money(null=True)
    difference = money()
    currency = models.CharField(max_length=3, blank=True)
    resolution = models.CharField(max_length=8, choices=Resolution.choices, default=Resolution.OPEN)
    reason = models.CharField(max_length=500, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    billed_line = models.ForeignKey(
        "billing.InvoiceLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The charge 'bill it' put on the customer's invoice", db_index=False,
    )

    class Meta:
        ordering = ["year", "month", "outcome", "id"]
        constraints = [models.UniqueConstraint(name="money_match_key_once", fields=["instance", "key"])]
        indexes = [
            models.Index(fields=["instance", "year", "month", "outcome"], name="money_match_period"),
            # Rarely set: only the rows that have one are indexed (a match writes a million rows without them).
            models.Index(fields=["credit_note_line"], name="money_match_credit_note_line",
                         condition=Q(credit_note_line__isnull=False)),
            models.Index(fields=["resolved_by"], name="money_match_resolved_by",
                         condition=Q(resolved_by__isnull=False)),
            models.Index(fields=["billed_line"], name="money_match_billed_line",
                         condition=Q(billed_line__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.charge_type} {self.difference}"
