"""Forms of the renewal tool: one subscription's change at renewal, and the planner's bulk form."""

from __future__ import annotations

from django import forms

from bss.choices import BillingCycle, TermDuration

TERM_CHOICES = [("", "As now")] + [(v, label) for v, label in TermDuration.choices if v]
CYCLE_CHOICES = [("", "As now")] + [(v, label) for v, label in BillingCycle.choices if v not in ("none", "one_time")]


class NextTermForm(forms.Form):
    """What the subscription becomes at renewal; an empty field keeps today's value."""

    quantity = forms.IntegerField(required=False, min_value=1, label="Quantity at renewal")
    term_duration = forms.ChoiceField(required=False, choices=TERM_CHOICES, label="Term at renewal")
    billing_cycle = forms.ChoiceField(required=False, choices=CYCLE_CHOICES, label="Billing cycle at renewal")
    catalog_item_id = forms.CharField(
        required=False, max_length=100, label="Renew into another SKU",
        help_text="product:sku (an upgrade Partner Center allows at renewal); empty keeps the SKU.",
    )


class PlannerBulkForm(forms.Form):
    """The term and billing cycle applied to every selected row (each row's quantity comes from its own field)."""

    term_duration = forms.ChoiceField(required=False, choices=TERM_CHOICES)
    billing_cycle = forms.ChoiceField(required=False, choices=CYCLE_CHOICES)
