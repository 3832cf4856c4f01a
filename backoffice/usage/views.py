"""BSS Setup > Tools > Azure usage: each instance's usage imports (status, lines, total; import now), the month's
usage per customer, and a customer's usage page (chart by day, table per Azure subscription and meter category,
forecast, CSV, budgets staff set, alerts sent). Reads from `reconciliation.usage`; acts through its services and
tasks."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from backoffice.access import staff_required
from bss import selectors as bss_selectors
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from bss.models import PartnerCenterInstance
from reconciliation.usage import selectors
from reconciliation.usage.models import UsageImport
from reconciliation.usage.page import month_csv, usage_context
from reconciliation.usage.services.budgets import budget_delete, budget_set
from reconciliation.usage.tasks import usage_import_instance_task

VIEW = "usage.view_usageimport"
IMPORT = "usage.change_usageimport"
BUDGET = "usage.change_usagebudget"


@staff_required(VIEW)
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.now().date()
    year, month = selectors.parse_month(request.GET.get("month"), (today.year, today.month))
    return render(request, "backoffice_usage/home.html", {
        "instances": list(PartnerCenterInstance.objects.filter(is_retired=False).order_by("name")),
        "imports": list(UsageImport.objects.select_related("instance").order_by("-year", "-month", "import_id")[:60]),
        "customers": selectors.customers_with_usage(year, month), "month_value": f"{year}-{month:02d}",
    })


@staff_required(VIEW)
@require_GET
def check(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A billed month's usage against what we billed: unknown tenants and usage not billed (leakage) first."""
    today = timezone.now().date()
    last = today.replace(day=1) - dt.timedelta(days=1)
    year, month = selectors.parse_month(request.GET.get("month"), (last.year, last.month))
    rows = selectors.usage_billing_check(year, month)
    return render(request, "backoffice_usage/check.html", {
        "rows": rows, "month_value": f"{year}-{month:02d}",
        "problems": sum(1 for r in rows if r.status != "billed"),
    })


@staff_required(IMPORT)
@require_POST
def instance_import(request: AuthenticatedHttpRequest, instance_id: int) -> HttpResponse:
    instance = get_object_or_404(PartnerCenterInstance, pk=instance_id, is_retired=False)
    transaction.on_commit(lambda: usage_import_instance_task.delay(instance.pk))
    messages.success(request, f"Usage import of {instance} started.")
    return redirect("usage:home")


def _customer_page(request: AuthenticatedHttpRequest, customer_id: int, *, status: int = 200,
                   form_error: str = "") -> HttpResponse:
    customer = bss_selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    context = usage_context(customer, request.GET.get("month"), (request.GET.get("entitlement") or "").lower())
    context.update({"form_error": form_error, "form_values": request.POST if form_error else {},
                    "can_set_budgets": request.user.has_perm(BUDGET)})
    return render(request, "backoffice_usage/customer.html", context, status=status)


@staff_required(VIEW)
@require_GET
def customer(request: AuthenticatedHttpRequest, customer_id: int) -> HttpResponse:
    return _customer_page(request, customer_id)


@staff_required(VIEW)
@require_GET
def customer_export(request: AuthenticatedHttpRequest, customer_id: int) -> HttpResponse:
    found = bss_selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    text, name = month_csv(found, request.GET.get("month"), (request.GET.get("entitlement") or "").lower())
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_required(BUDGET)
@require_POST
def budget_save(request: AuthenticatedHttpRequest, customer_id: int) -> HttpResponse:
    data = request.POST
    try:
        budget_set(user=request.user, customer_id=customer_id, amount=data.get("amount", ""),
                   entitlement_id=data.get("entitlement_id", ""), thresholds=data.get("thresholds", ""),
                   forecast_alert=bool(data.get("forecast_alert")), spike_factor=data.get("spike_factor") or None,
                   spike_window_days=int(data.get("spike_window_days") or 7))
    except ValueError:
        return _customer_page(request, customer_id, status=400, form_error="The spike window is a number of days.")
    except ApplicationError as exc:
        return _customer_page(request, customer_id, status=400, form_error=exc.message)
    messages.success(request, "Budget saved.")
    return redirect("usage:customer", customer_id=customer_id)


@staff_required(BUDGET)
@require_POST
def budget_remove(request: AuthenticatedHttpRequest, customer_id: int, budget_id: int) -> HttpResponse:
    try:
        budget_delete(user=request.user, budget_id=budget_id)
    except ApplicationError as exc:
        return _customer_page(request, customer_id, status=400, form_error=exc.message)
    messages.success(request, "Budget removed.")
    return redirect("usage:customer", customer_id=customer_id)
