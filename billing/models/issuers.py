"""Who issues invoices (the provider, and each tenant reseller to its own customers), their gapless number
counters, and the billed parties' tax identity (VAT id, format-valid or confirmed)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from billing.choices import NumberSeries, PartyKind, VatStatus
from bss.models.base import TimestampedModel


class Issuer(TimestampedModel):
    """A seller that issues invoices: the provider (its `Reseller` of kind provider) or a tenant reseller."""

    reseller = models.OneToOneField("bss.Reseller", on_delete=models.PROTECT, related_name="issuer")
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    country = models.CharField(max_length=2)
    vat_id = models.CharField(max_length=20, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    billing_day = models.PositiveSmallIntegerField(default=1, help_text="Day of the month invoices are run (1-28)")
    number_prefix = models.CharField(max_length=12, help_text="Invoice number series prefix, e.g. INV")
    credit_note_prefix = models.CharField(max_length=12, default="CN")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="billing_issuer_billing_day", condition=Q(billing_day__gte=1, billing_day__lte=28)
            ),
            models.CheckConstraint(name="billing_issuer_country", condition=Q(country__regex=r"^[A-Z]{2}$")),
        ]

    def __str__(self) -> str:
        return self.name


class NumberCounter(models.Model):
    """The last number given in one series of one issuer and year; locked (select_for_update) while a document
    is finalised, in the same transaction, so numbers are gapless and never given twice."""

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="counters")
    series = models.CharField(max_length=16, choices=NumberSeries.choices)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(name="billing_counter_unique", fields=["issuer", "series", "year"]),
        ]

    def __str__(self) -> str:
        return f"{self.issuer_id} {self.series} {self.year}: {self.last_number}"


class BillingProfile(TimestampedModel):
    """A billed party's tax identity: its VAT id, whether it is a business, and how far the id was checked."""

    party_kind = models.CharField(max_length=16, choices=PartyKind.choices)
    customer = models.OneToOneField(
        "bss.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="billing_profile"
    )
    reseller = models.OneToOneField(
        "bss.Reseller", null=True, blank=True, on_delete=models.CASCADE, related_name="billing_profile"
    )
    is_business = models.BooleanField(default=True)
    vat_id = models.CharField(max_length=20, blank=True)
    vat_status = models.CharField(max_length=16, choices=VatStatus.choices, default=VatStatus.NONE)
    vat_checked_at = models.DateTimeField(null=True, blank=True)
    vat_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="billing_profile_one_party",
                condition=Q(party_kind=PartyKind.CUSTOMER, customer__isnull=False, reseller__isnull=True)
                | Q(party_kind=PartyKind.RESELLER, customer__isnull=True, reseller__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vat_id or 'no VAT id'} ({self.get_vat_status_display()})"
