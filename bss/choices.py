"""Statuses and enumerations of the core domain, with the allowed status transitions.

The billing-cycle and term vocabulary is Partner Center's (`bss.rules.cycles`), one for the whole project: the
catalog, the storefront, the API and the BSS records all use these choices.
"""

from django.db import models

from bss.rules.permissions import Role


class Cloud(models.TextChoices):
    """Values match `partnercenter.clouds.PRESETS` names (plus "custom")."""

    GLOBAL = "global", "Global (commercial)"
    GERMANY = "germany", "Microsoft Cloud Germany (retired)"
    CHINA_21VIANET = "china_21vianet", "Operated by 21Vianet (China)"
    US_GOVERNMENT = "us_government", "US Government"
    CUSTOM = "custom", "Custom endpoints"


class CspModel(models.TextChoices):
    DIRECT = "direct", "CSP direct-bill partner"
    INDIRECT_PROVIDER = "indirect_provider", "CSP indirect provider"


class ResellerKind(models.TextChoices):
    PROVIDER = "provider", "Provider (the partner itself)"
    LIGHT = "light", "Light reseller (provider's storefront)"
    TENANT = "tenant", "Tenant reseller (own marketplace)"


class UserRole(models.TextChoices):
    """The values of `bss.rules.permissions.Role` (who may do what is decided there)."""

    PROVIDER_STAFF = Role.PROVIDER_STAFF.value, "Provider staff"
    RESELLER = Role.RESELLER.value, "Reseller user"
    CUSTOMER = Role.CUSTOMER.value, "Customer user"


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    CLOSED = "closed", "Closed"


class RelationshipStatus(models.TextChoices):
    """Whether the partner holds a reseller relationship with the Microsoft tenant."""

    PENDING_CREATION = "pending_creation", "Tenant being created"
    AWAITING_ACCEPTANCE = "awaiting_acceptance", "Awaiting relationship acceptance"
    ACTIVE = "active", "Active"
    REMOVED = "removed", "Relationship removed"


class OrderKind(models.TextChoices):
    NEW_CUSTOMER = "new_customer", "New customer (new tenant)"
    EXISTING_TENANT = "existing_tenant", "Existing Microsoft tenant"
    ADD_ON = "add_on", "Additional purchase for a provisioned tenant"


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    AWAITING_RELATIONSHIP = "awaiting_relationship", "Awaiting relationship"
    PROVISIONING = "provisioning", "Provisioning"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ORDER_TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.PENDING: {
        OrderStatus.AWAITING_RELATIONSHIP,
        OrderStatus.PROVISIONING,
        OrderStatus.FAILED,
        OrderStatus.CANCELLED,
    },
    OrderStatus.AWAITING_RELATIONSHIP: {OrderStatus.PROVISIONING, OrderStatus.CANCELLED, OrderStatus.FAILED},
    OrderStatus.PROVISIONING: {OrderStatus.COMPLETED, OrderStatus.FAILED},
    # A failed order can be retried by hand (back to provisioning) once the cause is fixed.
    OrderStatus.FAILED: {OrderStatus.PROVISIONING, OrderStatus.CANCELLED},
    OrderStatus.COMPLETED: set(),
    OrderStatus.CANCELLED: set(),
}


class BillingCycle(models.TextChoices):
    """Billing cycles as Partner Center spells them on subscriptions (lower case); `bss.rules.cycles.BILLING_CYCLES`.
    """

    MONTHLY = "monthly", "Monthly"
    ANNUAL = "annual", "Annual"
    BIENNIAL = "biennial", "Biennial"
    TRIENNIAL = "triennial", "Triennial"
    ONE_TIME = "one_time", "One-time"
    NONE = "none", "None (usage-based)"


class TermDuration(models.TextChoices):
    """Term durations (ISO 8601); `bss.rules.cycles.TERM_DURATIONS`."""

    P1M = "P1M", "1 month"
    P1Y = "P1Y", "1 year"
    P2Y = "P2Y", "2 years"
    P3Y = "P3Y", "3 years"
    P5Y = "P5Y", "5 years"
    NONE = "", "No term"


class SubscriptionStatus(models.TextChoices):
    """Partner Center's subscription statuses (lower-cased as the API serializes them)."""

    PENDING = "pending", "Pending"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    EXPIRED = "expired", "Expired"
    DISABLED = "disabled", "Disabled"
    DELETED = "deleted", "Cancelled"


SUBSCRIPTION_TRANSITIONS: dict[str, set[str]] = {
    SubscriptionStatus.PENDING: {SubscriptionStatus.ACTIVE, SubscriptionStatus.DELETED},
    SubscriptionStatus.ACTIVE: {
        SubscriptionStatus.SUSPENDED,
        SubscriptionStatus.EXPIRED,
        SubscriptionStatus.DELETED,
    },
    SubscriptionStatus.SUSPENDED: {
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.EXPIRED,
        SubscriptionStatus.DELETED,
    },
    SubscriptionStatus.EXPIRED: {SubscriptionStatus.DISABLED, SubscriptionStatus.ACTIVE},
    SubscriptionStatus.DISABLED: {SubscriptionStatus.DELETED, SubscriptionStatus.ACTIVE},
    SubscriptionStatus.DELETED: set(),
}


class AcceptanceRole(models.TextChoices):
    """Who put the Microsoft Customer Agreement acceptance on record."""

    CUSTOMER = "customer", "Customer accepted in the storefront"
    RESELLER = "reseller", "Reseller confirmed the customer's acceptance"
    STAFF = "staff", "Provider staff confirmed the customer's acceptance"


class LedgerEventKind(models.TextChoices):
    """What a licence-ledger entry records (the values of `billing.rating.EventKind`, which rates them)."""

    PURCHASE = "purchase", "Purchase"
    SEAT_CHANGE = "seat_change", "Seat change"
    SUSPEND = "suspend", "Suspension"
    REACTIVATE = "reactivate", "Reactivation"
    CANCEL = "cancel", "Cancellation"
    RENEW = "renew", "Renewal"
    CONVERT = "convert", "Conversion (upgrade or trial to paid)"
    BILLING_PLAN_CHANGE = "billing_plan_change", "Billing-plan change"


#: Events that open a term or a billing plan: only they set the prices locked for the term.
LEDGER_PRICE_SETTING_KINDS = frozenset(
    {LedgerEventKind.PURCHASE, LedgerEventKind.RENEW, LedgerEventKind.CONVERT, LedgerEventKind.BILLING_PLAN_CHANGE}
)
