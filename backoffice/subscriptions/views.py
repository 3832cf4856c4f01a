"""Back office: subscriptions across all customers (list with filters, CSV/Excel export) and a subscription's page
(Partner Center ids, quantity, term, dates, ledger history, provisioning operations, audit events)."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import render

from backoffice import exports, lists
from backoffice.access import staff_required
from bss import selectors
from bss import selectors_backoffice as bo
from bss.choices import BillingCycle, SubscriptionStatus, TermDuration
from bss.http import AuthenticatedHttpRequest
from bss.models import Customer, PartnerCenterInstance, Reseller
from bss.rules.permissions import Resource
from catalog.selectors_families import family_of, filter_by_family, product_families
from provisioning.selectors_backoffice import operations_of_subscription

VIEW_SUBSCRIPTIONS = Resource.SUBSCRIPTION  # the API's check too (bss.rules.permissions.STAFF_VIEW_PERMISSIONS)
RENEWAL_WINDOWS = (30, 60, 90)


@staff_required(VIEW_SUBSCRIPTIONS)
def subscription_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    filters = lists.subscription_filters(request.GET)
    subscriptions = filter_by_family(bo.subscription_search(user=request.user, filters=filters), filters.family)
    if request.GET.get("format"):
        return exports.export_response(
            request.GET["format"], "subscriptions", subscriptions, exports.SUBSCRIPTION_COLUMNS
        )
    page, query = lists.page_of(request, subscriptions)
    customer = Customer.objects.filter(pk=filters.customer_id).first() if filters.customer_id else None
    terms = [("none" if value == "" else value, label) for value, label in TermDuration.choices]
    return render(
        request,
        "backoffice/subscription_list.html",
        {
            "page": page,
            "query": query,
            "filters": filters,
            "term": request.GET.get("term", ""),
            "statuses": SubscriptionStatus.choices,
            "terms": terms,
            "cycles": BillingCycle.choices,
            "families": product_families(),
            "instances": PartnerCenterInstance.objects.order_by("name"),
            "resellers": Reseller.objects.order_by("name"),
            "renewal_windows": RENEWAL_WINDOWS,
            "customer": customer,
        },
    )


@staff_required(VIEW_SUBSCRIPTIONS)
def subscription_detail(request: AuthenticatedHttpRequest, subscription_id: int) -> HttpResponse:
    subscription = selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    family = family_of(subscription)
    operations = list(operations_of_subscription(subscription=subscription))
    audit = bo.audit_events_for(
        objects=[("bss.Subscription", subscription.pk)]
        + [("provisioning.ProvisioningOperation", op.pk) for op in operations if op.subscription_id]
    )
    return render(
        request,
        "backoffice/subscription_detail.html",
        {
            "sub": subscription,
            "family": family,
            "order": subscription.order_line.order if subscription.order_line else None,
            "ledger": bo.ledger_for(subscription=subscription),
            "operations": operations,
            "audit_events": audit,
            "entitlements": subscription.azure_entitlements.all(),
        },
    )
