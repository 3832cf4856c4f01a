"""Back office: customers (list and page)."""

from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render

from backoffice.access import staff_required
from bss import selectors
from bss.http import AuthenticatedHttpRequest


@staff_required()
def customer_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    customers = selectors.customer_list_for_user(user=request.user, search=search).annotate(
        tenant_count=Count("tenants", distinct=True)
    )[:200]
    return render(request, "backoffice/customer_list.html", {"customers": customers, "q": search})


@staff_required()
def customer_detail(request: AuthenticatedHttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    context = {
        "customer": customer,
        "tenants": customer.tenants.select_related("instance"),
        "subscriptions": selectors.subscription_list_for_user(user=request.user).filter(customer=customer),
        "orders": selectors.order_list_for_user(user=request.user).filter(customer=customer)[:50],
    }
    return render(request, "backoffice/customer_detail.html", context)
