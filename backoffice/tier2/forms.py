from decimal import Decimal

from django import forms


class WholesaleForm(forms.Form):
    """The provider's price to a tenant reseller: default percent, or one SKU's (by product id and SKU id)."""

    percent = forms.DecimalField(max_digits=7, decimal_places=3, min_value=Decimal("-100"), max_value=Decimal("1000"))
    sku = forms.CharField(required=False, max_length=80, help_text="productId:skuId, empty for the default")
    allow_below_cost = forms.BooleanField(required=False, label="Sell below cost",
                                          help_text="Confirm a negative percentage (below your cost).")
