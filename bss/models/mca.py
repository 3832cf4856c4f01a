from django.conf import settings
from django.db import models

from bss.choices import AcceptanceRole


class MCAAcceptance(models.Model):
    """A Microsoft Customer Agreement acceptance on record, attested to Partner Center once the tenant exists."""

    customer = models.ForeignKey("bss.Customer", on_delete=models.PROTECT, related_name="mca_acceptances")
    tenant = models.ForeignKey(
        "bss.MicrosoftTenant", null=True, blank=True, on_delete=models.PROTECT, related_name="mca_acceptances"
    )
    # The customer's signatory as Partner Center requires it.
    signatory_first_name = models.CharField(max_length=100)
    signatory_last_name = models.CharField(max_length=100)
    signatory_email = models.EmailField()
    signatory_phone = models.CharField(max_length=40, blank=True)
    accepted_at = models.DateTimeField()
    role = models.CharField(max_length=16, choices=AcceptanceRole.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    agreement_type = models.CharField(max_length=60, default="MicrosoftCustomerAgreement")
    template_id = models.CharField(max_length=64, blank=True)
    agreement_version = models.CharField(max_length=40, blank=True)
    agreement_link = models.URLField(blank=True)
    attested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-accepted_at"]
        verbose_name = "MCA acceptance"

    def __str__(self) -> str:
        return f"MCA {self.customer} {self.accepted_at:%Y-%m-%d}"
