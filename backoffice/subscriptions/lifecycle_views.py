"""Back office: a subscription's upgrade page (Partner Center transitions) and its add-ons. The same services as
the storefront's (`provisioning.services.upgrades`, `.addons`); staff need the change permission to upgrade."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from backoffice.access import staff_required
from backoffice.subscriptions.lifecycle_forms import UpgradeForm
from backoffice.subscriptions.views import VIEW_SUBSCRIPTIONS
from bss import selectors
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from bss.models import Subscription
from provisioning.services import addons as addon_services
from provisioning.services import upgrades as upgrade_services


def _page(request: AuthenticatedHttpRequest, sub: Subscription, form: UpgradeForm, status: int = 200,
          error: str = "") -> HttpResponse:
    context = {
        "sub": sub,
        "subscription": sub,
        "form": form,
        "options": upgrade_services.upgrade_options(subscription=sub),
        "error": error,
        "addons": sub.addons.order_by("name"),
        "offers": addon_services.addon_offers(base=sub) if sub.status == "active" else None,
    }
    return render(request, "backoffice/subscription_upgrade.html", context, status=status)


@staff_required(VIEW_SUBSCRIPTIONS)
def subscription_upgrade(request: AuthenticatedHttpRequest, subscription_id: int) -> HttpResponse:
    sub = selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    if request.method != "POST":
        return _page(request, sub, UpgradeForm(initial={"quantity": sub.quantity, "into": "new"}))
    form = UpgradeForm(request.POST)
    if not form.is_valid():
        return _page(request, sub, form, status=400, error="Choose the target and how many licences move.")
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
        return _page(request, sub, form, status=exc.http_status, error=exc.message)
    messages.success(request, "The upgrade was sent to Partner Center; the subscription changes once it confirms.")
    return redirect("backoffice:subscription_detail", subscription_id=sub.pk)
