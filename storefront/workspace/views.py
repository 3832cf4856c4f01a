"""Workspace pages: the service setup panel (tenants, portals, subscriptions), the reseller's list of customer
workspaces, the subscription details page with its actions, and the renewals list.

Thin views: selectors read (scoped to the user; a foreign object is a 404), services act, every change is a
provisioning operation whose status the details page shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from billing import selectors_doors as billing_selectors
from bss import selectors as bss_selectors
from bss.choices import UserRole
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from bss.models import Subscription
from bss.services.gdap_admin import gdap_admin_access_check
from provisioning.models import ProvisioningOperation
from storefront import confirmations
from storefront import selectors as storefront_selectors
from storefront.access import storefront_user_required
from storefront.workspace import selectors, services
from storefront.workspace.forms import (
    AutoRenewForm,
    ExtraLicencesForm,
    QuantityForm,
    RenewalFilterForm,
    WorkspaceFilterForm,
)


def _page(request: AuthenticatedHttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context.setdefault("cart_count", storefront_selectors.cart_line_count(user=request.user))
    context.setdefault("is_reseller_side", request.user.role != UserRole.CUSTOMER)
    context.setdefault("now_dt", timezone.now())
    return render(request, template, context, status=status)


@storefront_user_required
@require_GET
def workspace_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Resellers (and staff): every customer's workspace, searchable and filterable. A customer goes to its own."""
    if request.user.role == UserRole.CUSTOMER:
        return redirect("workspace:panel", customer_id=request.user.customer_id)
    form = WorkspaceFilterForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    renewing = values.get("renewing")
    customers = selectors.workspace_list_for_user(
        user=request.user,
        search=(values.get("q") or "").strip(),
        status=values.get("status") or "",
        cloud=values.get("cloud") or "",
        renewing_within=int(renewing) if renewing else None,
    )[:200]
    return _page(request, "workspace/list.html", {"form": form, "customers": customers})


@storefront_user_required
@require_GET
def workspace_panel(request: AuthenticatedHttpRequest, customer_id: int) -> HttpResponse:
    panel = selectors.workspace_panel_for_user(user=request.user, customer_id=customer_id)
    return _page(
        request,
        "workspace/panel.html",
        {"panel": panel, "customer": panel.customer, "actions": services.actions_for_user(request.user)},
    )


@storefront_user_required
@require_GET
def subscription_detail(request: AuthenticatedHttpRequest, subscription_id: int) -> HttpResponse:
    detail = selectors.subscription_detail_for_user(user=request.user, subscription_id=subscription_id)
    sub = detail.subscription
    context = {
        "detail": detail,
        "subscription": sub,
        "customer": sub.customer,
        "quantity_form": QuantityForm(initial={"quantity": sub.quantity}),
        "extra_form": ExtraLicencesForm(initial={"additional": 1}),
        "next_charge": billing_selectors.next_charge(sub),
    }
    return _page(request, "workspace/subscription_detail.html", context)


PORTALS = {"admin": "admin_portal", "azure": "azure_portal"}


@storefront_user_required
@require_GET
def tenant_portal(request: AuthenticatedHttpRequest, tenant_id: int, portal: str) -> HttpResponse:
    """Open a Microsoft portal of the tenant: on the customer's behalf (reseller, staff) only while a live GDAP
    relationship grants a needed role; the refusal is shown on the panel."""
    if portal not in PORTALS:
        raise Http404("Not found")
    tenant = selectors.workspace_tenant_for_user(user=request.user, tenant_id=tenant_id)
    try:
        gdap_admin_access_check(actor=request.user, tenant=tenant, action=PORTALS[portal])
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("workspace:panel", customer_id=tenant.customer_id)
    shortcut = selectors.portal_shortcut(tenant)
    if shortcut.retired:
        messages.error(request, "This tenant is in a retired cloud: its portals are no longer available.")
        return redirect("workspace:panel", customer_id=tenant.customer_id)
    return redirect(shortcut.admin_url if portal == "admin" else shortcut.azure_url)


# --- actions ----------------------------------------------------------------------------------------------------

Action = Callable[[AuthenticatedHttpRequest, Subscription], ProvisioningOperation | None]


def _quantity(request: AuthenticatedHttpRequest, sub: Subscription) -> ProvisioningOperation | None:
    form = QuantityForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the new quantity (a whole number of at least 1).")
        return None
    return services.subscription_quantity_change(
        actor=request.user, subscription=sub, quantity=form.cleaned_data["quantity"]
    )


def _extra_licences(request: AuthenticatedHttpRequest, sub: Subscription) -> ProvisioningOperation | None:
    form = ExtraLicencesForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter how many licences to add (a whole number of at least 1).")
        return None
    return services.subscription_extra_licences_buy(
        actor=request.user, subscription=sub, additional=form.cleaned_data["additional"]
    )


def _auto_renew(request: AuthenticatedHttpRequest, sub: Subscription) -> ProvisioningOperation | None:
    form = AutoRenewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose whether auto-renew should be on or off.")
        return None
    return services.subscription_auto_renew_set(
        actor=request.user, subscription=sub, enabled=form.cleaned_data["enabled"] == "on"
    )


ACTIONS: dict[str, tuple[Action, str]] = {
    "quantity": (_quantity, "The quantity change"),
    "extra_licences": (_extra_licences, "The purchase of extra licences"),
    "suspend": (lambda r, s: services.subscription_suspend(actor=r.user, subscription=s), "The suspension"),
    "reactivate": (lambda r, s: services.subscription_reactivate(actor=r.user, subscription=s), "The reactivation"),
    "auto_renew": (_auto_renew, "The auto-renew change"),
    "cancel": (lambda r, s: services.subscription_cancel(actor=r.user, subscription=s), "The cancellation"),
}


@storefront_user_required
@require_POST
def subscription_action(request: AuthenticatedHttpRequest, subscription_id: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("Not found")
    sub = bss_selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    handler, label = ACTIONS[action]
    # Cancel, reduce and suspend say what they will do first: a confirmation page posting back with confirm=yes
    # (only what the user may do: anything else goes straight to the core's refusal).
    confirmation = None
    if {"quantity": "decrease"}.get(action, action) in services.actions_for_user(request.user):
        lowest = services.subscription_seat_windows(sub).lowest_quantity if action == "quantity" else None
        confirmation = confirmations.confirmation_for(
            subscription=sub, action=action, posted=request.POST.dict(), lowest_quantity=lowest
        )
    if confirmation is not None:
        return _page(request, "workspace/confirm_action.html",
                     {"confirmation": confirmation, "subscription": sub, "customer": sub.customer})
    try:
        operation = handler(request, sub)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("workspace:subscription", subscription_id=sub.pk)
    if operation is not None:
        messages.info(
            request,
            f"{label} has been sent to Microsoft Partner Center (operation #{operation.pk}). The subscription "
            "changes here once Partner Center confirms it; its status is shown below.",
        )
    return redirect("workspace:subscription", subscription_id=sub.pk)


# --- renewals ----------------------------------------------------------------------------------------------------


@storefront_user_required
@require_GET
def renewal_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = RenewalFilterForm(request.GET or None)
    days = form.cleaned_data.get("days") if form.is_valid() else None
    rows = selectors.renewal_list_for_user(user=request.user, days=days)
    return _page(
        request,
        "workspace/renewals.html",
        {
            "rows": rows,
            "form": form,
            "days": days or settings.RENEWAL_REMINDER_DAYS,
            "settings_days": settings.RENEWAL_REMINDER_DAYS,
        },
    )
