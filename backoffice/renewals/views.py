"""Back office: the renewal planner (renewals due in the next N days, price at renewal, change at renewal, reminders
sent; bulk "set change at renewal"; CSV export) and one subscription's change-at-renewal page.

Thin: reads from `billing.selectors_renewals`, writes through `provisioning.services.renewals`, whose refusal is
shown (a form re-renders with it; the bulk form lists each refused subscription with its reason)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from backoffice import exports
from backoffice.access import staff_required
from backoffice.renewals.forms import NextTermForm, PlannerBulkForm
from billing.selectors_renewals import (
    DEFAULT_DAYS,
    PLANNER_CSV_HEADER,
    planner_csv_rows,
    renewal_plan_for_user,
)
from bss import selectors as bss_selectors
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from bss.models import NextTermInstruction, Reseller, Subscription
from bss.rules.permissions import Resource
from provisioning.services import renewals as renewal_services

VIEW_SUBSCRIPTIONS = Resource.SUBSCRIPTION


def _int(value: str | None, default: int | None = None) -> int | None:
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


@staff_required(VIEW_SUBSCRIPTIONS)
def planner(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    days = _int(request.GET.get("days"), DEFAULT_DAYS) or DEFAULT_DAYS
    reseller_id = _int(request.GET.get("reseller"))
    rows = renewal_plan_for_user(user=request.user, days=days, reseller_id=reseller_id,
                                 customer_id=_int(request.GET.get("customer")))
    if request.GET.get("format"):
        return exports.rows_export_response(
            request.GET["format"], "renewals", PLANNER_CSV_HEADER, planner_csv_rows(rows)
        )
    return render(
        request,
        "renewals/planner.html",
        {
            "rows": rows,
            "days": days,
            "reseller_id": reseller_id,
            "resellers": Reseller.objects.order_by("name"),
            "bulk_form": PlannerBulkForm(),
            "query": request.GET.urlencode(),
        },
    )


@staff_required(VIEW_SUBSCRIPTIONS)
@require_POST
def planner_bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PlannerBulkForm(request.POST)
    back = reverse("renewals:planner") + "?" + request.POST.get("query", "")
    ids = [i for i in (_int(v) for v in request.POST.getlist("subscription")) if i is not None]
    if not form.is_valid() or not ids:
        messages.error(request, "Select the subscriptions whose change at renewal you want to set.")
        return redirect(back)
    subs = {s.pk: s for s in bss_selectors.subscription_list_for_user(user=request.user).filter(pk__in=ids)}
    wanted = [
        (subs[i], renewal_services.NextTermRequest(
            quantity=_int(request.POST.get(f"quantity_{i}")),
            term_duration=form.cleaned_data["term_duration"],
            billing_cycle=form.cleaned_data["billing_cycle"],
        ))
        for i in ids if i in subs
    ]
    result = renewal_services.next_term_bulk_request(actor=request.user, wanted=wanted)
    if result.operations:
        messages.success(request, f"Change at renewal sent to Partner Center for {len(result.operations)} "
                                  f"subscription{'s' if len(result.operations) != 1 else ''}.")
    for sub, reason in result.refused:
        messages.error(request, f"{sub.customer} · {sub.name}: {reason}")
    return redirect(back)


def _next_term_page(request: AuthenticatedHttpRequest, sub: Subscription, form: NextTermForm, *,
                    status: int = 200, error: str = "") -> HttpResponse:
    instruction = NextTermInstruction.objects.filter(subscription=sub).first()
    context: dict[str, Any] = {"sub": sub, "form": form, "instruction": instruction, "error": error}
    return render(request, "renewals/subscription_next_term.html", context, status=status)


@staff_required(VIEW_SUBSCRIPTIONS)
def subscription_next_term(request: AuthenticatedHttpRequest, subscription_id: int) -> HttpResponse:
    sub = bss_selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    if request.method != "POST":
        instruction = NextTermInstruction.objects.filter(subscription=sub).first()
        initial = instruction.as_payload() if instruction is not None else {}
        if instruction is not None and instruction.pc_product_id:
            initial["catalog_item_id"] = f"{instruction.pc_product_id}:{instruction.pc_sku_id}"
        return _next_term_page(request, sub, NextTermForm(initial=initial))
    form = NextTermForm(request.POST)
    try:
        if request.POST.get("clear"):
            renewal_services.next_term_clear(actor=request.user, subscription=sub)
            messages.success(request, "The change at renewal is cleared: the subscription renews as it is.")
        else:
            if not form.is_valid():
                return _next_term_page(request, sub, form, status=400, error="Correct the fields below.")
            renewal_services.next_term_request(
                actor=request.user, subscription=sub, wanted=renewal_services.NextTermRequest(**form.cleaned_data)
            )
            messages.success(request, "The change at renewal is being sent to Partner Center.")
    except ApplicationError as exc:
        return _next_term_page(request, sub, form, status=400, error=exc.message)
    return redirect("backoffice:subscription_detail", subscription_id=sub.pk)
