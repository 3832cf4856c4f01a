from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from bss.choices import CustomerStatus, RelationshipStatus, ResellerKind, UserRole
from bss.models.base import TimestampedModel


class Reseller(TimestampedModel):
    """Who sells to customers: the provider itself, a light reseller, or a tenant reseller with its own marketplace."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=ResellerKind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The provider a tier-2 reseller buys through",
    )
    # Partner ID (MPN id) put on orders as partner of record by an indirect provider.
    partner_id = models.CharField(max_length=20, blank=True)
    pc_tenant_id = models.CharField(max_length=64, blank=True, help_text="Reseller's own Entra tenant id")
    email = models.EmailField(blank=True)
    country = models.CharField(max_length=2, default="US")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="bss_reseller_tier2_has_parent",
                condition=Q(kind=ResellerKind.PROVIDER, parent__isnull=True)
                | (~Q(kind=ResellerKind.PROVIDER) & Q(parent__isnull=False)),
            ),
            models.UniqueConstraint(
                name="bss_reseller_partner_id_unique",
                fields=["partner_id"],
                condition=~Q(partner_id=""),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Marketplace(TimestampedModel):
    """A storefront: the provider's own, or a tenant reseller's with its branding and price list."""

    owner = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="marketplaces")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    instance = models.ForeignKey(
        "bss.PartnerCenterInstance",
        on_delete=models.PROTECT,
        related_name="marketplaces",
        help_text="Partner Center account orders of this marketplace are provisioned through",
    )
    market = models.CharField(max_length=2, default="US")
    currency = models.CharField(max_length=3, default="USD")
    annual_billing_enabled = models.BooleanField(
        default=True, help_text='BSS billing cycle "annual" offered in this marketplace'
    )
    logo = models.FileField(upload_to="marketplaces/", blank=True)
    primary_color = models.CharField(max_length=7, default="#1f4e79")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="bss_marketplace_color_is_hex", condition=Q(primary_color__regex=r"^#[0-9A-Fa-f]{6}$")
            ),
            models.CheckConstraint(name="bss_marketplace_currency_code", condition=Q(currency__regex=r"^[A-Z]{3}$")),
        ]

    def __str__(self) -> str:
        return self.name


class Customer(TimestampedModel):
    """An end customer organisation; belongs to a reseller (the provider itself for direct customers)."""

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="customers")
    marketplace = models.ForeignKey(Marketplace, on_delete=models.PROTECT, related_name="customers")
    company_name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE)
    contact_first_name = models.CharField(max_length=100, blank=True)
    contact_last_name = models.CharField(max_length=100, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="US")
    culture = models.CharField(max_length=10, default="en-US")

    class Meta:
        ordering = ["company_name"]
        indexes = [models.Index(fields=["reseller", "company_name"], name="bss_customer_reseller_name")]

    def __str__(self) -> str:
        return self.company_name


class MicrosoftTenant(TimestampedModel):
    """A customer's Entra tenant in one Partner Center instance (Partner Center's customer id is the tenant id)."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tenants")
    instance = models.ForeignKey("bss.PartnerCenterInstance", on_delete=models.PROTECT, related_name="tenants")
    pc_customer_id = models.CharField(max_length=64, null=True, blank=True, help_text="Tenant id; empty until created")  # noqa: DJ001 - NULL until known, unique when set
    default_domain = models.CharField(max_length=255, help_text="e.g. contoso.onmicrosoft.com")
    relationship_status = models.CharField(
        max_length=24, choices=RelationshipStatus.choices, default=RelationshipStatus.PENDING_CREATION
    )

    class Meta:
        ordering = ["default_domain"]
        constraints = [
            models.UniqueConstraint(
                name="bss_microsofttenant_instance_pc_customer_unique", fields=["instance", "pc_customer_id"]
            ),
            models.UniqueConstraint(
                name="bss_microsofttenant_instance_domain_unique", fields=["instance", "default_domain"]
            ),
        ]

    def __str__(self) -> str:
        return self.default_domain


class User(AbstractUser):
    """A person who signs in: provider staff (is_staff), a reseller user or a customer user."""

    role = models.CharField(max_length=16, choices=UserRole.choices, default=UserRole.PROVIDER_STAFF)
    reseller = models.ForeignKey(Reseller, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    is_reseller_admin = models.BooleanField(default=False, help_text="May manage the reseller's users and API keys")

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.CheckConstraint(
                name="bss_user_role_scope",
                condition=Q(role=UserRole.PROVIDER_STAFF, reseller__isnull=True, customer__isnull=True)
                | Q(role=UserRole.RESELLER, reseller__isnull=False, customer__isnull=True)
                | Q(role=UserRole.CUSTOMER, reseller__isnull=True, customer__isnull=False),
            ),
        ]

    @property
    def is_provider_staff(self) -> bool:
        return self.role == UserRole.PROVIDER_STAFF and self.is_staff
