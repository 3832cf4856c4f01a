"""Storefront workspace: a subscription's change at renewal (reseller), and the reseller's renewal planner
(renewals due in the next N days with the price at renewal, changes at renewal set in bulk, reminders sent, CSV).

Thin: reads from `billing.selectors_renewals` (scoped to the user), writes through `provisioning.services.renewals`
(the same service as the back office and its rules: reseller only, auto-renew on, a target Partner Center sells);
a refusal re-renders the form with its message."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from billing.selectors_renewals import DEFAULT_DAYS, PLANNER_CSV_HEADER, planner_csv_rows, renewal_plan_for_user
from bss import selectors as bss_selectors
from bss.choices import BillingCycle, TermDuration, UserRole
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from bss.models import NextTermInstruction, Subscription
from provisioning.services import renewals as renewal_services
from storefront import selectors as storefront_selectors
from storefront.access import storefront_user_required

TERMS = [("", "As now")] + [(v, label) for v, label in TermDuration.choices if v]
CYCLES = [("", "As now")] + [(v, label) for v, label in BillingCycle.choices if v not in ("none", "one_time")]


class NextTermForm(forms.Form):
    quantity = forms.IntegerField(required=False, min_value=1, label="Quantity at renewal")
    term_duration = forms.ChoiceField(required=False, choices=TERMS, label="Term at renewal")
    billing_cycle = forms.ChoiceField(required=False, choices=CYCLES, label="Billing cycle at renewal")
    catalog_item_id = forms.CharField(required=False, max_length=100, label="Renew into another SKU",
                                      help_text="product:sku (an upgrade Partner Center allows at renewal).")


class BulkForm(forms.Form):
    term_duration = forms.ChoiceField(required=False, choices=TERMS)
    billing_cycle = forms.ChoiceField(required=False, choices=CYCLES)


def _render(request: AuthenticatedHttpRequest, template: str, context: dict[str, Any], status: int = 200
            ) -> HttpResponse:
    context.setdefault("cart_count", storefront_selectors.cart_line_count(user=request.user))
    context.setdefault("is_reseller_side", request.user.role != UserRole.CUSTOMER)
    return render(request, template, context, status=status)


def _csv_response(filename: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> HttpResponse:
    """A small CSV download; a text cell that would start a spreadsheet formula gets a leading apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["'" + v if isinstance(v, str) and v.startswith(("=", "+", "-", "@")) else v for v in row])
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _int(value: str | None, default: int | None = None) -> int | None:
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


def _page(request: AuthenticatedHttpRequest, sub: Subscription, form: NextTermForm, *, status: int = 200,
          error: str = "") -> HttpResponse:
    context = {
        "subscription": sub, "sub": sub, "customer": sub.customer, "form": form, "error": error,
        "instruction": NextTermInstruction.objects.filter(subscription=sub).first(),
    }
    return _render(request, "workspace/subscription_renewal.html", context, status=status)


@storefront_user_required
def subscription_renewal(request: AuthenticatedHttpRequest, subscription_id: int) -> HttpResponse:
    sub = bss_selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    if request.method != "POST":
        instruction = NextTermInstruction.objects.filter(subscription=sub).first()
        initial: dict[str, Any] = instruction.as_payload() if instruction is not None else {}
        if instruction is not None and instruction.pc_product_id:
            initial["catalog_item_id"] = f"{instruction.pc_product_id}:{instruction.pc_sku_id}"
        return _page(request, sub, NextTermForm(initial=initial))
    form = NextTermForm(request.POST)
    try:
        if request.POST.get("clear"):
            renewal_services.next_term_clear(actor=request.user, subscription=sub)
            messages.success(request, "The change at renewal is cleared: the subscription renews as it is.")
        else:
            if not form.is_valid():
                return _page(request, sub, form, status=400, error="Correct the fields below.")
            renewal_services.next_term_request(
                actor=request.user, subscription=sub, wanted=renewal_services.NextTermRequest(**form.cleaned_data)
            )
            messages.success(request, "The change at renewal is being sent to Partner Center.")
    except ApplicationError as exc:
        return _page(request, sub, form, status=400, error=exc.message)
    return redirect("workspace:subscription", subscription_id=sub.pk)


@storefront_user_required
def renewal_planner(request: AuthenticatedHttpRequest) -> HttpResponse:
    days = _int(request.GET.get("days"), DEFAULT_DAYS) or DEFAULT_DAYS
    rows = renewal_plan_for_user(user=request.user, days=days)
    if request.GET.get("format") == "csv":
        return _csv_response("renewals", PLANNER_CSV_HEADER, planner_csv_rows(rows))
    return _render(request, "workspace/renewal_planner.html", {
        "rows": rows, "days": days, "bulk_form": BulkForm(), "query": request.GET.urlencode(),
    })


@storefront_user_required
@require_POST
def renewal_planner_bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    back = reverse("workspace:renewal_planner") + "?" + request.POST.get("query", "")
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
