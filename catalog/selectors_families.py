"""Product families of BSS subscriptions, as the catalog names them: the back office's subscription filter and its
dashboard's seats per family. A subscription's family is its product's (`Product.family`, by the subscription's
Partner Center instance and product id); "Other" when the catalog does not know the product or gives no family."""

from __future__ import annotations

from django.db.models import CharField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, NullIf

from bss.choices import SubscriptionStatus
from bss.models import Subscription
from catalog.models import Product

OTHER = "Other"
#: The annotation's name (a variable: the type checker's plugin does not know annotations by name).
FAMILY = "product_family"


def with_product_family(qs: QuerySet[Subscription]) -> QuerySet[Subscription]:
    """`qs` with a `product_family` annotation."""
    family = (
        Product.objects.filter(instance_id=OuterRef("tenant__instance_id"), product_id=OuterRef("pc_product_id"))
        .exclude(family="")
        .order_by("market")
        .values("family")[:1]
    )
    return qs.annotate(
        **{FAMILY: Coalesce(NullIf(Subquery(family, output_field=CharField()), Value("")), Value(OTHER))}
    )


def filter_by_family(qs: QuerySet[Subscription], family: str) -> QuerySet[Subscription]:
    qs = with_product_family(qs)
    return qs.filter(**{FAMILY: family}) if family else qs


def family_of(subscription: Subscription) -> str:
    """One subscription's product family."""
    family = with_product_family(Subscription.objects.filter(pk=subscription.pk)).values_list(FAMILY, flat=True)
    return str(family.first() or OTHER)


def product_families() -> list[str]:
    """The families the catalog knows, and "Other"."""
    names = set(Product.objects.exclude(family="").values_list("family", flat=True).distinct())
    return [*sorted(names), OTHER]


def active_seats_by_family(qs: QuerySet[Subscription]) -> list[tuple[str, int]]:
    """Seats (quantity) of the active subscriptions of `qs` per product family, most seats first."""
    rows = (
        with_product_family(qs.filter(status=SubscriptionStatus.ACTIVE))
        .values(FAMILY)
        .annotate(seats=Sum("quantity"))
        .order_by()
    )
    return sorted(((row[FAMILY], row["seats"] or 0) for row in rows), key=lambda r: (-r[1], r[0]))
