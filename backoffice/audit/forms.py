from typing import Any, cast

from django import forms

from bss.security.selectors import AuditFilters, audit_action_choices, audit_object_type_choices


class AuditFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200)
    action = forms.ChoiceField(required=False)
    object_type = forms.ChoiceField(required=False, label="Object type")
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action, object_type = (cast(forms.ChoiceField, self.fields[name]) for name in ("action", "object_type"))
        action.choices = [("", "Any action"), *((a, a) for a in audit_action_choices())]
        object_type.choices = [("", "Any type"), *((t, t) for t in audit_object_type_choices())]

    def to_filters(self) -> AuditFilters:
        if not self.is_valid():
            return AuditFilters()
        data = self.cleaned_data
        return AuditFilters(
            q=data["q"] or "",
            action=data["action"] or "",
            object_type=data["object_type"] or "",
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
