import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from bss.choices import BillingCycle, OrderKind, OrderStatus, TermDuration
from bss.models.base import TimestampedModel


class Order(TimestampedModel):
    """What a reseller or customer bought; provisioned through Partner Center by the provisioning app."""

    number = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=OrderKind.choices)
    status = models.CharField(max_length=24, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    customer = models.ForeignKey("bss.Customer", on_delete=models.PROTECT, related_name="orders")
    tenant = models.ForeignKey("bss.MicrosoftTenant", on_delete=models.PROTECT, related_name="orders")
    reseller = models.ForeignKey("bss.Reseller", on_delete=models.PROTECT, related_name="orders")
    marketplace = models.ForeignKey("bss.Marketplace", on_delete=models.PROTECT, related_name="orders")
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders_placed"
    )
    currency = models.CharField(max_length=3)
    # Guards against the same cart being submitted twice (double click, two tabs).
    submission_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="bss_order_status_created")]

    def __str__(self) -> str:
        return f"Order {str(self.number)[:8]}"


class OrderLine(models.Model):
    """One line of an order: a snapshot of what was sold (catalog ids, name, term, cycle, price at order time)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    pc_product_id = models.CharField(max_length=40)
    pc_sku_id = models.CharField(max_length=20)
    pc_availability_id = models.CharField(max_length=40, blank=True)
    product_name = models.CharField(max_length=255)
    quantity = models.PositiveIntegerField()
    term_duration = models.CharField(max_length=4, choices=TermDuration.choices, blank=True)
    billing_cycle = models.CharField(max_length=16, choices=BillingCycle.choices)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    currency = models.CharField(max_length=3)
    # Existing subscription whose quantity this line raises (Dynamics extra licences), if any.
    target_subscription = models.ForeignKey(
        "bss.Subscription", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # An add-on line: the base subscription it is bought for (co-terminous with it).
    parent_subscription = models.ForeignKey(
        "bss.Subscription", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A promotion applied to the line: `unit_price` is then the promotional price, `regular_unit_price` the price
    # without the promotion, `promotion_ends_on` the promotion's end date.
    promotion_id = models.CharField(max_length=80, blank=True)
    promotion_ends_on = models.DateField(null=True, blank=True)
    regular_unit_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(name="bss_orderline_quantity_positive", condition=Q(quantity__gte=1)),
            models.CheckConstraint(name="bss_orderline_price_not_negative", condition=Q(unit_price__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_name}"

    @property
    def total(self) -> Decimal:
        """What the line comes to at the order's price: unit price x quantity."""
        return self.unit_price * self.quantity
