from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from bss import selectors
from bss.choices import UserRole
from storefront.access import storefront_user_required


@storefront_user_required
def home(request: HttpRequest) -> HttpResponse:
    if request.user.role == UserRole.CUSTOMER:
        return redirect("storefront:workspace", customer_id=request.user.customer_id)
    search = request.GET.get("q", "").strip()
    customers = selectors.customer_list_for_user(user=request.user, search=search).annotate(
        subscription_count=Count("subscriptions", distinct=True)
    )[:200]
    return render(request, "storefront/home.html", {"customers": customers, "q": search})


@storefront_user_required
def workspace(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    context = {
        "customer": customer,
        "tenants": selectors.tenant_list_for_user(user=request.user).filter(customer=customer),
        "subscriptions": selectors.subscription_list_for_user(user=request.user).filter(customer=customer),
        "orders": selectors.order_list_for_user(user=request.user).filter(customer=customer)[:20],
    }
    return render(request, "storefront/workspace.html", context)
