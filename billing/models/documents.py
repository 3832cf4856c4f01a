"""Invoices and credit notes, and their lines.

Money is written once: an invoice per (party, issuer, period) is unique in the database; its number is given when
it is finalised (gapless per issuer series and year); a final invoice never changes — a credit note corrects it.
`party_key` ("customer:12" / "reseller:3") names the billed party in one column so the unique constraint holds
whichever kind of party it is.
"""

from typing import Any

from django.db import models
from django.db.models import Q

from billing.choices import CreditNoteKind, DocumentStatus, PartyKind
from bss.models.base import TimestampedModel


class FinalDocumentChanged(Exception):
    """Something tried to change or delete a final invoice or credit note."""


def money() -> models.DecimalField:
    return models.DecimalField(max_digits=16, decimal_places=2, default=0)


def unit(*, null: bool = False) -> models.DecimalField:
    return models.DecimalField(max_digits=16, decimal_places=6, null=null, blank=null)


class Document(TimestampedModel):
    """What invoices and credit notes share: issuer, billed party (with a snapshot), status, number, totals."""

    issuer = models.ForeignKey("billing.Issuer", on_delete=models.PROTECT, related_name="+")
    party_kind = models.CharField(max_length=16, choices=PartyKind.choices)
    party_key = models.CharField(max_length=40)
    customer = models.ForeignKey("bss.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reseller = models.ForeignKey("bss.Reseller", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    party_name = models.CharField(max_length=200)
    party_country = models.CharField(max_length=2)
    party_vat_id = models.CharField(max_length=20, blank=True)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=8, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT)
    number = models.CharField(max_length=40, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    subtotal = money()
    tax_total = money()
    total = money()
    cost_total = money()
    tax_summary = models.JSONField(default=list, blank=True, help_text='[{"rate", "name", "base", "tax"}] per rate')
    legal_mentions = models.JSONField(default=list, blank=True)

    class Meta:
        abstract = True

    @property
    def is_final(self) -> bool:
        return self.status == DocumentStatus.FINAL

    @classmethod
    def from_db(cls, *args: Any, **kwargs: Any) -> Any:
        document = super().from_db(*args, **kwargs)
        document._stored_final = document.status == DocumentStatus.FINAL
        return document

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A final document never changes (a credit note corrects an invoice)."""
        if getattr(self, "_stored_final", False):
            raise FinalDocumentChanged(f"{self} is final: it cannot be changed.")
        super().save(*args, **kwargs)
        self._stored_final = self.status == DocumentStatus.FINAL

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if getattr(self, "_stored_final", False) or self.is_final:
            raise FinalDocumentChanged(f"{self} is final: it cannot be deleted.")
        return super().delete(*args, **kwargs)


class Invoice(Document):
    run = models.ForeignKey(
        "billing.InvoiceRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )

    class Meta:
        ordering = ["-year", "-month", "party_name"]
        constraints = [
            models.UniqueConstraint(
                name="billing_invoice_once_per_period", fields=["party_key", "issuer", "year", "month"]
            ),
            models.UniqueConstraint(
                name="billing_invoice_number_unique", fields=["issuer", "number"], condition=~Q(number="")
            ),
            models.CheckConstraint(
                name="billing_invoice_final_has_number",
                condition=Q(status=DocumentStatus.DRAFT, number="") | (Q(status=DocumentStatus.FINAL) & ~Q(number="")),
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft invoice {self.party_name} {self.year}-{self.month:02d}"


class CreditNote(Document):
    """Corrects a final invoice: automatically for a refund inside the window or a cancellation after the invoice
    (`source_key` = the refund's reference, once per invoice), or by hand with a reason."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    kind = models.CharField(max_length=16, choices=CreditNoteKind.choices)
    reason = models.CharField(max_length=300)
    source_key = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey("bss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                name="billing_creditnote_number_unique", fields=["issuer", "number"], condition=~Q(number="")
            ),
            models.UniqueConstraint(
                name="billing_creditnote_source_once", fields=["invoice", "source_key"], condition=~Q(source_key="")
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft credit note for {self.invoice}"


class Line(models.Model):
    """One charge row, as rated (Microsoft's columns) with its tax and our cost."""

    end_customer = models.ForeignKey("bss.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    end_customer_name = models.CharField(max_length=200, blank=True)
    subscription = models.ForeignKey(
        "bss.Subscription", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pc_subscription_id = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=255)
    charge_type = models.CharField(max_length=24)
    quantity = models.IntegerField()
    unit_price = unit()
    effective_unit_price = unit()
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    charge_start = models.DateField()
    charge_end = models.DateField()
    order_at = models.DateTimeField()
    reference_id = models.CharField(max_length=100, blank=True)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    tax_name = models.CharField(max_length=100, blank=True)
    tax_amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    unit_cost = unit(null=True)
    cost_amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["end_customer_name", "order_at", "id"]


class InvoiceLine(Line):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")

    class Meta(Line.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.charge_type} {self.description} {self.amount}"


class CreditNoteLine(Line):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    invoice_line = models.ForeignKey(InvoiceLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta(Line.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.charge_type} {self.description} {self.amount}"
