"""Changes at renewal: the next-term instruction the BSS wants Partner Center to hold for a subscription."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from bss.choices import BillingCycle, TermDuration
from bss.models.base import TimestampedModel


class NextTermInstruction(TimestampedModel):
    """What a subscription becomes at its next renewal (quantity, term, billing cycle, SKU), as the BSS wants it.

    Partner Center keeps its own copy (`scheduledNextTermInstructions`) but deletes it on any mid-term change
    (seats, suspension, ...): the BSS keeps the wanted instruction here, re-applies it after each mid-term change
    it makes, and reconciliation reports a Partner Center subscription that no longer has it. An empty field means
    "as now". `confirmed_at` is when Partner Center last confirmed holding it; the row is deleted when the
    subscription renews (the instruction is used up) or when it is cleared. Written only by
    `provisioning.services.renewals` and `bss.services.renewals`.
    """

    subscription = models.OneToOneField(
        "bss.Subscription", on_delete=models.CASCADE, related_name="next_term_instruction"
    )
    quantity = models.PositiveIntegerField(null=True, blank=True)
    term_duration = models.CharField(max_length=4, choices=TermDuration.choices, blank=True)
    billing_cycle = models.CharField(max_length=16, choices=BillingCycle.choices, blank=True)
    pc_product_id = models.CharField(max_length=40, blank=True)
    pc_sku_id = models.CharField(max_length=20, blank=True)
    pc_availability_id = models.CharField(max_length=40, blank=True)
    term_end = models.DateField(null=True, blank=True, help_text="The commitment end date (renewal) it is meant for")
    confirmed_at = models.DateTimeField(null=True, blank=True, help_text="When Partner Center last confirmed it")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="bss_next_term_quantity_positive", condition=Q(quantity__isnull=True) | Q(quantity__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return f"Next term of subscription {self.subscription_id}: {self.describe()}"

    def describe(self) -> str:
        """The instruction in words ("12 licences, P1Y annual, SKU CFQ7TTC0LH18:0001")."""
        parts = []
        if self.quantity is not None:
            parts.append(f"{self.quantity} licences")
        if self.term_duration or self.billing_cycle:
            parts.append(" ".join(p for p in (self.term_duration, self.billing_cycle) if p))
        if self.pc_product_id and self.pc_sku_id:
            parts.append(f"SKU {self.pc_product_id}:{self.pc_sku_id}")
        return ", ".join(parts) or "renew as now"

    def as_payload(self) -> dict[str, object]:
        return {
            "quantity": self.quantity,
            "term_duration": self.term_duration,
            "billing_cycle": self.billing_cycle,
            "pc_product_id": self.pc_product_id,
            "pc_sku_id": self.pc_sku_id,
            "pc_availability_id": self.pc_availability_id,
        }
