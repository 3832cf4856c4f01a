"""Tax rules: the rate (and legal mention) per issuer country, customer country and kind of customer, by date."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from billing.choices import TaxScope
from bss.models.base import TimestampedModel


class TaxRule(TimestampedModel):
    """A rate in force from `effective_from` (inclusive) to `effective_to` (exclusive, empty = open).

    `customer_country` empty = every country of the scope (e.g. one export rule for all non-EU customers); a rule
    for the customer's own country wins over it. EU reverse charge needs no rule (0 %, fixed legal mention).
    """

    issuer_country = models.CharField(max_length=2)
    customer_country = models.CharField(max_length=2, blank=True)
    scope = models.CharField(max_length=16, choices=TaxScope.choices)
    name = models.CharField(max_length=100, help_text="e.g. VAT 20 %, Sales tax, Export")
    rate = models.DecimalField(max_digits=6, decimal_places=3, help_text="Percent")
    legal_mention = models.CharField(max_length=300, blank=True)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["issuer_country", "scope", "customer_country", "-effective_from"]
        constraints = [
            models.CheckConstraint(name="billing_taxrule_rate_range", condition=Q(rate__gte=0, rate__lte=100)),
            models.CheckConstraint(
                name="billing_taxrule_dates",
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=models.F("effective_from")),
            ),
            models.UniqueConstraint(
                name="billing_taxrule_unique_start",
                fields=["issuer_country", "customer_country", "scope", "effective_from"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.rate}% ({self.issuer_country}->{self.customer_country or '*'})"

    def clean(self) -> None:
        """Rules of the same countries and scope never overlap in time: one rate applies on any day."""
        self.issuer_country, self.customer_country = self.issuer_country.upper(), self.customer_country.upper()
        same = TaxRule.objects.filter(
            issuer_country=self.issuer_country, customer_country=self.customer_country, scope=self.scope
        ).exclude(pk=self.pk)
        if self.effective_to is not None:
            same = same.filter(effective_from__lt=self.effective_to)
        overlapping = same.filter(Q(effective_to__isnull=True) | Q(effective_to__gt=self.effective_from)).first()
        if overlapping is not None:
            raise ValidationError(f"{overlapping} is in force on some of these days; end it first.")
