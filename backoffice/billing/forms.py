"""Forms of the billing back office. They only read and check input; the billing services write."""

from __future__ import annotations

import datetime as dt
import re

from django import forms

from billing.choices import DocumentStatus
from billing.models import Issuer, TaxRule
from billing.reports import DIMENSIONS

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_value(text: str) -> tuple[int, int] | None:
    match = MONTH.match(text.strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    return (year, month) if 1 <= month <= 12 and 2000 <= year <= 2100 else None


class MonthField(forms.CharField):
    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("max_length", 7)
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.widget.attrs.setdefault("placeholder", "YYYY-MM")

    def clean(self, value: object) -> tuple[int, int] | None:
        text = super().clean(value)
        if not text:
            return None
        month = month_value(text)
        if month is None:
            raise forms.ValidationError("Write the month as YYYY-MM.")
        return month


class IssuerForm(forms.ModelForm):
    class Meta:
        model = Issuer
        fields = ["name", "address", "country", "vat_id", "time_zone", "billing_day", "number_prefix",
                  "credit_note_prefix"]


class TaxRuleForm(forms.ModelForm):
    class Meta:
        model = TaxRule
        fields = ["issuer_country", "customer_country", "scope", "name", "rate", "legal_mention", "effective_from",
                  "effective_to"]
        widgets = {"effective_from": forms.DateInput(attrs={"type": "date"}),
                   "effective_to": forms.DateInput(attrs={"type": "date"})}

    def validate_unique(self) -> None:
        """The service checks overlaps and uniqueness (and says so); the form only checks the input."""


class TaxRuleEndForm(forms.Form):
    on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="No longer in force from")


class RunForm(forms.Form):
    period = MonthField(label="Billing period", required=True)
    issuer = forms.ModelChoiceField(Issuer.objects.all(), required=False, empty_label="Every issuer")
    finalise = forms.BooleanField(required=False, label="Finalise (number and freeze the invoices)")


class InvoiceFilterForm(forms.Form):
    period = MonthField(required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *DocumentStatus.choices], required=False)
    issuer = forms.ModelChoiceField(Issuer.objects.all(), required=False, empty_label="Every issuer")
    q = forms.CharField(required=False, max_length=100, label="Party or number")


class CreditNoteForm(forms.Form):
    reason = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class UnbilledForm(forms.Form):
    customer = forms.IntegerField(min_value=1, label="Customer id")


class ReportForm(forms.Form):
    start = MonthField(required=False, label="From")
    end = MonthField(required=False, label="To")
    issuer = forms.ModelChoiceField(Issuer.objects.all(), required=False, empty_label="Every issuer")


class MarginForm(ReportForm):
    dimension = forms.ChoiceField(choices=list(DIMENSIONS.items()), required=False, initial="customer")


def default_span() -> tuple[tuple[int, int], tuple[int, int]]:
    from billing.reports import month_span

    return month_span(12, today=dt.datetime.now(dt.UTC).date())


