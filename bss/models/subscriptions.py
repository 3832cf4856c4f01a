from django.conf import settings
from django.db import models
from django.db.models import Q

from bss.choices import BillingCycle, LedgerEventKind, SubscriptionStatus, TermDuration
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
    # An add-on's base subscription (new commerce: co-terminous with it).
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="addons", help_text="Base (add-ons)"
    )
    # A new-commerce promotion applied at purchase: its id, the promotional unit price billed while it lasts,
    # its end date, and the unit price without it (what the subscription costs once the promotion has ended).
    promotion_id = models.CharField(max_length=80, blank=True)
    promotion_unit_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    promotion_ends_on = models.DateField(null=True, blank=True)
    regular_unit_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(name="bss_subscription_quantity_not_negative", condition=Q(quantity__gte=0)),
        ]
        indexes = [models.Index(fields=["customer", "status"], name="bss_subscription_cust_status")]

    def __str__(self) -> str:
        return f"{self.name} x{self.quantity}"


class LicenseLedgerEntry(models.Model):
    """Append-only history of what Partner Center confirmed on a subscription: billing's event history.

    Each entry is one event (`kind`) at Partner Center's effective time (`effective_at`; `created_at` is when our
    worker recorded it), with the quantity before and after, and the term's terms as they stood: the unit price
    (sale, per licence per charge cycle) and unit cost (Microsoft's price to us) locked for the term, their
    currency, the term and its dates, the billing cycle and the partner of record. Written only through
    `bss.services.ledger.ledger_record`. Prices are empty when unknown: billing reports such a subscription, it
    never bills it at zero.
    """

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="ledger")
    kind = models.CharField(max_length=24, choices=LedgerEventKind.choices, default=LedgerEventKind.SEAT_CHANGE)
    quantity_before = models.PositiveIntegerField()
    quantity_after = models.PositiveIntegerField()
    reason = models.CharField(max_length=64)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    effective_at = models.DateTimeField(null=True, blank=True, help_text="When Partner Center applied the change")
    reference_id = models.CharField(max_length=64, blank=True, help_text="Partner Center order/operation id")
    unit_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    unit_cost = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    term_duration = models.CharField(max_length=4, choices=TermDuration.choices, blank=True)
    billing_cycle = models.CharField(max_length=16, choices=BillingCycle.choices, blank=True)
    term_start = models.DateField(null=True, blank=True)
    term_end = models.DateField(null=True, blank=True)
    partner_id = models.CharField(max_length=20, blank=True, help_text="Partner of record (indirect reseller)")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="bss_ledger_prices_not_negative",
                condition=(Q(unit_price__isnull=True) | Q(unit_price__gte=0))
                & (Q(unit_cost__isnull=True) | Q(unit_cost__gte=0)),
            ),
        ]
        indexes = [models.Index(fields=["subscription", "effective_at"], name="bss_ledger_sub_effective")]

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
