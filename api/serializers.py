from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bss.models import Customer, MCAAcceptance, MicrosoftTenant, Order, OrderLine, Subscription
from bss.models.gdap import GdapStatus
from bss.selectors_gdap import gdap_most_telling


class GdapStateSerializer(serializers.Serializer):
    """The tenant's most telling GDAP relationship (live, else waiting for approval, else the latest)."""

    status = serializers.CharField()
    display_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    end_at = serializers.DateTimeField(allow_null=True)
    auto_extend = serializers.BooleanField()
    approval_url = serializers.CharField(allow_null=True, help_text="While it waits for the customer's approval")


class TenantSerializer(serializers.ModelSerializer):
    cloud = serializers.CharField(source="instance.cloud", read_only=True)
    gdap = serializers.SerializerMethodField()

    class Meta:
        model = MicrosoftTenant
        fields = ["id", "default_domain", "pc_customer_id", "relationship_status", "cloud", "gdap"]

    @extend_schema_field(GdapStateSerializer(allow_null=True))
    def get_gdap(self, tenant: MicrosoftTenant) -> dict[str, Any] | None:
        relationship = gdap_most_telling(list(tenant.gdap_relationships.all()))
        if relationship is None:
            return None
        return {
            "status": relationship.status,
            "display_name": relationship.display_name,
            "roles": relationship.role_names,
            "end_at": relationship.end_at,
            "auto_extend": relationship.auto_extend,
            "approval_url": relationship.approval_url if relationship.status == GdapStatus.APPROVAL_PENDING else None,
        }


class CustomerSerializer(serializers.ModelSerializer):
    tenants = TenantSerializer(many=True, read_only=True)
    reseller = serializers.CharField(source="reseller.name", read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "company_name",
            "status",
            "reseller",
            "contact_first_name",
            "contact_last_name",
            "contact_email",
            "contact_phone",
            "address_line1",
            "city",
            "state",
            "postal_code",
            "country",
            "culture",
            "created_at",
            "tenants",
        ]
        read_only_fields = ["id", "status", "reseller", "created_at", "tenants"]


class StrictCharField(serializers.CharField):
    """Only JSON strings are text: DRF would otherwise turn 0 or 1.5 into "0" and "1.5"."""

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """Only JSON integers: DRF would otherwise read "5", 5.0 and true as 5, 5 and 1."""

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """Only JSON true/false: DRF would otherwise read 0, 1, "yes" and "off" as booleans."""

    def to_internal_value(self, data: object) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class CustomerCreateSerializer(serializers.Serializer):
    company_name = StrictCharField(max_length=200)
    contact_first_name = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    contact_last_name = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    contact_email = serializers.EmailField(required=False, allow_blank=True, default="")
    contact_phone = StrictCharField(max_length=40, required=False, allow_blank=True, default="")
    address_line1 = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    city = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    state = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    postal_code = StrictCharField(max_length=20, required=False, allow_blank=True, default="")
    country = serializers.RegexField(r"^[A-Za-z]{2}$", default="US", help_text="ISO 3166 two-letter code")

    def validate_country(self, value: str) -> str:
        return value.upper()


class SubscriptionSerializer(serializers.ModelSerializer):
    tenant_domain = serializers.CharField(source="tenant.default_domain", read_only=True)

    class Meta:
        model = Subscription
        fields = [
            "id",
            "customer_id",
            "tenant_domain",
            "name",
            "pc_subscription_id",
            "pc_offer_id",
            "pc_product_id",
            "pc_sku_id",
            "quantity",
            "billing_cycle",
            "term_duration",
            "status",
            "auto_renew",
            "effective_start_date",
            "commitment_end_date",
            "cancellation_allowed_until",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = [
            "pc_product_id",
            "pc_sku_id",
            "pc_availability_id",
            "product_name",
            "quantity",
            "term_duration",
            "billing_cycle",
            "unit_price",
            "currency",
        ]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "customer_id",
            "tenant_id",
            "currency",
            "failure_reason",
            "created_at",
            "completed_at",
            "lines",
        ]
        read_only_fields = fields


class MCAAcceptanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = MCAAcceptance
        fields = [
            "id",
            "customer_id",
            "signatory_first_name",
            "signatory_last_name",
            "signatory_email",
            "signatory_phone",
            "accepted_at",
            "role",
            "agreement_type",
            "template_id",
            "agreement_version",
            "attested_at",
            "created_at",
        ]
        read_only_fields = fields
