"""Forms of the catalog back-office pages: they validate input; the views then call one service."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings

from bss.models import PartnerCenterInstance
from catalog.choices import MarkupKind

#: Largest price-list file accepted unless settings.CATALOG_IMPORT_MAX_BYTES says otherwise (Microsoft's
#: license-based sheet for one market is well under 100 MB uncompressed).
DEFAULT_MAX_UPLOAD_BYTES = 300 * 1024 * 1024


def max_upload_bytes() -> int:
    return int(getattr(settings, "CATALOG_IMPORT_MAX_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def instance_markets(instance: PartnerCenterInstance) -> list[str]:
    """The markets synced for an instance: its default market first, then the extra ones."""
    return list(dict.fromkeys([instance.default_market, *[str(m).upper() for m in instance.markets or []]]))


def sellable_instances() -> Any:
    return PartnerCenterInstance.objects.filter(is_active=True, is_retired=False).order_by("name")


class RunTargetForm(forms.Form):
    """Instance + market of a sync or import; the market must be one the instance is set up for."""

    instance = forms.ModelChoiceField(queryset=PartnerCenterInstance.objects.none(), empty_label=None)
    market = forms.CharField(max_length=2, help_text="ISO country code, e.g. US or DE")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instance"].queryset = sellable_instances()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        instance, market = data.get("instance"), (data.get("market") or "").strip().upper()
        if instance is not None and market:
            markets = instance_markets(instance)
            if market not in markets:
                self.add_error("market", f"{instance.name} is not set up for market {market!r} "
                                         f"(its markets: {', '.join(markets)}).")
            data["market"] = market
        return data


class SyncStartForm(RunTargetForm):
    pass


class PriceSheetUploadForm(RunTargetForm):
    file = forms.FileField(label="Price list (CSV)", allow_empty_file=False,
                           help_text="The license-based price list CSV downloaded from Partner Center.")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError("Upload the price list as a .csv file (unzip Microsoft's download first).")
        limit = max_upload_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size / 1e6:.1f} MB; at most {limit / 1e6:.1f} MB is accepted."
            )
        return upload


class MarkupForm(forms.Form):
    """A markup rule: a percentage over cost, or a fixed sale price per unit per month."""

    kind = forms.ChoiceField(choices=MarkupKind.choices, initial=MarkupKind.PERCENT_OVER_COST)
    percent = forms.DecimalField(required=False, max_digits=7, decimal_places=3, min_value=Decimal("-100"),
                                 label="Percentage over cost")
    fixed_monthly_price = forms.DecimalField(required=False, max_digits=20, decimal_places=6, min_value=Decimal(0),
                                             label="Fixed price per unit per month")
    allow_below_cost = forms.BooleanField(required=False, label="Sell below cost",
                                          help_text="Confirm a rule that sells below cost (refused otherwise).")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == MarkupKind.PERCENT_OVER_COST and data.get("percent") is None and "percent" not in self.errors:
            self.add_error("percent", "Give the percentage over cost (e.g. 15 for +15 %).")
        if kind == MarkupKind.FIXED_PRICE and data.get("fixed_monthly_price") is None \
                and "fixed_monthly_price" not in self.errors:
            self.add_error("fixed_monthly_price", "Give the fixed sale price per unit per month.")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        below = bool(data.get("allow_below_cost"))
        if data["kind"] == MarkupKind.PERCENT_OVER_COST:
            return {"kind": data["kind"], "percent": data["percent"], "fixed_monthly_price": None,
                    "allow_below_cost": below}
        return {"kind": data["kind"], "percent": None, "fixed_monthly_price": data["fixed_monthly_price"],
                "allow_below_cost": below}


class SkuFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=100)
    show = forms.ChoiceField(
        required=False,
        choices=[("", "All SKUs"), ("published", "Published"), ("unpublished", "Not published"),
                 ("discontinued", "Discontinued")],
    )


class CatalogSettingsForm(forms.Form):
    auto_publish_new = forms.BooleanField(required=False, label="Publish products added by a catalog sync")
