"""A shopping cart per user and marketplace. Carts are scratch data: an order snapshots what it sells."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from bss.models.base import TimestampedModel


class Cart(TimestampedModel):
    """What one user is about to order in one marketplace (at most one cart per user and marketplace).

    Rows change only through `storefront.services`.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="carts")
    marketplace = models.ForeignKey("bss.Marketplace", on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(name="storefront_cart_user_marketplace_unique", fields=["user", "marketplace"]),
        ]

    def __str__(self) -> str:
        return f"Cart of {self.user_id} in {self.marketplace_id}"


class CartLine(TimestampedModel):
    """One offer of the cart's marketplace in a chosen term and billing cycle, and how many licences.

    The price is not stored: it is read from the catalog when the cart is shown and snapshotted on the order.
    """

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    offer = models.ForeignKey("catalog.Offer", on_delete=models.CASCADE, related_name="+")
    term_duration = models.CharField(max_length=4)
    billing_cycle = models.CharField(max_length=16)
    quantity = models.PositiveIntegerField()
    # A Microsoft promotion asked for on this line; Partner Center confirms the customer's eligibility at checkout.
    promotion_id = models.CharField(max_length=80, blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                name="storefront_cartline_plan_unique", fields=["cart", "offer", "term_duration", "billing_cycle"]
            ),
            models.CheckConstraint(name="storefront_cartline_quantity_positive", condition=Q(quantity__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x offer {self.offer_id} {self.term_duration}/{self.billing_cycle}"
