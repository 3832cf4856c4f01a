"""Storefront pages of placed orders: the history, an order's progress (timeline, live status) and the "check now"
of an order waiting for the customer's reseller relationship."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from bss.choices import CspModel, OrderKind, OrderStatus
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from bss.selectors_gdap import gdap_for_tenant
from partnercenter.errors import PartnerCenterError
from provisioning.services import orders as provisioning_services
from storefront import selectors
from storefront.access import storefront_user_required
from storefront.views import LIVE_STATUSES, _page


# -- orders -------------------------------------------------------------------------------------------------
@storefront_user_required
@require_GET
def order_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    orders = selectors.order_history_for_user(user=request.user, search=search, status=status)[:200]
    return _page(request, "storefront/order_list.html",
                 {"orders": orders, "q": search, "status": status, "statuses": OrderStatus.choices})


def _timeline(order: Any) -> list[dict[str, str]]:
    """The order's road (placed, relationship, provisioning, completed): steps passed, the current one, the rest."""
    # (status, label while it is the current step, label once passed)
    steps = [(OrderStatus.PENDING, "Placed", "Placed")]
    if order.kind == OrderKind.EXISTING_TENANT:
        steps.append((OrderStatus.AWAITING_RELATIONSHIP, "Awaiting relationship", "Relationship accepted"))
    steps += [(OrderStatus.PROVISIONING, "Provisioning", "Provisioned"), (OrderStatus.COMPLETED, "Completed",
                                                                         "Completed")]
    statuses = [status for status, _, _ in steps]
    current = statuses.index(order.status) if order.status in statuses else 0
    result = []
    for index, (status, now_label, done_label) in enumerate(steps):
        if index < current or status == OrderStatus.COMPLETED == order.status:
            result.append({"label": done_label, "css": "reached"})
        elif index == current and order.status in statuses:
            result.append({"label": now_label, "css": "now"})
        else:
            result.append({"label": now_label if status != OrderStatus.PENDING else done_label, "css": ""})
    if order.status in (OrderStatus.FAILED, OrderStatus.CANCELLED):
        result = [{"label": "Placed", "css": "reached"}, {"label": OrderStatus(order.status).label, "css": "failed"}]
    return result


@storefront_user_required
@require_GET
def order_detail(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    credentials = None
    if order.kind == OrderKind.NEW_CUSTOMER:
        credentials = provisioning_services.order_pop_admin_credentials(order=order, user=request.user)
    relationship_link, link_error = "", ""
    if order.status == OrderStatus.AWAITING_RELATIONSHIP:
        try:
            relationship_link = provisioning_services.relationship_request_link(
                instance=order.marketplace.instance, reseller=order.reseller
            )
        except (ApplicationError, PartnerCenterError) as exc:
            link_error = getattr(exc, "message", "") or "The relationship link is not available right now."
    lines = list(order.lines.all().prefetch_related("subscriptions"))
    live = order.status in LIVE_STATUSES and not credentials
    gdap = gdap_for_tenant(order.tenant_id) if order.tenant_id else None
    return _page(
        request,
        "storefront/order_detail.html",
        {
            "order": order,
            "lines": lines,
            "credentials": credentials,
            "relationship_link": relationship_link,
            "relationship_link_error": link_error,
            "indirect": order.marketplace.instance.csp_model == CspModel.INDIRECT_PROVIDER,
            "timeline": _timeline(order),
            "progress": provisioning_services.order_progress(order=order),
            "live": live,
            "can_open_workspace": True,
            "gdap": gdap,
        },
    )


@storefront_user_required
@require_GET
def order_status(request: AuthenticatedHttpRequest, order_id: int) -> JsonResponse:
    order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    return JsonResponse({
        "id": order.pk,
        "number": str(order.number),
        "status": order.status,
        "status_display": order.get_status_display(),
        "failure_reason": order.failure_reason,
        "completed_at": order.completed_at.isoformat() if order.completed_at else None,
    })


@storefront_user_required
@require_POST
def order_check_relationship(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    if order.status != OrderStatus.AWAITING_RELATIONSHIP:
        messages.info(request, "This order is not waiting for a relationship any more.")
        return redirect("storefront:order_detail", order_id=order.pk)
    try:
        result = provisioning_services.order_check_relationship_now(order=order)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if result.found:
            messages.success(request, result.message)
        else:
            messages.info(request, f"{result.message} Once the administrator has accepted the link it can take a few "
                                   "minutes to appear; we keep checking by ourselves.")
    return redirect("storefront:order_detail", order_id=order.pk)
