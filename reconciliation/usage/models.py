"""Azure plan daily-rated usage as imported from Microsoft (one row per import, its usage lines), the budgets set
on a customer or one of its Azure subscriptions with the alerts they sent, and how usage is priced to a customer
(markup on Microsoft's price or a discount off list) with what was billed.

Which lines count for a month: those of its billed import once Microsoft invoiced it, else of its latest unbilled
import (`selectors.month_lines`). An import replaces its lines atomically (a new `generation`, published in one
transaction, as the money import does)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from bss.models.base import TimestampedModel
from reconciliation.usage.choices import AlertKind, PricingMethod, UsageImportKind, UsageImportStatus


def money(*, null: bool = False) -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=2, null=null, blank=null)


def precise(*, null: bool = True) -> models.DecimalField:
    return models.DecimalField(max_digits=24, decimal_places=6, null=null, blank=null)


class UsageImport(TimestampedModel):
    """One import of Microsoft's usage export for an instance: a billed invoice's usage (`import_id` = invoice
    number) or the unbilled usage of a month so far (`unbilled-YYYYMM-CUR`)."""

    instance = models.ForeignKey("bss.PartnerCenterInstance", on_delete=models.PROTECT, related_name="+")
    import_id = models.CharField(max_length=40)
    kind = models.CharField(max_length=8, choices=UsageImportKind.choices)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    currency = models.CharField(max_length=3, blank=True)
    status = models.CharField(max_length=10, choices=UsageImportStatus.choices, default=UsageImportStatus.PENDING)
    operation_url = models.TextField(blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    generation = models.PositiveIntegerField(default=0, help_text="The lines' current generation (0 = none yet)")
    line_count = models.PositiveIntegerField(default=0)
    total = money(null=True)
    error = models.TextField(blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "-month", "import_id"]
        constraints = [
            models.UniqueConstraint(name="usage_import_once_per_instance", fields=["instance", "import_id"]),
            models.CheckConstraint(name="usage_import_month", condition=Q(month__gte=1, month__lte=12)),
        ]

    def __str__(self) -> str:
        return f"{self.import_id} ({self.year}-{self.month:02d})"


class UsageLineQuerySet(models.QuerySet):
    def current(self) -> "UsageLineQuerySet":
        return self.filter(generation=F("usage_import__generation"))


class UsageLine(models.Model):
    """One daily-rated usage row: an Azure subscription (entitlement) of an Azure plan, a meter, a day. Money in the
    billing currency after PEC and FX (`billing_total`), and in USD (`pricing_total`)."""

    usage_import = models.ForeignKey(UsageImport, on_delete=models.CASCADE, related_name="lines")
    generation = models.PositiveIntegerField()
    instance = models.ForeignKey("bss.PartnerCenterInstance", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    usage_date = models.DateField()
    customer_tenant_id = models.CharField(max_length=64, blank=True)
    customer_name = models.CharField(max_length=255, blank=True)
    customer = models.ForeignKey("bss.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 help_text="The BSS customer of the tenant, when known at import")
    pc_subscription_id = models.CharField(max_length=64, blank=True, help_text="The Azure plan")
    entitlement_id = models.CharField(max_length=64, blank=True, help_text="The Azure subscription")
    entitlement_name = models.CharField(max_length=255, blank=True)
    meter_id = models.CharField(max_length=64, blank=True)
    meter_name = models.CharField(max_length=255, blank=True)
    meter_category = models.CharField(max_length=100, blank=True)
    meter_subcategory = models.CharField(max_length=255, blank=True)
    meter_region = models.CharField(max_length=64, blank=True)
    unit = models.CharField(max_length=64, blank=True)
    quantity = precise()
    unit_price = precise()
    effective_unit_price = precise()
    pricing_total = money(null=True)
    billing_total = money()
    currency = models.CharField(max_length=3, blank=True)
    pricing_currency = models.CharField(max_length=3, blank=True)
    exchange_rate = precise()
    pec_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    resource_group = models.CharField(max_length=255, blank=True)
    attributes = models.JSONField(default=dict, blank=True)

    objects = UsageLineQuerySet.as_manager()

    class Meta:
        ordering = ["usage_date", "entitlement_id", "meter_id"]
        indexes = [
            models.Index(fields=["instance", "year", "month"], name="usage_line_period"),
            models.Index(fields=["usage_import", "generation"], name="usage_line_generation"),
            models.Index(fields=["customer", "usage_date"], name="usage_line_customer_day"),
        ]

    def __str__(self) -> str:
        return f"{self.usage_date} {self.meter_category} {self.billing_total}"


class UsageBudget(TimestampedModel):
    """A customer's monthly Azure budget (blank `entitlement_id`), or one Azure subscription's: alerts at each
    threshold (% of the amount), when the month-end forecast exceeds it, and on a daily spike (a day above
    `spike_factor` times the trailing average of `spike_window_days` days)."""

    customer = models.ForeignKey("bss.Customer", on_delete=models.CASCADE, related_name="usage_budgets")
    entitlement_id = models.CharField(max_length=64, blank=True, help_text="Blank: every Azure subscription")
    amount = money()
    currency = models.CharField(max_length=3)
    thresholds = models.JSONField(default=list, help_text="Percentages, e.g. [50, 80, 100]")
    forecast_alert = models.BooleanField(default=True)
    spike_factor = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True, default=3)
    spike_window_days = models.PositiveSmallIntegerField(default=7)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["customer", "entitlement_id"]
        constraints = [
            models.UniqueConstraint(name="usage_budget_once", fields=["customer", "entitlement_id"]),
            models.CheckConstraint(name="usage_budget_positive", condition=Q(amount__gt=0)),
        ]

    def __str__(self) -> str:
        scope = self.entitlement_id or "all Azure subscriptions"
        return f"{self.customer} {scope}: {self.amount} {self.currency}"


class UsageAlert(TimestampedModel):
    """An alert a budget sent. Once per budget, month and `key` (the threshold "50", "forecast", "spike:<day>"):
    the database refuses a second one, so a re-run of the check never e-mails twice."""

    budget = models.ForeignKey(UsageBudget, on_delete=models.CASCADE, related_name="alerts")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=AlertKind.choices)
    key = models.CharField(max_length=32)
    spend = money()
    forecast = money(null=True)
    recipients = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(name="usage_alert_once", fields=["budget", "year", "month", "key"])]

    def __str__(self) -> str:
        return f"{self.budget}: {self.key} {self.year}-{self.month:02d}"


class UsagePricing(TimestampedModel):
    """How a reseller's or one customer's Azure usage is priced: Microsoft's price (after PEC) plus `percent`, or
    the list price less `percent`. A customer's rule wins over its reseller's; none: Microsoft's price."""

    reseller = models.ForeignKey("bss.Reseller", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("bss.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=10, choices=PricingMethod.choices, default=PricingMethod.MARKUP)
    percent = models.DecimalField(max_digits=6, decimal_places=2)

    class Meta:
        constraints = [
            models.CheckConstraint(name="usage_pricing_one_party",
                                   condition=Q(reseller__isnull=False, customer__isnull=True)
                                   | Q(reseller__isnull=True, customer__isnull=False)),
            models.UniqueConstraint(name="usage_pricing_reseller_once", fields=["reseller"],
                                    condition=Q(reseller__isnull=False)),
            models.UniqueConstraint(name="usage_pricing_customer_once", fields=["customer"],
                                    condition=Q(customer__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.customer or self.reseller}: {self.method} {self.percent} %"


class UsageCharge(TimestampedModel):
    """Usage billed to a customer for a month, per Azure subscription and meter category: Microsoft's cost and our
    price, and the invoice line that carries it. Once per customer, month, Azure subscription and category."""

    customer = models.ForeignKey("bss.Customer", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    entitlement_id = models.CharField(max_length=64)
    entitlement_name = models.CharField(max_length=255, blank=True)
    meter_category = models.CharField(max_length=100)
    cost = money()
    amount = money()
    currency = models.CharField(max_length=3)
    invoice_line = models.ForeignKey("billing.InvoiceLine", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ["year", "month", "entitlement_id", "meter_category"]
        constraints = [models.UniqueConstraint(name="usage_charge_once",
                                               fields=["customer", "year", "month", "entitlement_id",
                                                       "meter_category"])]

    def __str__(self) -> str:
        return f"{self.customer} {self.year}-{self.month:02d} {self.meter_category}: {self.amount}"
