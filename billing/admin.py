"""Staff edit issuers, tax rules and VAT ids here; runs, invoices and credit notes are shown, never edited (money
is written once, by `billing.services`)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from billing.models import BillingProfile, CreditNote, Invoice, InvoiceRun, Issuer, TaxRule
from billing.services.tax import billing_profile_set_vat_id


@admin.register(Issuer)
class IssuerAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "vat_id", "billing_day", "number_prefix"]


@admin.register(TaxRule)
class TaxRuleAdmin(admin.ModelAdmin):
    list_display = ["issuer_country", "scope", "customer_country", "name", "rate", "effective_from", "effective_to"]
    list_filter = ["issuer_country", "scope"]


@admin.register(BillingProfile)
class BillingProfileAdmin(admin.ModelAdmin):
    list_display = ["__str__", "customer", "reseller", "is_business", "vat_status"]
    readonly_fields = ["vat_status", "vat_checked_at", "vat_confirmed_by"]

    def save_model(self, request: HttpRequest, obj: BillingProfile, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if "vat_id" in form.changed_data or not change:  # checked for format and check digits, as everywhere
            party = obj.customer or obj.reseller
            assert party is not None
            billing_profile_set_vat_id(party=party, vat_id=obj.vat_id, is_business=obj.is_business,
                                       actor=request.user)  # type: ignore[arg-type]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InvoiceRun)
class InvoiceRunAdmin(ReadOnly):
    list_display = ["__str__", "issuer", "finalise", "done", "total", "created_at"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnly):
    list_display = ["__str__", "party_name", "year", "month", "status", "total", "currency"]
    list_filter = ["status", "year", "month"]


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnly):
    list_display = ["__str__", "invoice", "kind", "status", "total", "currency"]
