from urllib.parse import urlencode

from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from backoffice import charts
from backoffice.access import staff_required
from backoffice.tools import tools_for
from bss import selectors
from bss import selectors_backoffice as bo
from bss.choices import OrderStatus, SubscriptionStatus
from bss.http import AuthenticatedHttpRequest
from bss.rules.permissions import Resource, staff_may_view
from catalog.selectors_families import active_seats_by_family


def _url(name: str, **query: object) -> str:
    return reverse(name) + ("?" + urlencode(query) if query else "")


@staff_required()
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Figures and charts; every figure, bar and point links to the list it counts."""
    user = request.user
    orders = selectors.order_list_for_user(user=user)
    counts = {row["status"]: row["n"] for row in orders.values("status").annotate(n=Count("id")).order_by()}
    subscriptions = selectors.subscription_list_for_user(user=user)
    order_points = [
        charts.Point(
            label=day.strftime("%d %b"),
            value=n,
            href=_url("backoffice:order_list", **{"from": day.isoformat(), "to": day.isoformat()}),
            title=f"{day:%a %d %b}: {n} order{'s' if n != 1 else ''}",
        )
        for day, n in bo.orders_per_day(user=user, days=30)
    ]
    seat_points = [
        charts.Point(label=family, value=seats, title=f"{family}: {seats} active seats",
                     href=_url("backoffice:subscription_list", family=family, status=SubscriptionStatus.ACTIVE))
        for family, seats in active_seats_by_family(subscriptions)
    ]
    revenue = [
        (
            currency,
            charts.line_chart(
                [
                    charts.Point(label=end.strftime("%b %y"), value=amount, title=f"{end:%B %Y}: {amount} {currency}",
                                 href=_url("backoffice:subscription_list", status=SubscriptionStatus.ACTIVE))
                    for end, amount in series
                ],
                label=f"Monthly recurring revenue in {currency}, last 12 months",
            ),
            series[-1][1],
        )
        for currency, series in bo.monthly_recurring_revenue(user=user, months=12).items()
    ]
    may_see_orders = staff_may_view(user, Resource.ORDER)
    may_see_subscriptions = staff_may_view(user, Resource.SUBSCRIPTION)
    context = {
        # What the user's permissions show: a figure whose list would answer "not found" is left out.
        "may_see_orders": may_see_orders,
        "may_see_subscriptions": may_see_subscriptions,
        "figures": [
            ("Customers", selectors.customer_list_for_user(user=user).count(), _url("backoffice:customer_list")),
            ("Resellers", selectors.reseller_list_for_user(user=user).count(), _url("backoffice:reseller_list")),
            *(
                [
                    ("Subscriptions", subscriptions.count(), _url("backoffice:subscription_list")),
                    (
                        "Active subscriptions",
                        subscriptions.filter(status=SubscriptionStatus.ACTIVE).count(),
                        _url("backoffice:subscription_list", status=SubscriptionStatus.ACTIVE),
                    ),
                    (
                        "Renewing within 30 days",
                        bo.subscription_search(
                            user=user, filters=bo.SubscriptionFilters(renewal_within_days=30)
                        ).count(),
                        _url("backoffice:subscription_list", renewal=30),
                    ),
                ]
                if may_see_subscriptions
                else []
            ),
        ],
        "order_figures": [
            (f"Orders {label.lower()}", counts.get(value, 0), _url("backoffice:order_list", status=value))
            for value, label in OrderStatus.choices
        ]
        if may_see_orders
        else [],
        "orders_chart": charts.column_chart(order_points, label="Orders per day, last 30 days", every=5),
        "seats_chart": charts.bar_chart(seat_points, label="Active seats per product family", unit="seats"),
        "revenue_charts": revenue,
        "recent_orders": orders[:10],
    }
    return render(request, "backoffice/dashboard.html", context)


@staff_required()
def tools(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "backoffice/tools.html", {"tools": tools_for(request.user)})
