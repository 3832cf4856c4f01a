"""Back office: staff act on a customer's GDAP relationships (from the customer's page or the relationship's page):
request another template's relationship, extend one (auto-extend, duration), terminate one. Thin views: the rules
and the audit are in `bss.services.gdap_admin`; a refusal is shown as a message on the page the staff came from."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from backoffice.access import staff_required
from bss import selectors as bss_selectors
from bss import selectors_backoffice as bo
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from bss.models import GdapRelationship, GdapRoleTemplate
from bss.selectors_gdap import gdap_role_names
from bss.services import gdap_admin

VIEW_GDAP = "bss.view_gdaprelationship"
CHANGE_GDAP = "bss.change_gdaprelationship"


def _back(request: AuthenticatedHttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                 require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@staff_required(VIEW_GDAP)
def relationship_detail(request: AuthenticatedHttpRequest, relationship_id: int) -> HttpResponse:
    relationship = get_object_or_404(
        GdapRelationship.objects.select_related("tenant__customer__reseller", "tenant__instance", "template"),
        pk=relationship_id)
    return render(request, "gdap/relationship_detail.html", {
        "r": relationship, "roles": gdap_role_names(relationship.role_ids),
        "can_change": request.user.has_perm(CHANGE_GDAP),
        "audit_events": bo.audit_events_for(objects=[("bss.GdapRelationship", relationship.pk)]),
    })


@require_POST
@staff_required(CHANGE_GDAP)
def relationship_request(request: AuthenticatedHttpRequest, customer_id: int) -> HttpResponse:
    customer = bss_selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    fallback = reverse("backoffice:customer_detail", args=[customer.pk])
    tenant = customer.tenants.select_related("instance").filter(pk=request.POST.get("tenant") or 0).first()
    template = GdapRoleTemplate.objects.filter(pk=request.POST.get("template") or 0).first()
    if tenant is None or template is None:
        messages.error(request, "Choose the tenant and the role template.")
        return _back(request, fallback)
    try:
        row = gdap_admin.gdap_relationship_request(actor=request.user, tenant=tenant, template=template)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"GDAP relationship '{row.display_name}' requested: send the approval link to a "
                                  f"global administrator of {tenant.default_domain}: {row.approval_url}")
    return _back(request, fallback)


@require_POST
@staff_required(CHANGE_GDAP)
def relationship_extend(request: AuthenticatedHttpRequest, relationship_id: int) -> HttpResponse:
    relationship = get_object_or_404(GdapRelationship, pk=relationship_id)
    duration = request.POST.get("duration_days", "").strip()
    try:
        days = int(duration) if duration else None
    except ValueError:
        messages.error(request, "The duration is a whole number of days (1 to 730).")
        return _back(request, reverse("gdap:detail", args=[relationship.pk]))
    try:
        row = gdap_admin.gdap_relationship_extend(actor=request.user, relationship=relationship,
                                                  auto_extend=request.POST.get("auto_extend") == "on",
                                                  duration_days=days)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"'{row.display_name}': auto-extend {'on' if row.auto_extend else 'off'}"
                                  f"{f', ends {row.end_at:%Y-%m-%d}' if row.end_at else ''}.")
    return _back(request, reverse("gdap:detail", args=[relationship.pk]))


@require_POST
@staff_required(CHANGE_GDAP)
def relationship_terminate(request: AuthenticatedHttpRequest, relationship_id: int) -> HttpResponse:
    relationship = get_object_or_404(GdapRelationship, pk=relationship_id)
    try:
        row = gdap_admin.gdap_relationship_terminate(actor=request.user, relationship=relationship)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"'{row.display_name}' is {row.get_status_display().lower()}.")
    return _back(request, reverse("gdap:detail", args=[relationship.pk]))
