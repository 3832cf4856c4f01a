"""Forms of the upgrade and add-on pages (the rules live in `provisioning.services.upgrades` / `.addons`)."""

from django import forms


class UpgradeForm(forms.Form):
    to_catalog_item_id = forms.CharField(max_length=80, label="Upgrade to")
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000, label="Licences to move")
    into = forms.CharField(max_length=20, required=False, label="Into", help_text="new, or a subscription id")
    effective_on = forms.DateField(required=False, label="Upgrade on")
    promotion_loss_confirmed = forms.BooleanField(required=False, label="The promotion may be lost")

    def target_subscription_id(self) -> int | None:
        into = (self.cleaned_data.get("into") or "").strip()
        return int(into) if into.isdigit() else None


class AddonForm(forms.Form):
    offer = forms.IntegerField(min_value=1)
    plan = forms.CharField(max_length=40)
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000, label="Licences")
