"""What the back office's lists share: reading their filters from the query string (the same for the page and its
CSV/Excel export), paging, and the query string a pager or an export link keeps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, QueryDict

from bss.selectors_backoffice import CustomerFilters, OrderFilters, SubscriptionFilters

PAGE_SIZE = 50


def get_int(query: QueryDict, name: str) -> int | None:
    value = query.get(name, "").strip()
    return int(value) if value.isdigit() else None


def get_date(query: QueryDict, name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(query.get(name, "").strip())
    except ValueError:
        return None


def order_filters(query: QueryDict) -> OrderFilters:
    return OrderFilters(
        status=query.get("status", ""),
        reseller_id=get_int(query, "reseller"),
        customer_id=get_int(query, "customer"),
        date_from=get_date(query, "from"),
        date_to=get_date(query, "to"),
        search=query.get("q", "").strip(),
    )


def subscription_filters(query: QueryDict) -> SubscriptionFilters:
    return SubscriptionFilters(
        instance_id=get_int(query, "instance"),
        reseller_id=get_int(query, "reseller"),
        customer_id=get_int(query, "customer"),
        status=query.get("status", ""),
        # "term=none" selects the subscriptions without a term (their term_duration is "").
        term_duration=_term(query.get("term", "")),
        billing_cycle=query.get("cycle", ""),
        renewal_within_days=get_int(query, "renewal"),
        search=query.get("q", "").strip(),
        family=query.get("family", ""),
    )


def _term(value: str) -> str | None:
    return None if not value else ("" if value == "none" else value)


def customer_filters(query: QueryDict) -> CustomerFilters:
    return CustomerFilters(
        reseller_id=get_int(query, "reseller"),
        status=query.get("status", ""),
        country=query.get("country", "").strip()[:2],
        search=query.get("q", "").strip(),
    )


def page_of(request: HttpRequest, items: Any) -> tuple[Page, str]:
    """The requested page of `items`, and the query string without the page (for pager and export links)."""
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return page, query.urlencode()
