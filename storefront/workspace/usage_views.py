"""Workspace > Azure usage of a customer: month to date and by day (chart and table per Azure subscription and
meter category), the forecast to month end, a CSV export, and the budgets with the alerts they sent. The reseller
(and staff) set budgets here; the customer sees them. Thin: the core's selector scopes the customer to the user
(a foreign one is a 404), `reconciliation.usage` reads and acts."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from bss import selectors as bss_selectors
from bss.choices import UserRole
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from reconciliation.usage.page import month_csv, usage_context
from reconciliation.usage.services.budgets import budget_delete, budget_set
from storefront import selectors as storefront_selectors
from storefront.access import storefront_user_required


def _page(request: AuthenticatedHttpRequest, customer_id: int, *, status: int = 200,
          form_error: str = "") -> HttpResponse:
    customer = bss_selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    context = usage_context(customer, request.GET.get("month"), (request.GET.get("entitlement") or "").lower())
    context.update({"cart_count": storefront_selectors.cart_line_count(user=request.user),
                    "is_reseller_side": request.user.role != UserRole.CUSTOMER, "form_error": form_error,
                    "form_values": request.POST if form_error else {}})
    return render(request, "workspace/usage.html", context, status=status)


@storefront_user_required
@require_GET
def usage_page(request: AuthenticatedHttpRequest, customer_id: int) -> HttpResponse:
    return _page(request, customer_id)


@storefront_user_required
@require_GET
def usage_export(request: AuthenticatedHttpRequest, customer_id: int) -> HttpResponse:
    customer = bss_selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    text, name = month_csv(customer, request.GET.get("month"), (request.GET.get("entitlement") or "").lower())
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@storefront_user_required
@require_POST
def budget_save(request: AuthenticatedHttpRequest, customer_id: int) -> HttpResponse:
    data = request.POST
    try:
        window = int(data.get("spike_window_days") or 7)
        budget_set(user=request.user, customer_id=customer_id, amount=data.get("amount", ""),
                   entitlement_id=data.get("entitlement_id", ""), thresholds=data.get("thresholds", ""),
                   forecast_alert=bool(data.get("forecast_alert")), spike_factor=data.get("spike_factor") or None,
                   spike_window_days=window)
    except ValueError:
        return _page(request, customer_id, status=400, form_error="The spike window is a number of days.")
    except ApplicationError as exc:
        if exc.code == "not_found":
            raise
        return _page(request, customer_id, status=400, form_error=exc.message)
    messages.success(request, "Budget saved.")
    return redirect("workspace_usage:usage", customer_id=customer_id)


@storefront_user_required
@require_POST
def budget_remove(request: AuthenticatedHttpRequest, customer_id: int, budget_id: int) -> HttpResponse:
    try:
        budget_delete(user=request.user, budget_id=budget_id)
    except ApplicationError as exc:
        return _page(request, customer_id, status=400, form_error=exc.message)
    messages.success(request, "Budget removed.")
    return redirect("workspace_usage:usage", customer_id=customer_id)
