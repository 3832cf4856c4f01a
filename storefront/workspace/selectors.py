"""Workspace reads, always scoped to the acting user through `bss.selectors` (a foreign object is NotFound)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from bss import selectors as bss_selectors
from bss.choices import Cloud, CustomerStatus, SubscriptionStatus
from bss.exceptions import NotFound
from bss.models import AuditEvent, AzureEntitlement, Customer, MicrosoftTenant, Subscription, User
from bss.partner_center import cloud_for_instance, get_client
from bss.rules.windows import cancellation_allowed
from bss.selectors_gdap import TenantGdap, gdap_for_tenants
from bss.services.gdap_admin import gdap_admin_access_refusal
from catalog.models import Product
from partnercenter import clouds
from partnercenter import errors as pc_errors
from partnercenter.types import Subscription as PCSubscription
from provisioning.choices import OPEN_STATUSES, OperationKind
from provisioning.models import ProvisioningOperation
from storefront.workspace import services
from storefront.workspace.models import RenewalReminder

logger = logging.getLogger(__name__)

LIVE_SUBSCRIPTION_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED, SubscriptionStatus.PENDING)


# --- portal shortcuts --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortalShortcut:
    """Where a tenant's Microsoft Cloud Services portals are, for the tenant's cloud."""

    cloud: str
    cloud_label: str
    admin_url: str
    azure_url: str
    retired: bool

    @property
    def admin_host(self) -> str:
        return self.admin_url.split("://", 1)[-1].rstrip("/")


def portal_shortcut(tenant: MicrosoftTenant) -> PortalShortcut:
    """The admin portal of the tenant's cloud (Microsoft 365 admin center, the 21Vianet or US Government portal),
    and its Azure portal opened on the tenant's directory. The retired German cloud is flagged, not linked."""
    instance = tenant.instance
    preset = clouds.PRESETS.get(instance.cloud)
    cloud = cloud_for_instance(instance)
    retired = bool((preset is not None and preset.retired) or instance.cloud == Cloud.GERMANY)
    domain = tenant.default_domain
    return PortalShortcut(
        cloud=instance.cloud,
        cloud_label=instance.get_cloud_display(),
        admin_url=cloud.admin_portal_url,
        azure_url=f"{cloud.azure_portal_url.rstrip('/')}/#@{domain}",
        retired=retired,
    )


def azure_entitlement_url(shortcut: PortalShortcut, domain: str, entitlement_id: str) -> str:
    return f"{shortcut.azure_url.split('/#@', 1)[0]}/#@{domain}/resource/subscriptions/{entitlement_id}/overview"


# --- the service setup panel -------------------------------------------------------------------------------------


@dataclass
class TenantView:
    tenant: MicrosoftTenant
    portal: PortalShortcut
    has_azure_plan: bool = False
    azure_subscriptions: list[tuple[AzureEntitlement, str]] = field(default_factory=list)
    gdap: TenantGdap | None = None
    admin_refusal: str = ""
    """Why the user may not open the admin portals on the customer's behalf now ("" when they may)."""


@dataclass
class SubscriptionRow:
    subscription: Subscription
    is_azure_plan: bool
    is_dynamics: bool
    open_operation: ProvisioningOperation | None


@dataclass
class Panel:
    customer: Customer
    tenants: list[TenantView]
    subscriptions: list[SubscriptionRow]


def _families(subscriptions: list[Subscription]) -> dict[tuple[int, str], str]:
    keys = {(s.tenant.instance_id, s.pc_product_id) for s in subscriptions if s.pc_product_id}
    if not keys:
        return {}
    rows = Product.objects.filter(
        instance_id__in={k[0] for k in keys}, product_id__in={k[1] for k in keys}
    ).values_list("instance_id", "product_id", "family")
    return {(instance_id, product_id): family for instance_id, product_id, family in rows}


