from django.conf import settings
from django.db import models
from django.db.models import Q

from bss.choices import BillingCycle, SubscriptionStatus, TermDuration
from bss.models.base import TimestampedModel


class Subscription(TimestampedModel):
    """A customer's subscription, the BSS twin of a Partner Center subscription."""

    customer = models.ForeignKey("bss.Customer", on_delete=models.PROTECT, related_name="subscriptions")
    tenant = models.ForeignKey("bss.MicrosoftTenant", on_delete=models.PROTECT, related_name="subscriptions")
    order_line = models.ForeignKey(
        "bss.OrderLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="subscriptions"
    )
    pc_subscription_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    pc_order_id = models.CharField(max_length=64, blank=True)
    pc_offer_id = models.CharField(max_length=80, blank=True, help_text="catalogItemId product:sku:availability")
    pc_product_id = models.CharField(max_length=40, blank=True)
    pc_sku_id = models.CharField(max_length=20, blank=True)
    name = models.CharField(max_length=255)
    quantity = models.PositiveIntegerField()
    billing_cycle = models.CharField(max_length=16, choices=BillingCycle.choices)
    term_duration = models.CharField(max_length=4, choices=TermDuration.choices, blank=True)
    status = models.CharField(max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.PENDING)
    auto_renew = models.BooleanField(default=True)
    effective_start_date = models.DateTimeField(null=True, blank=True)
    commitment_end_date = models.DateField(null=True, blank=True)
    cancellation_allowed_until = models.DateTimeField(null=True, blank=True)
    # Partner of record (indirect reseller's partner id) as Partner Center has it.
    pc_partner_id = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(name="bss_subscription_quantity_not_negative", condition=Q(quantity__gte=0)),
        ]
        indexes = [models.Index(fields=["customer", "status"], name="bss_subscription_cust_status")]

    def __str__(self) -> str:
        return f"{self.name} x{self.quantity}"


class LicenseLedgerEntry(models.Model):
    """Append-only history of quantity changes; the subscription's quantity is the latest confirmed value."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="ledger")
    quantity_before = models.PositiveIntegerField()
    quantity_after = models.PositiveIntegerField()
    reason = models.CharField(max_length=64)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.subscription_id}: {self.quantity_before} -> {self.quantity_after}"


class AzureEntitlement(models.Model):
    """An Azure subscription under a customer's Azure plan subscription, as Partner Center lists it."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="azure_entitlements")
    pc_entitlement_id = models.CharField(max_length=64, unique=True, help_text="Azure subscription id")
    friendly_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["friendly_name", "id"]

    def __str__(self) -> str:
        return self.friendly_name or self.pc_entitlement_id
