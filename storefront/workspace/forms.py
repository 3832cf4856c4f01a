"""Plain forms of the workspace pages (the business rules live in `services`)."""

from django import forms

from bss.choices import Cloud, CustomerStatus


class WorkspaceFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *CustomerStatus.choices])
    cloud = forms.ChoiceField(required=False, choices=[("", "Any cloud"), *Cloud.choices])
    renewing = forms.ChoiceField(
        required=False,
        choices=[("", "Any renewal date"), ("30", "Term ends within 30 days"), ("90", "Term ends within 90 days")],
    )


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000, label="New quantity")


class ExtraLicencesForm(forms.Form):
    additional = forms.IntegerField(min_value=1, max_value=100_000, label="Licences to add")


class AutoRenewForm(forms.Form):
    enabled = forms.ChoiceField(choices=[("on", "On"), ("off", "Off")])


class RenewalFilterForm(forms.Form):
    days = forms.IntegerField(required=False, min_value=1, max_value=366)
