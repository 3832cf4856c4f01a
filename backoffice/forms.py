from typing import Any

from django import forms

from bss.choices import Cloud
from bss.models import PartnerCenterInstance
from bss.services.instances import INSTANCE_FIELDS


class PartnerCenterInstanceForm(forms.ModelForm):
    """Instance settings. Secrets are write-only: blank keeps the stored value, a tick clears it."""

    application_secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave blank to keep the stored secret.",
    )
    clear_application_secret = forms.BooleanField(required=False, label="Remove the stored application secret")
    refresh_token = forms.CharField(
        required=False,
        strip=True,
        label="App+User refresh token",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="From the secure application model consent; leave blank to keep the stored token.",
    )
    clear_refresh_token = forms.BooleanField(required=False, label="Remove the stored refresh token")
    markets = forms.CharField(
        required=False,
        help_text="Extra markets to sync, comma-separated ISO country codes (e.g. GB, DE, FR).",
    )

    class Meta:
        model = PartnerCenterInstance
        fields = INSTANCE_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["markets"] = ", ".join(self.instance.markets or [])

    def clean_markets(self) -> list[str]:
        codes = [code.strip().upper() for code in self.cleaned_data["markets"].split(",") if code.strip()]
        bad = [code for code in codes if len(code) != 2 or not code.isalpha()]
        if bad:
            raise forms.ValidationError(f"Not a two-letter country code: {', '.join(bad)}.")
        return sorted(set(codes))

    def clean_default_market(self) -> str:
        return self.cleaned_data["default_market"].strip().upper()

    def clean_default_currency(self) -> str:
        currency = self.cleaned_data["default_currency"].strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise forms.ValidationError("Use a three-letter ISO 4217 currency code, e.g. USD.")
        return currency

    def clean(self) -> dict[str, object]:
        super().clean()
        data = self.cleaned_data
        if data.get("cloud") == Cloud.CUSTOM and not (data.get("api_base_url") and data.get("login_authority_url")):
            raise forms.ValidationError("A custom cloud needs both the API base URL and the login authority URL.")
        return data

    def secret_changes(self) -> dict[str, str | None]:
        """Keyword arguments for the service: None keeps a secret, "" clears it, a value replaces it."""
        changes: dict[str, str | None] = {}
        for name in ("application_secret", "refresh_token"):
            if self.cleaned_data.get(f"clear_{name}"):
                changes[name] = ""
            else:
                changes[name] = self.cleaned_data.get(name) or None
        return changes

    def field_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ResellerOnboardingForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(
        choices=[
            ("light", "Light reseller (orders in the provider's storefront)"),
            ("tenant", "Tenant reseller (own marketplace, branding and price list)"),
        ],
        widget=forms.RadioSelect,
    )
    partner_id = forms.RegexField(
        regex=r"^\d{6,10}$",
        label="Partner ID (MPN id)",
        required=False,
        help_text="Put on orders as partner of record (indirect providers).",
        error_messages={"invalid": "A Partner ID is 6 to 10 digits."},
    )
    email = forms.EmailField(label="Reseller contact e-mail")
    country = forms.RegexField(
        regex=r"^[A-Za-z]{2}$", initial="US", error_messages={"invalid": "Use a two-letter country code."}
    )
    first_user_username = forms.SlugField(max_length=150, label="First user: user name")
    first_user_email = forms.EmailField(label="First user: e-mail (the invitation goes there)")
    marketplace_name = forms.CharField(max_length=200, required=False, help_text="Tenant resellers only")
    marketplace_slug = forms.SlugField(
        max_length=60, required=False, label="Marketplace address", help_text="Tenant resellers only: /m/<address>/"
    )
    marketplace_color = forms.RegexField(
        regex=r"^#[0-9A-Fa-f]{6}$",
        required=False,
        initial="#1f4e79",
        label="Brand colour",
        error_messages={"invalid": "Use a colour like #1f4e79."},
    )
    instance = forms.ModelChoiceField(
        queryset=PartnerCenterInstance.objects.filter(is_active=True, is_retired=False),
        required=False,
        label="Partner Center instance of the marketplace",
    )

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()

    def clean(self) -> dict[str, object]:
        super().clean()
        data = self.cleaned_data
        if data.get("kind") == "tenant":
            for field in ("marketplace_name", "marketplace_slug", "instance"):
                if not data.get(field):
                    self.add_error(field, "Required for a tenant reseller.")
        return data