def workspace_panel_for_user(*, user: User, customer_id: int) -> Panel:
    customer = bss_selectors.customer_get_for_user(user=user, customer_id=customer_id)
    subscriptions = list(
        bss_selectors.subscription_list_for_user(user=user)
        .filter(customer=customer)
        .prefetch_related("azure_entitlements")
        .order_by("tenant__default_domain", "name", "id")
    )
    families = _families(subscriptions)
    open_ops = {
        op.subscription_id: op
        for op in ProvisioningOperation.objects.filter(
            subscription__in=[s.pk for s in subscriptions], status__in=OPEN_STATUSES
        ).order_by("created_at")
    }
    rows = [
        SubscriptionRow(
            subscription=s,
            is_azure_plan=services.subscription_is_azure_plan(s),
            is_dynamics=services.subscription_is_dynamics(
                s, family=families.get((s.tenant.instance_id, s.pc_product_id), "")
            ),
            open_operation=open_ops.get(s.pk),
        )
        for s in subscriptions
    ]
    tenants = []
    tenant_rows = list(bss_selectors.tenant_list_for_user(user=user).filter(customer=customer)
                       .order_by("default_domain"))
    gdap = gdap_for_tenants(t.pk for t in tenant_rows)
    for tenant in tenant_rows:
        view = TenantView(tenant=tenant, portal=portal_shortcut(tenant), gdap=gdap[tenant.pk],
                          admin_refusal=gdap_admin_access_refusal(actor=user, tenant=tenant, action="admin_portal"))
        for row in rows:
            if row.subscription.tenant_id == tenant.pk and row.is_azure_plan:
                view.has_azure_plan = True
                view.azure_subscriptions.extend(
                    (ent, azure_entitlement_url(view.portal, tenant.default_domain, ent.pc_entitlement_id))
                    for ent in row.subscription.azure_entitlements.all()
                )
        tenants.append(view)
    return Panel(customer=customer, tenants=tenants, subscriptions=rows)


def workspace_tenant_for_user(*, user: User, tenant_id: int) -> MicrosoftTenant:
    """One tenant the user may see (a foreign one is NotFound)."""
    tenant = bss_selectors.tenant_list_for_user(user=user).select_related("instance").filter(pk=tenant_id).first()
    if tenant is None:
        raise NotFound("Tenant not found.")
    return tenant


# --- the reseller's list of workspaces ------------------------------------------------------------------------------


def workspace_list_for_user(
    *,
    user: User,
    search: str = "",
    status: str = "",
    cloud: str = "",
    renewing_within: int | None = None,
    today: date | None = None,
) -> QuerySet[Customer]:
    """The customers whose workspaces the user may open, with counts and the next term end of their live
    subscriptions; filtered by company/domain, customer status, tenant cloud and renewals due soon."""
    today = today or timezone.localdate()
    live = Q(subscriptions__status__in=LIVE_SUBSCRIPTION_STATUSES)
    qs = bss_selectors.customer_list_for_user(user=user, search=search)
    if status in CustomerStatus.values:
        qs = qs.filter(status=status)
    if cloud in Cloud.values:
        qs = qs.filter(tenants__instance__cloud=cloud)
    if renewing_within is not None:
        qs = qs.filter(
            subscriptions__status=SubscriptionStatus.ACTIVE,
            subscriptions__commitment_end_date__gte=today,
            subscriptions__commitment_end_date__lte=today + timedelta(days=renewing_within),
        )
    return (
        qs.distinct()
        .annotate(
            tenant_count=Count("tenants", distinct=True),
            live_subscription_count=Count("subscriptions", filter=live, distinct=True),
            next_term_end=Min(
                "subscriptions__commitment_end_date",
                filter=Q(
                    subscriptions__status=SubscriptionStatus.ACTIVE, subscriptions__commitment_end_date__gte=today
                ),
            ),
        )
        .order_by("company_name", "id")
    )


# --- subscription details ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerCenterRead:
    subscription: PCSubscription | None
    message: str = ""


def subscription_partner_center_read(subscription: Subscription) -> PartnerCenterRead:
    """The subscription as Partner Center has it now (creation date, refundable batches...), or why not."""
    tenant = subscription.tenant
    if not subscription.pc_subscription_id or not tenant.pc_customer_id:
        return PartnerCenterRead(None, "This subscription is not linked to Partner Center yet.")
    try:
        pc = get_client(tenant.instance).subscriptions.get(
            customer_id=tenant.pc_customer_id, subscription_id=subscription.pc_subscription_id
        )
    except pc_errors.PartnerCenterError as exc:
        logger.warning("subscription %s: Partner Center read failed: %s", subscription.pk, exc)
        return PartnerCenterRead(None, "Partner Center could not be read right now; the details below are the BSS "
                                       "record.")
    return PartnerCenterRead(pc)


def subscription_operations(subscription: Subscription, *, limit: int = 10) -> list[ProvisioningOperation]:
    return list(
        ProvisioningOperation.objects.filter(subscription=subscription).select_related("created_by")
        .order_by("-created_at", "-id")[:limit]
    )


_ACTION_LABELS = {
    "subscription.create": "Subscription recorded",
    "subscription.quantity": "Quantity confirmed by Partner Center",
    "subscription.auto_renew": "Auto-renew confirmed by Partner Center",
    "subscription.suspended": "Suspended (confirmed by Partner Center)",
    "subscription.active": "Active (confirmed by Partner Center)",
    "subscription.deleted": "Cancelled (confirmed by Partner Center)",
    "subscription.renewal_reminder_sent": "Renewal reminder sent",
    "operation.fail": "Partner Center refused the change",
    "operation.retry": "Change retried",
    "operation.run_now": "Change run now",
}


