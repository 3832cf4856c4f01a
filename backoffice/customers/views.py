"""Back office: customers (list with filters and search, CSV/Excel export, the customer's page, the profile edit)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render

from backoffice import exports, lists
from backoffice.access import staff_required
from backoffice.customers.forms import CustomerProfileForm
from bss import selectors
from bss import selectors_backoffice as bo
from bss.choices import CustomerStatus
from bss.http import AuthenticatedHttpRequest
from bss.models import MicrosoftTenant, Reseller
from bss.selectors_gdap import gdap_for_tenants, gdap_templates
from bss.services.customer_profile import InvalidCustomerProfile, customer_update

VIEW_CUSTOMERS = "bss.view_customer"
CHANGE_CUSTOMERS = "bss.change_customer"


@staff_required()
def customer_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    filters = lists.customer_filters(request.GET)
    customers = bo.customer_search(user=request.user, filters=filters)
    if request.GET.get("format"):
        if not request.user.has_perm(VIEW_CUSTOMERS):
            raise Http404("Not found")  # as the gate answers staff without the permission
        return exports.export_response(request.GET["format"], "customers", customers, exports.CUSTOMER_COLUMNS)
    page, query = lists.page_of(request, customers.annotate(tenant_count=Count("tenants", distinct=True)))
    return render(
        request,
        "backoffice/customer_list.html",
        {
            "page": page,
            "query": query,
            "filters": filters,
            "q": filters.search,
            "statuses": CustomerStatus.choices,
            "resellers": Reseller.objects.order_by("name"),
            "can_export": request.user.has_perm(VIEW_CUSTOMERS),
        },
    )


@staff_required()
def customer_detail(request: AuthenticatedHttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    tenants = list(customer.tenants.select_related("instance"))
    mca = list(bo.mca_for_customer(user=request.user, customer=customer))
    attested = {a.tenant_id for a in mca if a.attested_at}
    context = {
        "customer": customer,
        "tenants": [(t, t.pk in attested) for t in tenants],
        "subscriptions": selectors.subscription_list_for_user(user=request.user).filter(customer=customer),
        "orders": selectors.order_list_for_user(user=request.user).filter(customer=customer)[:50],
        "mca_acceptances": mca,
        "audit_events": bo.audit_events_for(
            objects=[("bss.Customer", customer.pk), *(("bss.MicrosoftTenant", t.pk) for t in tenants)]
        ),
        "can_edit": request.user.has_perm(CHANGE_CUSTOMERS),
        **_gdap_context(request, tenants),
    }
    return render(request, "backoffice/customer_detail.html", context)


def _gdap_context(request: AuthenticatedHttpRequest, tenants: list[MicrosoftTenant]) -> dict[str, object]:
    """The customer's GDAP relationships per tenant, and what staff may request (backoffice/gdap acts on them)."""
    gdap = gdap_for_tenants(t.pk for t in tenants)
    return {
        "gdap_tenants": [(t, gdap[t.pk]) for t in tenants],
        "gdap_templates": gdap_templates().filter(instance__in={t.instance_id for t in tenants}),
        "can_change_gdap": request.user.has_perm("bss.change_gdaprelationship"),
    }


@staff_required(CHANGE_CUSTOMERS)
def customer_edit(request: AuthenticatedHttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    form = CustomerProfileForm.for_customer(customer, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            customer_update(actor=request.user, customer=customer, profile=form.profile())
        except InvalidCustomerProfile as exc:
            for name, message in exc.errors.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(request, f"{customer} saved.")
            return redirect("backoffice:customer_detail", customer_id=customer.pk)
    return render(request, "backoffice/customer_edit.html", {"customer": customer, "form": form})
