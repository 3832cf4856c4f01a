from __future__ import annotations

from decimal import Decimal

from django import forms

from catalog.choices import MarkupKind


class PercentForm(forms.Form):
    percent = forms.DecimalField(max_digits=7, decimal_places=3, min_value=Decimal("-100"), max_value=Decimal("1000"))
    allow_below_cost = forms.BooleanField(required=False, label="Sell below cost")


class SkuActionForm(forms.Form):
    ACTIONS = [("publish", "Publish"), ("unpublish", "Unpublish"), ("markup", "Set markup"),
               ("clear_markup", "Use the default markup")]
    action = forms.ChoiceField(choices=ACTIONS)
    kind = forms.ChoiceField(choices=MarkupKind.choices, required=False)
    percent = forms.DecimalField(max_digits=7, decimal_places=3, min_value=Decimal("-100"), required=False)
    fixed_monthly_price = forms.DecimalField(max_digits=20, decimal_places=6, min_value=Decimal(0), required=False)
    allow_below_cost = forms.BooleanField(required=False, label="Sell below cost")

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        if data.get("action") == "markup":
            kind = data.get("kind") or MarkupKind.PERCENT_OVER_COST
            data["kind"] = kind
            if kind == MarkupKind.PERCENT_OVER_COST and data.get("percent") is None:
                self.add_error("percent", "Give a percentage.")
            if kind == MarkupKind.FIXED_PRICE and data.get("fixed_monthly_price") is None:
                self.add_error("fixed_monthly_price", "Give a monthly price.")
        return data


class SinceForm(forms.Form):
    since = forms.DateField(required=False)
