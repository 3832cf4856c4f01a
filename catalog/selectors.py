"""Catalog reads: what a marketplace may sell (with sale prices and allowed billing cycles), runs and reports."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Prefetch, QuerySet

from bss.models import Marketplace, PartnerCenterInstance, Subscription
from bss.rules.quantities import is_azure_plan
from catalog.choices import CatalogBillingCycle, ChangeKind, Lifecycle
from catalog.models import Availability, CatalogChange, CatalogSyncRun, MarkupRule, Offer, Price, Product, Sku
from catalog.pricing import Markup, sale_price
from catalog.resellerprices.wholesale import wholesale_for_marketplace  # tier-2 (issue 9)


@dataclass(frozen=True)
class PlanPrice:
    term_duration: str
    billing_cycle: str
    currency: str
    cost: Decimal
    erp: Decimal
    sale_price: Decimal


@dataclass(frozen=True)
class OfferView:
    """A published plan as the storefront sells it."""

    offer_id: int
    sku: Sku
    product: Product
    catalog_item_id: str
    prices: tuple[PlanPrice, ...]
    usage_based: bool = False  # an Azure plan: no fixed price, billed by usage

    @property
    def billing_cycles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.billing_cycle for p in self.prices))

    @property
    def term_durations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.term_duration for p in self.prices))


def annual_billing_allowed(marketplace: Marketplace) -> bool:
    """Annual billing is offered only when the marketplace's BSS "annual" cycle and the instance's annual
    provisioning are both on."""
    return bool(marketplace.annual_billing_enabled and marketplace.instance.annual_provisioning_enabled)


def markup_for(rules: dict[int | None, MarkupRule], sku_id: int) -> Markup | None:
    rule = rules.get(sku_id) or rules.get(None)
    if rule is None:
        return None
    return Markup(kind=rule.kind, percent=rule.percent, fixed_monthly_price=rule.fixed_monthly_price)


def plan_prices(
    *, sku: Sku, currency: str, markup: Markup | None, allow_annual: bool, prices: list[Price] | None = None,
) -> tuple[PlanPrice, ...]:
    rows = prices if prices is not None else list(sku.prices.filter(is_current=True, currency=currency))
    result = []
    for price in sorted(rows, key=lambda p: (p.term_duration, p.billing_cycle)):
        if price.currency != currency or not price.is_current or price.tier_min not in (None, Decimal(0)):
            continue
        if price.billing_cycle == CatalogBillingCycle.ANNUAL and not allow_annual:
            continue
        result.append(PlanPrice(
            term_duration=price.term_duration, billing_cycle=price.billing_cycle, currency=price.currency,
            cost=price.unit_price, erp=price.erp_price,
            sale_price=sale_price(cost=price.unit_price, erp=price.erp_price, billing_cycle=price.billing_cycle,
                                  markup=markup),
        ))
    return tuple(result)


def offer_list_for_marketplace(marketplace: Marketplace, *, segment: str | None = None) -> list[OfferView]:
    """Published, sellable plans of a marketplace with sale prices in its currency and the billing cycles allowed now.

    Discontinued products/SKUs and non-purchasable availabilities are never offered; annual billing only when
    both switches allow it (turning one off hides it at once; existing subscriptions are not read here).
    """
    allow_annual = annual_billing_allowed(marketplace)
    rules = {r.sku_id: r for r in MarkupRule.objects.filter(marketplace=marketplace)}
    wholesale = wholesale_for_marketplace(marketplace)  # tier-2: None unless a tenant reseller owns the marketplace
    offers = (
        Offer.objects.filter(
            marketplace=marketplace, is_published=True, sku__lifecycle=Lifecycle.ACTIVE,
            sku__product__lifecycle=Lifecycle.ACTIVE, sku__product__instance_id=marketplace.instance_id,
            sku__product__market=marketplace.market,
        )
        .select_related("sku__product")
        .prefetch_related(
            Prefetch("sku__prices", queryset=Price.objects.filter(is_current=True, currency=marketplace.currency),
                     to_attr="current_prices"),
            Prefetch("sku__availabilities", queryset=Availability.objects.filter(is_purchasable=True),
                     to_attr="purchasable"),
        )
        .order_by("sku__product__title", "sku__sku_id")
    )
    if segment:
        offers = offers.filter(sku__segment__in=[segment, ""])
    result = []
    for offer in offers:
        sku = offer.sku
        current = sku.current_prices  # type: ignore[attr-defined]
        # Tier-2 (issue 9): a tenant reseller's marketplace prices over the reseller's cost, not Partner Center's.
        current = wholesale.apply(sku.pk, current) if wholesale is not None else current
        prices = plan_prices(sku=sku, currency=marketplace.currency, markup=markup_for(rules, sku.pk),
                             allow_annual=allow_annual, prices=current)
        usage_based = not prices and is_azure_plan(sku.product.product_id)
        if usage_based:  # sold pay-as-you-go: one plan, no term, monthly, no fixed price
            zero = Decimal(0)
            prices = (PlanPrice(term_duration="", billing_cycle=CatalogBillingCycle.MONTHLY,
                                currency=marketplace.currency, cost=zero, erp=zero, sale_price=zero),)
        purchasable = sku.purchasable  # type: ignore[attr-defined]
        if not prices or (not purchasable and sku.availabilities.exists()):
            continue
        item = purchasable[0].catalog_item_id if purchasable else ""
        result.append(OfferView(offer_id=offer.pk, sku=sku, product=sku.product, catalog_item_id=item,
                                prices=prices, usage_based=usage_based))
    return result


def offer_get_for_marketplace(marketplace: Marketplace, *, sku_id: int) -> OfferView | None:
    return next((o for o in offer_list_for_marketplace(marketplace) if o.sku.pk == sku_id), None)


def billing_cycle_allowed(marketplace: Marketplace, *, sku_id: int, term_duration: str, billing_cycle: str) -> bool:
    offer = offer_get_for_marketplace(marketplace, sku_id=sku_id)
    return offer is not None and any(
        p.term_duration == term_duration and p.billing_cycle == billing_cycle for p in offer.prices
    )


def sku_list_for_marketplace(marketplace: Marketplace) -> QuerySet[Sku]:
    """Every SKU of the marketplace's instance+market (publishing page)."""
    return (
        Sku.objects.filter(product__instance_id=marketplace.instance_id, product__market=marketplace.market)
        .select_related("product")
        .order_by("product__family", "product__title", "sku_id")
    )


