"""Forms of the reconciliation tool: they validate input; services act."""

from typing import Any, cast

from django import forms

from bss.models import Customer, PartnerCenterInstance, Reseller
from reconciliation.choices import CorrectiveAction, FindingKind, FindingStatus, RunScope


class RunStartForm(forms.Form):
    scope = forms.ChoiceField(choices=RunScope.choices, initial=RunScope.INSTANCE)
    instance = forms.ModelChoiceField(queryset=PartnerCenterInstance.objects.all(), required=False)
    reseller = forms.ModelChoiceField(queryset=Reseller.objects.all(), required=False)
    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        scope = data.get("scope")
        if scope and not data.get(scope):
            self.add_error(scope, f"Choose the {RunScope(scope).label.lower()} to reconcile.")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        scope = self.cleaned_data["scope"]
        return {"scope": scope, scope: self.cleaned_data[scope]}


class FindingFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *FindingStatus.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *FindingKind.choices], required=False)
    run = forms.IntegerField(required=False, min_value=1)
    instance = forms.ModelChoiceField(queryset=PartnerCenterInstance.objects.all(), required=False)
    reseller = forms.ModelChoiceField(queryset=Reseller.objects.all(), required=False)
    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), required=False)

    def selector_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "status": data.get("status") or "",
            "kind": data.get("kind") or "",
            "run_id": data.get("run"),
            "instance_id": data["instance"].pk if data.get("instance") else None,
            "reseller_id": data["reseller"].pk if data.get("reseller") else None,
            "customer_id": data["customer"].pk if data.get("customer") else None,
        }


class FindingActionForm(forms.Form):
    action = forms.ChoiceField(choices=CorrectiveAction.choices)
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    subscription = forms.IntegerField(required=False, min_value=1, help_text="BSS subscription to link to")


class BulkActionForm(forms.Form):
    SELECTED = "selected"
    MATCHING = "matching"

    action = forms.ChoiceField(choices=CorrectiveAction.choices)
    reason = forms.CharField(required=False, max_length=2000)
    target = forms.ChoiceField(
        choices=[(SELECTED, "The ticked findings"), (MATCHING, "Every open finding matching the filter")],
        initial=SELECTED,
    )
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any integer is accepted here; the selector decides what exists and may be seen.
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        cast(forms.ChoiceField, self.fields["ids"]).choices = [(value, value) for value in raw]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("target") == self.SELECTED and not data.get("ids"):
            raise forms.ValidationError("Tick at least one finding, or choose every finding matching the filter.")
        return data
