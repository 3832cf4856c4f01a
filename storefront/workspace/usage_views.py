"""Workspace > Azure usage of a customer: month to date and by day (chart and table per Azure subscription and
meter category), the forecast to month end, a CSV export, and the budgets with the alerts they sent. The reseller
(and staff) set budgets here; the customer sees them. Thin: the core's selector scopes the customer to the user
(a foreign one is a 404), `reconciliation.usage` reads and acts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from bss import selectors as bss_selectors
from bss.choices import UserRole
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from bss.models import Customer
from reconciliation.usage import selectors
from reconciliation.usage.chart import usage_day_chart
from reconciliation.usage.exports import usage_csv
from reconciliation.usage.services.budgets import budget_delete, budget_set
from storefront import selectors as storefront_selectors
from storefront.access import storefront_user_required


def usage_context(customer: Customer, month_text: str | None, entitlement: str) -> dict[str, Any]:
    year, month = selectors.parse_month(month_text, selectors.latest_month(customer, timezone.now().date()))
    summary = selectors.usage_summary(customer, year, month, entitlement_id=entitlement)
    series = summary.day_series()
    days_left = summary.days_in_month - (summary.last_day.day if summary.last_day else 0)
    per_day = ((summary.forecast - summary.total) / days_left) if days_left and not summary.closed else None
    chart = usage_day_chart(series, currency=summary.currency, forecast_per_day=per_day,
                            label=f"Azure usage per day, {year}-{month:02d} ({summary.currency})")
    return {"customer": customer, "summary": summary, "chart": chart, "month_value": f"{year}-{month:02d}",
            "entitlement": entitlement, "entitlements": selectors.entitlements_of(customer),
            "budgets": selectors.budgets_of(customer), "alerts": selectors.alerts_of(customer, limit=20)}


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
    year, month = selectors.parse_month(request.GET.get("month"),
                                        selectors.latest_month(customer, timezone.now().date()))
    rows = selectors.daily_rows(customer, year, month, entitlement_id=(request.GET.get("entitlement") or "").lower())
    response = HttpResponse(usage_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="azure-usage-{customer.pk}-{year}-{month:02d}.csv"'
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
