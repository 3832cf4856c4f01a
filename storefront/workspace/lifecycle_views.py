"""A subscription's upgrade page (Partner Center transitions) and add-ons page, in the storefront workspace.

Thin: the selectors scope the subscription to the user (a foreign one is a 404), the provisioning services decide
and refuse (`provisioning.services.upgrades`, `.addons`); a refusal re-renders the page with its message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from bss import selectors as bss_selectors
from bss.choices import UserRole
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from bss.models import Subscription
from provisioning.services import addons as addon_services
from provisioning.services import upgrades as upgrade_services
from storefront import selectors as storefront_selectors
from storefront.access import storefront_user_required
from storefront.workspace.lifecycle_forms import AddonForm, UpgradeForm


def _render(
    request: AuthenticatedHttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context.setdefault("cart_count", storefront_selectors.cart_line_count(user=request.user))
    context.setdefault("is_reseller_side", request.user.role != UserRole.CUSTOMER)
    return render(request, template, context, status=status)


def _upgrade_page(request: AuthenticatedHttpRequest, sub: Subscription, form: UpgradeForm, status: int = 200,
                  error: str = "") -> HttpResponse:
    context = {
        "subscription": sub,
        "customer": sub.customer,
        "form": form,
        "options": upgrade_services.upgrade_options(subscription=sub),
        "error": error,
    }
    return _render(request, "workspace/subscription_upgrade.html", context, status=status)


@storefront_user_required
def subscription_upgrade(request: AuthenticatedHttpRequest, subscription_id: int) -> HttpResponse:
    sub = bss_selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    if request.method != "POST":
        return _upgrade_page(request, sub, UpgradeForm(initial={"quantity": sub.quantity, "into": "new"}))
    form = UpgradeForm(request.POST)
    if not form.is_valid():
        return _upgrade_page(request, sub, form, status=400, error="Choose the target and how many licences move.")
    try:
        upgrade_services.subscription_upgrade_request(
            actor=request.user,
            subscription=sub,
            to_catalog_item_id=form.cleaned_data["to_catalog_item_id"],
            quantity=form.cleaned_data["quantity"],
            to_subscription_id=form.target_subscription_id(),
            effective_on=form.cleaned_data.get("effective_on"),
            promotion_loss_confirmed=bool(form.cleaned_data.get("promotion_loss_confirmed")),
        )
    except ApplicationError as exc:
        return _upgrade_page(request, sub, form, status=exc.http_status, error=exc.message)
    messages.success(request, "The upgrade was sent to Partner Center; the subscription changes once it confirms.")
    return redirect("workspace:subscription", subscription_id=sub.pk)


def _addons_page(request: AuthenticatedHttpRequest, sub: Subscription, form: AddonForm, status: int = 200,
                 error: str = "") -> HttpResponse:
    context = {
        "subscription": sub,
        "customer": sub.customer,
        "form": form,
        "offers": addon_services.addon_offers(base=sub),
        "addons": sub.addons.order_by("name"),
        "error": error,
    }
    return _render(request, "workspace/subscription_addons.html", context, status=status)


@storefront_user_required
def subscription_addons(request: AuthenticatedHttpRequest, subscription_id: int) -> HttpResponse:
    sub = bss_selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    if request.method != "POST":
        return _addons_page(request, sub, AddonForm())
    form = AddonForm(request.POST)
    if not form.is_valid():
        return _addons_page(request, sub, form, status=400, error="Choose an add-on, its plan and the licences.")
    try:
        order = addon_services.addon_order_submit(
            actor=request.user,
            base=sub,
            offer_id=form.cleaned_data["offer"],
            plan_key=form.cleaned_data["plan"],
            quantity=form.cleaned_data["quantity"],
        )
    except ApplicationError as exc:
        return _addons_page(request, sub, form, status=exc.http_status, error=exc.message)
    messages.success(request, f"The add-on was ordered ({order}); it is co-terminous with {sub.name}.")
    return redirect("workspace:subscription", subscription_id=sub.pk)
