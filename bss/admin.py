from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from bss.exceptions import ApplicationError
from bss.models import (
    AuditEvent,
    Customer,
    GdapRelationship,
    GdapRoleTemplate,
    LicenseLedgerEntry,
    Marketplace,
    MCAAcceptance,
    MicrosoftTenant,
    Order,
    OrderLine,
    PartnerCenterInstance,
    Reseller,
    Subscription,
    User,
)
from bss.services import gdap as gdap_services


@admin.register(PartnerCenterInstance)
class PartnerCenterInstanceAdmin(admin.ModelAdmin):
    list_display = ["name", "cloud", "csp_model", "partner_tenant_id", "default_market", "is_retired", "is_active"]
    list_filter = ["cloud", "csp_model", "is_retired", "is_active"]
    search_fields = ["name", "partner_tenant_id", "partner_id"]
    # Secrets are write-only: they are edited on the Microsoft Cloud Services page, never shown here.
    exclude = ["application_secret", "refresh_token"]
    readonly_fields = ["secrets_changed_at", "created_at", "updated_at"]


@admin.register(Reseller)
class ResellerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "partner_id", "parent", "country", "is_active"]
    list_filter = ["kind", "is_active", "country"]
    search_fields = ["name", "partner_id", "pc_tenant_id", "email"]
    autocomplete_fields = ["parent"]


@admin.register(Marketplace)
class MarketplaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "owner", "instance", "market", "currency", "annual_billing_enabled", "is_active"]
    list_filter = ["market", "currency", "is_active"]
    search_fields = ["name", "slug", "owner__name"]


class MicrosoftTenantInline(admin.TabularInline):
    model = MicrosoftTenant
    extra = 0
    readonly_fields = ["pc_customer_id"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["company_name", "reseller", "marketplace", "country", "status", "created_at"]
    list_filter = ["status", "country", "reseller__kind"]
    search_fields = ["company_name", "contact_email", "tenants__default_domain", "tenants__pc_customer_id"]
    list_select_related = ["reseller", "marketplace"]
    inlines = [MicrosoftTenantInline]


@admin.register(MicrosoftTenant)
class MicrosoftTenantAdmin(admin.ModelAdmin):
    list_display = ["default_domain", "customer", "instance", "pc_customer_id", "relationship_status"]
    list_filter = ["instance", "relationship_status"]
    search_fields = ["default_domain", "pc_customer_id", "customer__company_name"]
    readonly_fields = ["pc_customer_id"]
    list_select_related = ["customer", "instance"]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    readonly_fields = ["pc_product_id", "pc_sku_id", "pc_availability_id"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "reseller", "kind", "status", "created_at"]
    list_filter = ["status", "kind", "marketplace"]
    search_fields = ["number", "customer__company_name", "tenant__default_domain"]
    list_select_related = ["customer", "reseller"]
    readonly_fields = ["number", "submission_key", "completed_at"]
    inlines = [OrderLineInline]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "customer",
        "quantity",
        "term_duration",
        "billing_cycle",
        "status",
        "auto_renew",
        "commitment_end_date",
    ]
    list_filter = ["status", "billing_cycle", "term_duration", "auto_renew"]
    search_fields = ["name", "pc_subscription_id", "pc_offer_id", "customer__company_name"]
    list_select_related = ["customer"]
    readonly_fields = [
        "pc_subscription_id",
        "pc_order_id",
        "pc_offer_id",
        "pc_product_id",
        "pc_sku_id",
        "pc_partner_id",
    ]


@admin.register(LicenseLedgerEntry)
class LicenseLedgerEntryAdmin(admin.ModelAdmin):
    list_display = ["subscription", "quantity_before", "quantity_after", "reason", "actor", "created_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MCAAcceptance)
class MCAAcceptanceAdmin(admin.ModelAdmin):
    list_display = ["customer", "signatory_email", "role", "accepted_at", "attested_at"]
    list_filter = ["role", "agreement_type"]
    search_fields = ["customer__company_name", "signatory_email", "signatory_last_name"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_label", "action", "object_type", "object_repr", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "object_repr", "object_id", "request_id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "role", "reseller", "customer", "is_staff", "is_active"]
    list_filter = ["role", "is_staff", "is_active"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("BSS role", {"fields": ("role", "reseller", "customer", "is_reseller_admin")}),
    )
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, ("BSS role", {"fields": ("role", "reseller", "customer")}))


class GdapRoleTemplateForm(forms.ModelForm):
    class Meta:
        model = GdapRoleTemplate
        fields = ["instance", "name", "description", "role_ids", "duration_days", "auto_extend", "security_group_ids",
                  "is_default"]

    def clean(self) -> dict[str, Any]:
        super().clean()  # ModelForm's clean returns cleaned_data (its stub says "or None")
        data = self.cleaned_data
        try:
            data["role_ids"] = gdap_services.gdap_template_check(
                role_ids=data.get("role_ids") or [], duration_days=data.get("duration_days") or 0,
                auto_extend=bool(data.get("auto_extend")),
            )
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc
        return data


@admin.register(GdapRoleTemplate)
class GdapRoleTemplateAdmin(admin.ModelAdmin):
    """Staff edit role templates here; the service's save keeps one default per instance and audits the change."""

    form = GdapRoleTemplateForm
    list_display = ["name", "instance", "duration_days", "auto_extend", "is_default"]
    list_filter = ["instance", "is_default"]

    def save_model(self, request, obj, form, change) -> None:
        saved = gdap_services.gdap_template_save(
            actor=request.user, instance=obj.instance, name=obj.name, role_ids=obj.role_ids,
            duration_days=obj.duration_days, auto_extend=obj.auto_extend, security_group_ids=obj.security_group_ids,
            is_default=obj.is_default, description=obj.description,
        )
        obj.pk = saved.pk


@admin.register(GdapRelationship)
class GdapRelationshipAdmin(admin.ModelAdmin):
    list_display = ["display_name", "tenant", "status", "end_at", "auto_extend"]
    list_filter = ["status"]
    search_fields = ["display_name", "pc_relationship_id", "tenant__default_domain"]
    readonly_fields = [f.name for f in GdapRelationship._meta.fields]
