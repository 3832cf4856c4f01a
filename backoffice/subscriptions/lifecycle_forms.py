"""The back office's upgrade form (the rules live in `provisioning.services.upgrades`)."""

from django import forms


class UpgradeForm(forms.Form):
    to_catalog_item_id = forms.CharField(max_length=80, label="Upgrade to")
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000, label="Licences to move")
    into = forms.CharField(max_length=20, required=False, label="Into")
    effective_on = forms.DateField(required=False, label="Upgrade on")
    promotion_loss_confirmed = forms.BooleanField(required=False)

    def target_subscription_id(self) -> int | None:
        into = (self.cleaned_data.get("into") or "").strip()
        return int(into) if into.isdigit() else None
