"""An invoice run: one billing period rated, previewed and finalised, with its progress and the problems found."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from billing.choices import RunStatus
from bss.models.base import TimestampedModel


class InvoiceRun(TimestampedModel):
    """A run over one billing period (calendar month); `finalise` runs also number and freeze the invoices.

    `problems` lists what the run could not bill, e.g. `{"customer": "Contoso", "subscription": "...", "message":
    "no known price"}`: such a subscription is reported, never billed at zero.
    """

    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    issuer = models.ForeignKey(
        "billing.Issuer", null=True, blank=True, on_delete=models.PROTECT, related_name="runs",
        help_text="Only this issuer's invoices; empty = every issuer",
    )
    finalise = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.DRAFT)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(name="billing_run_month", condition=Q(month__gte=1, month__lte=12))]

    def __str__(self) -> str:
        return f"Invoice run {self.year}-{self.month:02d} ({self.status})"
