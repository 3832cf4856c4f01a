"""Back office: orders (list with filters and search, CSV/Excel export, the order's page) and the order page's
buttons: retry a failed provisioning step, cancel the order before purchase."""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from backoffice import exports, lists
from backoffice.access import staff_required
from bss import selectors
from bss import selectors_backoffice as bo
from bss.choices import OrderStatus
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from bss.models import Customer, Order, Reseller, Subscription
from bss.rules.permissions import Resource
from bss.selectors_gdap import gdap_for_tenant
from partnercenter.errors import PartnerCenterError
from provisioning.models import ProvisioningOperation
from provisioning.selectors_backoffice import operations_of_order, order_ids_by_partner_center_order_id
from provisioning.services.lifecycle import operation_retry
from provisioning.services.order_cancel import order_cancel, order_cancel_refusal
from provisioning.services.orders import relationship_request_link

VIEW_ORDERS = Resource.ORDER  # the API's check too (bss.rules.permissions.STAFF_VIEW_PERMISSIONS)
CANCEL_ORDERS = "bss.change_order"
RETRY_OPERATIONS = "provisioning.change_provisioningoperation"


@staff_required(VIEW_ORDERS)
def order_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    filters = lists.order_filters(request.GET)
    if filters.search:
        filters = replace(filters, search_also_ids=order_ids_by_partner_center_order_id(filters.search))
    orders = bo.order_search(user=request.user, filters=filters)
    if request.GET.get("format"):
        return exports.export_response(request.GET["format"], "orders", orders, exports.ORDER_COLUMNS)
    page, query = lists.page_of(request, orders)
    customer = Customer.objects.filter(pk=filters.customer_id).first() if filters.customer_id else None
    return render(
        request,
        "backoffice/order_list.html",
        {
            "page": page,
            "query": query,
            "filters": filters,
            "statuses": OrderStatus.choices,
            "resellers": Reseller.objects.order_by("name"),
            "customer": customer,
        },
    )


@staff_required(VIEW_ORDERS)
def order_detail(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    lines = order.lines.all()
    subscriptions = Subscription.objects.filter(order_line__order=order).select_related("order_line")
    operations = list(operations_of_order(order=order))
    mca = bo.mca_for_customer(user=request.user, customer=order.customer).filter(
        Q(tenant=order.tenant_id) | Q(tenant__isnull=True)
    )
    refusal = order_cancel_refusal(order=order)
    audit = bo.audit_events_for(
        objects=[("bss.Order", order.pk), *(("provisioning.ProvisioningOperation", op.pk) for op in operations)]
    )
    return render(
        request,
        "backoffice/order_detail.html",
        {
            "order": order,
            "lines": lines,
            "subscriptions": subscriptions,
            "operations": operations,
            "mca_acceptances": mca,
            "audit_events": audit,
            "can_retry": request.user.has_perm(RETRY_OPERATIONS),
            "can_cancel": request.user.has_perm(CANCEL_ORDERS) and not refusal,
            "cancel_refusal": refusal,
            "retryable": ("failed", "waiting", "retrying", "unknown"),
            **_relationship_links(order),
        },
    )


def _relationship_links(order: Order) -> dict[str, object]:
    """The links the existing tenant's admin opens: the reseller relationship's (while the order waits for it)
    and the GDAP relationship's approval link (while it waits for approval)."""
    link, link_error = "", ""
    if order.status == OrderStatus.AWAITING_RELATIONSHIP:
        try:
            link = relationship_request_link(instance=order.marketplace.instance, reseller=order.reseller)
        except (ApplicationError, PartnerCenterError) as exc:
            link_error = getattr(exc, "message", "") or "The relationship link is not available right now."
    return {"relationship_link": link, "relationship_link_error": link_error,
            "gdap": gdap_for_tenant(order.tenant_id) if order.tenant_id else None}


@require_POST
@staff_required(RETRY_OPERATIONS)
def order_operation_retry(request: AuthenticatedHttpRequest, order_id: int, operation_id: int) -> HttpResponse:
    order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    operation = get_object_or_404(ProvisioningOperation, pk=operation_id, order=order)
    try:
        operation_retry(actor=request.user, operation=operation)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{operation.get_kind_display()} queued again (same MS-RequestId).")
    return redirect("backoffice:order_detail", order_id=order.pk)


@require_POST
@staff_required(CANCEL_ORDERS)
def order_cancel_view(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    try:
        order_cancel(actor=request.user, order=order, reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{order} cancelled before purchase: nothing was bought in Partner Center.")
    return redirect("backoffice:order_detail", order_id=order.pk)
