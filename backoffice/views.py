from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render

from backoffice.access import staff_required
from backoffice.tools import tools_for
from bss import selectors
from bss.choices import OrderStatus
from bss.http import AuthenticatedHttpRequest


@staff_required()
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    orders = selectors.order_list_for_user(user=request.user)
    counts = {row["status"]: row["n"] for row in orders.values("status").annotate(n=Count("id")).order_by()}
    context = {
        "customer_count": selectors.customer_list_for_user(user=request.user).count(),
        "reseller_count": selectors.reseller_list_for_user(user=request.user).count(),
        "subscription_count": selectors.subscription_list_for_user(user=request.user).count(),
        "order_counts": [(label, counts.get(value, 0)) for value, label in OrderStatus.choices],
        "recent_orders": orders[:10],
    }
    return render(request, "backoffice/dashboard.html", context)


@staff_required()
def tools(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "backoffice/tools.html", {"tools": tools_for(request.user)})
