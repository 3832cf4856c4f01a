from django import forms

from bss.security.selectors import AuditFilters, audit_action_choices, audit_object_type_choices


class PasswordStepForm(forms.Form):
    username = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"})
    )
    password = forms.CharField(strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class CodeForm(forms.Form):
    """A code from the authenticator app or, at sign-in, one of the recovery codes."""

    code = forms.CharField(
        max_length=40,
        label="Code",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "one-time-code", "spellcheck": "false"}),
    )


class EnrolForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        label="6-digit code from the app",
        error_messages={"invalid": "Enter the 6-digit code your authenticator app shows."},
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class AuditFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200)
    action = forms.ChoiceField(required=False)
    object_type = forms.ChoiceField(required=False, label="Object type")
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "Any action"), *((a, a) for a in audit_action_choices())]
        self.fields["object_type"].choices = [("", "Any type"), *((t, t) for t in audit_object_type_choices())]

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