def history_label(action: str) -> str:
    if action in _ACTION_LABELS:
        return _ACTION_LABELS[action]
    if action.startswith("subscription.request_"):
        kind = action.removeprefix("subscription.request_")
        return f"Requested: {OperationKind(kind).label.lower() if kind in OperationKind.values else kind}"
    return action


@dataclass(frozen=True)
class HistoryRow:
    event: AuditEvent
    changes: list[tuple[str, Any, Any]]

    @property
    def label(self) -> str:
        return history_label(self.event.action)


def _changes(event: AuditEvent) -> list[tuple[str, Any, Any]]:
    before, after = event.before or {}, event.after or {}
    keys = [k for k in after if k not in before] if not before else list(dict.fromkeys([*before, *after]))
    return [
        (key.replace("_", " "), before.get(key), after.get(key))
        for key in keys
        if not before or before.get(key) != after.get(key)
    ]


def subscription_history(subscription: Subscription, *, limit: int = 100) -> list[HistoryRow]:
    """The subscription's audit trail: its own events and those of its provisioning operations (failures too),
    newest first, each with the fields it changed."""
    operation_ids = [str(pk) for pk in ProvisioningOperation.objects.filter(subscription=subscription)
                     .values_list("pk", flat=True)]
    events = AuditEvent.objects.filter(
        Q(object_type=Subscription._meta.label, object_id=str(subscription.pk))
        | Q(object_type=ProvisioningOperation._meta.label, object_id__in=operation_ids)
    ).order_by("-created_at", "-id")[:limit]
    return [HistoryRow(event=e, changes=_changes(e)) for e in events]


def subscription_family(subscription: Subscription) -> str:
    return _families([subscription]).get((subscription.tenant.instance_id, subscription.pc_product_id), "")


@dataclass
class SubscriptionDetail:
    subscription: Subscription
    portal: PortalShortcut
    pc: PartnerCenterRead
    seats: services.SeatWindows
    operations: list[ProvisioningOperation]
    history: list[HistoryRow]
    is_azure_plan: bool
    is_dynamics: bool
    actions: frozenset[str]
    cancel_window_open: bool
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def open_operation(self) -> ProvisioningOperation | None:
        return next((op for op in self.operations if op.is_open), None)

    @property
    def last_operation(self) -> ProvisioningOperation | None:
        return self.operations[0] if self.operations else None


def subscription_detail_for_user(*, user: User, subscription_id: int, live: bool = True) -> SubscriptionDetail:
    subscription = bss_selectors.subscription_get_for_user(user=user, subscription_id=subscription_id)
    pc = subscription_partner_center_read(subscription) if live else PartnerCenterRead(None)
    now = timezone.now()
    seats = services.subscription_seat_windows(
        subscription, now=now, pc_refundable=pc.subscription.refundable_quantity if pc.subscription else None
    )
    until = subscription.cancellation_allowed_until  # the page shows what the service will decide (bss.rules)
    return SubscriptionDetail(
        subscription=subscription,
        portal=portal_shortcut(subscription.tenant),
        pc=pc,
        seats=seats,
        operations=subscription_operations(subscription),
        history=subscription_history(subscription),
        is_azure_plan=services.subscription_is_azure_plan(subscription),
        is_dynamics=services.subscription_is_dynamics(subscription, family=subscription_family(subscription)),
        actions=services.actions_for_user(user),
        cancel_window_open=cancellation_allowed(until, now),
    )


# --- renewals -------------------------------------------------------------------------------------------------------


@dataclass
class RenewalRow:
    subscription: Subscription
    days_left: int
    reminder: RenewalReminder | None


def renewal_list_for_user(*, user: User, today: date | None = None, days: int | None = None) -> list[RenewalRow]:
    """Live subscriptions whose term ends within `days` (default RENEWAL_REMINDER_DAYS), soonest first, with the
    reminder sent for that term end, if any."""
    today = today or timezone.localdate()
    days = settings.RENEWAL_REMINDER_DAYS if days is None else days
    subscriptions = list(
        bss_selectors.subscription_list_for_user(user=user)
        .filter(
            status__in=(SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED),
            commitment_end_date__gte=today,
            commitment_end_date__lte=today + timedelta(days=days),
        )
        .select_related("customer__reseller")
        .order_by("commitment_end_date", "customer__company_name", "id")[:500]
    )
    reminders = {
        (r.subscription_id, r.term_end): r
        for r in RenewalReminder.objects.filter(subscription__in=[s.pk for s in subscriptions])
    }
    return [
        RenewalRow(
            subscription=s,
            days_left=(s.commitment_end_date - today).days,
            reminder=reminders.get((s.pk, s.commitment_end_date)),
        )
        for s in subscriptions
        if s.commitment_end_date is not None  # always, by the filter above
    ]
