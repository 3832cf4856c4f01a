from django import forms

from reconciliation.imports import selectors
from reconciliation.imports.services.runs import MAX_PAGE_SIZE


class PreviewStartForm(forms.Form):
    instance = forms.ModelChoiceField(
        queryset=selectors.instance_list_importable(), empty_label=None, label="Partner Center instance"
    )
    page_size = forms.IntegerField(
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        initial=MAX_PAGE_SIZE,
        label="Customers per page",
        help_text="Partner Center returns at most 500 customers per page; the tool follows every page.",
    )


class ResellerMapForm(forms.Form):
    partner_id = forms.CharField(max_length=20, widget=forms.HiddenInput)
    reseller = forms.ModelChoiceField(
        queryset=selectors.reseller_list_mappable(),
        required=False,
        empty_label="Create a new light reseller",
        label="BSS reseller",
    )
