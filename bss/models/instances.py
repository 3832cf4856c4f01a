from django.db import models
from django.db.models import Q

from bss.choices import Cloud, CspModel
from bss.crypto import EncryptedTextField
from bss.models.base import TimestampedModel


class PartnerCenterInstance(TimestampedModel):
    """One Partner Center account the partner transacts through (one per cloud or regional account)."""

    name = models.CharField(max_length=100, unique=True)
    cloud = models.CharField(max_length=16, choices=Cloud.choices, default=Cloud.GLOBAL)
    # Endpoints: blank means "the cloud preset's value"; set them for custom clouds or for the simulator.
    api_base_url = models.URLField(
        blank=True, help_text="Partner Center API root, e.g. https://api.partnercenter.microsoft.com"
    )
    login_authority_url = models.URLField(
        blank=True, help_text="Entra ID login host, e.g. https://login.microsoftonline.com"
    )
    price_sheet_base_url = models.URLField(blank=True, help_text="Partner API root for price sheets")
    partner_tenant_id = models.CharField(max_length=64, help_text="The partner's own Entra tenant id (GUID)")
    partner_id = models.CharField(max_length=20, blank=True, help_text="Partner ID (MPN id) of this account")
    csp_model = models.CharField(max_length=20, choices=CspModel.choices, default=CspModel.DIRECT)
    application_id = models.CharField(max_length=64, blank=True, help_text="Entra application (client) id")
    # Secrets: encrypted at rest, write-only in every UI.
    application_secret = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True, help_text="App+User refresh token (secure application model)")
    secrets_changed_at = models.DateTimeField(null=True, blank=True)
    default_market = models.CharField(max_length=2, default="US", help_text="ISO 3166 country code")
    default_currency = models.CharField(max_length=3, default="USD")
    markets = models.JSONField(default=list, blank=True, help_text="Extra markets synced for this instance")
    annual_provisioning_enabled = models.BooleanField(
        default=False, help_text="Order billingCycle=annual for plans sold with annual billing"
    )
    is_retired = models.BooleanField(default=False, help_text="Read-only: existing data stays, no new orders")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="bss_partnercenterinstance_custom_cloud_has_endpoints",
                condition=~Q(cloud=Cloud.CUSTOM) | (~Q(api_base_url="") & ~Q(login_authority_url="")),
            ),
            models.CheckConstraint(
                name="bss_partnercenterinstance_market_is_country_code",
                condition=Q(default_market__regex=r"^[A-Z]{2}$"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def accepts_orders(self) -> bool:
        return self.is_active and not self.is_retired
