"""Back-office reads across all customers: the order, subscription and customer lists with their filters, the
history shown on their pages, and the dashboard's figures. Read-only; scoped to the acting user like every selector
(provider staff see everything)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from bss import selectors
from bss.choices import SubscriptionStatus
from bss.models import AuditEvent, Customer, LicenseLedgerEntry, MCAAcceptance, Order, Subscription, User
from bss.rules.cycles import CYCLE_MONTHS


@dataclass(frozen=True)
class OrderFilters:
    status: str = ""
    reseller_id: int | None = None
    customer_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    search: str = ""
    # Orders the search also matches through records of a higher layer (provisioning's checkout results).
    search_also_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class SubscriptionFilters:
    instance_id: int | None = None
    reseller_id: int | None = None
    customer_id: int | None = None
    status: str = ""
    term_duration: str | None = None  # "" is a real value (no term): None means "any"
    billing_cycle: str = ""
    renewal_within_days: int | None = None
    search: str = ""
    # The product family is the catalog's: `catalog.selectors_families` filters on it.
    family: str = field(default="", compare=False)


@dataclass(frozen=True)
class CustomerFilters:
    reseller_id: int | None = None
    status: str = ""
    country: str = ""
    search: str = ""


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def order_search(*, user: User, filters: OrderFilters) -> QuerySet[Order]:
    """Orders, newest first. The search matches our order number (whole or its first characters, with or without
    hyphens), a Partner Center order id of one of the order's subscriptions, or the orders in `search_also_ids`."""
    qs = selectors.order_list_for_user(user=user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.reseller_id:
        qs = qs.filter(reseller_id=filters.reseller_id)
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.date_from:
        qs = qs.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(created_at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    term = filters.search.strip()
    if term:
        match = Q(lines__subscriptions__pc_order_id__iexact=term) | Q(pk__in=filters.search_also_ids)
        try:
            match |= Q(number=uuid.UUID(term))
        except ValueError:
            compact = term.replace("-", "").lower()
            if compact and all(c in "0123456789abcdef" for c in compact):
                match |= Q(number__startswith=_uuid_prefix(compact))
        ids = Order.objects.filter(match).values("pk")
        qs = qs.filter(pk__in=ids)
    return qs.order_by("-created_at", "-id")


def _uuid_prefix(compact: str) -> str:
    """A prefix of hex digits as the database stores a UUID (with hyphens where Django's lookup expects them)."""
    groups, out, rest = (8, 4, 4, 4, 12), [], compact
    for size in groups:
        if not rest:
            break
        out.append(rest[:size])
        rest = rest[size:]
    return "-".join(out)


def subscription_search(*, user: User, filters: SubscriptionFilters) -> QuerySet[Subscription]:
    qs = selectors.subscription_list_for_user(user=user).select_related("customer__reseller", "order_line")
    if filters.instance_id:
        qs = qs.filter(tenant__instance_id=filters.instance_id)
    if filters.reseller_id:
        qs = qs.filter(customer__reseller_id=filters.reseller_id)
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.term_duration is not None:
        qs = qs.filter(term_duration=filters.term_duration)
    if filters.billing_cycle:
        qs = qs.filter(billing_cycle=filters.billing_cycle)
    if filters.renewal_within_days is not None:
        today = timezone.localdate()
        qs = qs.filter(
            commitment_end_date__gte=today,
            commitment_end_date__lte=today + dt.timedelta(days=filters.renewal_within_days),
        )
    term = filters.search.strip()
    if term:
        qs = qs.filter(
            Q(name__icontains=term)
            | Q(pc_subscription_id__iexact=term)
            | Q(pc_order_id__iexact=term)
            | Q(customer__company_name__icontains=term)
        )
    return qs.order_by("customer__company_name", "name", "id")


def customer_search(*, user: User, filters: CustomerFilters) -> QuerySet[Customer]:
    qs = selectors.customer_list_for_user(user=user, search=filters.search.strip())
    if filters.reseller_id:
        qs = qs.filter(reseller_id=filters.reseller_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.country:
        qs = qs.filter(country=filters.country.upper())
    return qs.order_by("company_name", "id")


# --- A record's history -------------------------------------------------------------------------------------


def audit_events_for(*, objects: Iterable[tuple[str, object]], limit: int = 50) -> QuerySet[AuditEvent]:
    """Audit events about any of `objects`, given as (model label, primary key) pairs; newest first."""
    match = Q(pk__in=[])
    for label, pk in objects:
        match |= Q(object_type=label, object_id=str(pk))
    return AuditEvent.objects.filter(match).select_related("actor").order_by("-created_at", "-id")[:limit]


def ledger_for(*, subscription: Subscription) -> QuerySet[LicenseLedgerEntry]:
    return LicenseLedgerEntry.objects.filter(subscription=subscription).select_related("actor").order_by(
        "-created_at", "-id"
    )


def mca_for_customer(*, user: User, customer: Customer) -> QuerySet[MCAAcceptance]:
    """The customer's MCA acceptances, for staff holding the MCA log's permission (empty otherwise)."""
    return selectors.mca_acceptance_list_for_user(user=user).filter(customer=customer)


# --- Dashboard figures ----------------------------------------------------------------------------------------


def orders_per_day(*, user: User, days: int = 30) -> list[tuple[dt.date, int]]:
    """Orders placed on each of the last `days` days (today included), zeros included."""
    today = timezone.localdate()
    first = today - dt.timedelta(days=days - 1)
    rows = (
        selectors.order_list_for_user(user=user)
        .filter(created_at__gte=_day_start(first))
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {row["day"]: row["n"] for row in rows}
    return [(day, counts.get(day, 0)) for day in (first + dt.timedelta(days=i) for i in range(days))]


def _month_ends(months: int) -> list[dt.date]:
    today = timezone.localdate()
    year, month = today.year, today.month
    ends = []
    for _ in range(months):
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        ends.append(min(nxt - dt.timedelta(days=1), today))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(ends))


_ENDED = (SubscriptionStatus.DELETED, SubscriptionStatus.EXPIRED, SubscriptionStatus.DISABLED)


def monthly_recurring_revenue(*, user: User, months: int = 12) -> dict[str, list[tuple[dt.date, Decimal]]]:
    """Monthly recurring revenue at the end of each of the last `months` months, per currency.

    How it is computed: for each month's last day (today for the current month), the sum over subscriptions that
    had started by then (effective start, or creation when Partner Center gave none) and were still running then
    (active or suspended now, or ended after that day, the end being the subscription's last change) of
    quantity x the order line's unit price ÷ the months in the billing cycle (an annual price is spread over 12
    months; one-time and usage-based plans are not recurring and are left out). Today's quantity is used for every
    month (the ledger's history is not replayed), and subscriptions without an order line (imported ones) carry no
    price and are left out, as on the reseller list.
    """
    base = selectors.subscription_list_for_user(user=user).filter(
        order_line__isnull=False, billing_cycle__in=list(CYCLE_MONTHS)
    )
    per_month = ExpressionWrapper(
        F("quantity") * F("order_line__unit_price"), output_field=DecimalField(max_digits=20, decimal_places=4)
    )
    series: dict[str, dict[dt.date, Decimal]] = defaultdict(dict)
    for end in _month_ends(months):
        cutoff = _day_start(end + dt.timedelta(days=1))
        running = base.filter(
            Q(effective_start_date__lt=cutoff) | Q(effective_start_date__isnull=True, created_at__lt=cutoff)
        ).filter(Q(status__in=(SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)) | Q(
            status__in=_ENDED, updated_at__gte=cutoff
        ))
        rows = running.values("order_line__currency", "billing_cycle").annotate(total=Sum(per_month)).order_by()
        for row in rows:
            months_in_cycle = CYCLE_MONTHS.get(row["billing_cycle"]) or 1
            currency = row["order_line__currency"]
            amount = (row["total"] or Decimal(0)) / months_in_cycle
            series[currency][end] = series[currency].get(end, Decimal(0)) + amount
    ends = _month_ends(months)
    return {
        currency: [(end, values.get(end, Decimal(0)).quantize(Decimal("0.01"))) for end in ends]
        for currency, values in sorted(series.items(), key=lambda item: -sum(item[1].values()))
    }
