from django import forms


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
