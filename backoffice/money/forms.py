"""Forms of Microsoft's bill pages: the reconciliation's filters (the same for the page, its drill-down and its
export) and the reason an accepted finding needs."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from reconciliation.money import selectors
from reconciliation.money.choices import Cause, Outcome, Resolution
from reconciliation.money.models import MicrosoftInvoice

LEVEL_CHOICES = [("", "Drill-down"), ("reseller", "By reseller"), ("customer", "By customer"),
                 ("subscription", "By subscription"), ("line", "Lines only")]


class MatchFilterForm(forms.Form):
    outcome = forms.ChoiceField(required=False, choices=[("", "Any outcome"), *Outcome.choices])
    cause = forms.ChoiceField(required=False, choices=[("", "Any cause"),
                                                       *[c for c in Cause.choices if c[0]]])
    resolution = forms.ChoiceField(required=False, choices=[("", "Open or settled"), *Resolution.choices])
    charge_type = forms.ChoiceField(required=False)
    # Ids rather than choices: a reseller or customer with no line in this invoice simply shows no line.
    reseller = forms.IntegerField(required=False, min_value=1, widget=forms.Select)
    customer = forms.IntegerField(required=False, min_value=1, widget=forms.Select)
    subscription = forms.CharField(required=False, max_length=64,
                                   widget=forms.TextInput(attrs={"placeholder": "Partner Center subscription id"}))
    level = forms.ChoiceField(required=False, choices=LEVEL_CHOICES)

    def __init__(self, data: Any, *, invoice: MicrosoftInvoice) -> None:
        super().__init__(data)
        charge_type = cast(forms.ChoiceField, self.fields["charge_type"])
        charge_type.choices = [("", "Any charge type"), *[(c, c) for c in selectors.invoice_charge_types(invoice)]]
        cast(forms.Select, self.fields["reseller"].widget).choices = [
            ("", "Any reseller"), *selectors.invoice_resellers(invoice)]
        cast(forms.Select, self.fields["customer"].widget).choices = [
            ("", "Any customer"), *selectors.invoice_customers(invoice)]
        for field in self.fields.values():
            field.widget.attrs.setdefault("aria-label", field.label or "")

    def filters(self) -> selectors.MatchFilters:
        """The valid filters (a wrong one shows its error and is left out)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return selectors.MatchFilters(
            outcome=data.get("outcome", ""), cause=data.get("cause", ""), resolution=data.get("resolution", ""),
            charge_type=data.get("charge_type", ""), reseller_id=data.get("reseller"),
            customer_id=data.get("customer"), pc_subscription_id=(data.get("subscription") or "").strip(),
        )

    def drill_level(self) -> str:
        """The drill-down level: the next one below the narrowest filter (subscription: its lines only)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("level"):
            return str(data["level"])
        if data.get("subscription"):
            return "line"
        if data.get("customer"):
            return "subscription"
        if data.get("reseller"):
            return "customer"
        return "reseller"


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False)