def run_list(*, instance: PartnerCenterInstance | None = None, limit: int = 50) -> list[CatalogSyncRun]:
    runs = CatalogSyncRun.objects.select_related("instance", "requested_by").defer("held_catalog")
    if instance is not None:
        runs = runs.filter(instance=instance)
    return list(runs[:limit])


def run_progress(run: CatalogSyncRun) -> dict[str, Any]:
    live = cache.get(f"catalog:run-progress:{run.pk}") or {}
    return {"stage": live.get("stage", run.stage), "rows_read": live.get("rows_read", run.rows_read),
            "status": run.status}


def run_changes(run: CatalogSyncRun) -> dict[str, list[CatalogChange]]:
    grouped: dict[str, list[CatalogChange]] = {k: [] for k in ChangeKind.values}
    for change in CatalogChange.objects.filter(run=run).select_related("product", "sku"):
        grouped[change.kind].append(change)
    return grouped


def subscriptions_on_discontinued_skus(instance: PartnerCenterInstance) -> QuerySet[Subscription]:
    """Subscriptions that keep running on products/SKUs Microsoft no longer sells (flagged, never deleted)."""
    gone = Sku.objects.filter(product__instance=instance).exclude(
        lifecycle=Lifecycle.ACTIVE, product__lifecycle=Lifecycle.ACTIVE
    ).values_list("product__product_id", "sku_id")
    pairs = set(gone)
    ids = [
        s.pk for s in Subscription.objects.filter(tenant__instance=instance).only("pk", "pc_product_id", "pc_sku_id")
        if (s.pc_product_id, s.pc_sku_id) in pairs
    ]
    return Subscription.objects.filter(pk__in=ids)


def catalog_orphans() -> dict[str, int]:
    """Rows of the bulk-synced catalog tables whose parent row is missing (see ``catalog.models.BULK_REFERENCE``).

    Those references carry no database constraint, so this is the check that they hold: every count is 0.
    """
    return {
        "products without instance": Product.objects.exclude(
            instance_id__in=PartnerCenterInstance.objects.values("pk")).count(),
        "skus without product": Sku.objects.exclude(product_id__in=Product.objects.values("pk")).count(),
        "prices without SKU": Price.objects.exclude(sku_id__in=Sku.objects.values("pk")).count(),
        "changes without run": CatalogChange.objects.exclude(run_id__in=CatalogSyncRun.objects.values("pk")).count(),
        "changes without product": CatalogChange.objects.exclude(product_id__in=Product.objects.values("pk")).count(),
        "changes without SKU": CatalogChange.objects.filter(sku_id__isnull=False)
        .exclude(sku_id__in=Sku.objects.values("pk")).count(),
    }
