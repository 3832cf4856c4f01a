"""Reads of a tenant reseller's price list: price preview of every SKU it may sell, and what changed since a date.

Costs shown here are the reseller's costs (the provider's price to the reseller), never the provider's Partner
Center cost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch

from bss.models import Marketplace
from catalog import selectors as catalog_selectors
from catalog.choices import ChangeKind, Lifecycle, RunStatus
from catalog.models import CatalogChange, MarkupRule, Offer, Price, Sku
from catalog.pricing import Markup, margin, margin_percent, sale_price
from catalog.resellerprices.models import ResellerPriceRule
from catalog.resellerprices.wholesale import Wholesale, wholesale_for_marketplace


@dataclass(frozen=True)
class PreviewPlan:
    term_duration: str
    billing_cycle: str
    cost: Decimal
    erp: Decimal
    sale_price: Decimal
    preview_price: Decimal | None = None

    @property
    def margin(self) -> Decimal:
        """Sale price minus cost, per unit per billing period (negative: sold below cost)."""
        return margin(cost=self.cost, sale=self.sale_price)

    @property
    def margin_percent(self) -> Decimal | None:
        return margin_percent(cost=self.cost, sale=self.sale_price)

    @property
    def below_cost(self) -> bool:
        return self.sale_price < self.cost


@dataclass(frozen=True)
class PriceListRow:
    sku: Sku
    is_published: bool
    markup: MarkupRule | None
    plans: tuple[PreviewPlan, ...]


def _wholesale(marketplace: Marketplace) -> Wholesale:
    return wholesale_for_marketplace(marketplace) or Wholesale(default_percent=Decimal(0))


def markup_rules(marketplace: Marketplace) -> dict[int | None, MarkupRule]:
    return {r.sku_id: r for r in MarkupRule.objects.filter(marketplace=marketplace)}


def price_list_for_marketplace(
    marketplace: Marketplace, *, search: str = "", preview: Markup | None = None, limit: int = 200
) -> list[PriceListRow]:
    """Every active SKU of the marketplace's catalog with the reseller's cost and sale price per plan (and, with
    ``preview``, the sale price a new default markup would give SKUs without their own rule)."""
    wholesale = _wholesale(marketplace)
    rules = markup_rules(marketplace)
    allow_annual = catalog_selectors.annual_billing_allowed(marketplace)
    published = set(Offer.objects.filter(marketplace=marketplace, is_published=True).values_list("sku_id", flat=True))
    skus = catalog_selectors.sku_list_for_marketplace(marketplace).filter(
        lifecycle=Lifecycle.ACTIVE, product__lifecycle=Lifecycle.ACTIVE
    ).prefetch_related(
        Prefetch("prices", queryset=Price.objects.filter(is_current=True, currency=marketplace.currency),
                 to_attr="current_prices")
    )
    if search:
        skus = skus.filter(title__icontains=search) | skus.filter(product__product_id__icontains=search)
    rows = []
    for sku in skus[:limit]:
        costs = wholesale.apply(sku.pk, sku.current_prices)
        markup = catalog_selectors.markup_for(rules, sku.pk)
        plans = catalog_selectors.plan_prices(sku=sku, currency=marketplace.currency, markup=markup,
                                              allow_annual=allow_annual, prices=costs)
        if not plans:
            continue
        preview_markup = preview if (preview is not None and sku.pk not in rules) else None
        rows.append(PriceListRow(
            sku=sku, is_published=sku.pk in published, markup=rules.get(sku.pk),
            plans=tuple(
                PreviewPlan(term_duration=p.term_duration, billing_cycle=p.billing_cycle, cost=p.cost, erp=p.erp,
                            sale_price=p.sale_price,
                            preview_price=sale_price(cost=p.cost, erp=p.erp, billing_cycle=p.billing_cycle,
                                                     markup=preview_markup) if preview_markup else None)
                for p in plans
            ),
        ))
    return rows


@dataclass(frozen=True)
class ResellerChange:
    """One line of a catalog change report as the tenant reseller sees it (its cost and its sale price)."""

    kind: str
    date: dt.datetime | None
    product_title: str
    product_id: str
    sku_title: str
    sku_id: str
    term_duration: str
    billing_cycle: str
    is_published: bool
    old_cost: Decimal | None
    new_cost: Decimal | None
    old_sale: Decimal | None
    new_sale: Decimal | None

    @property
    def kind_label(self) -> str:
        return ChangeKind(self.kind).label


def _priced(wholesale: Wholesale, markup: Markup | None, change: CatalogChange, *, old: bool
            ) -> tuple[Decimal | None, Decimal | None]:
    unit = change.old_unit_price if old else change.new_unit_price
    erp = change.old_erp_price if old else change.new_erp_price
    if unit is None or change.sku_id is None:
        return None, None
    cost = wholesale.cost(change.sku_id, unit)
    return cost, sale_price(cost=cost, erp=erp if erp is not None else Decimal(0),
                            billing_cycle=change.billing_cycle, markup=markup)


def reseller_changes_since(marketplace: Marketplace, *, since: dt.datetime) -> list[ResellerChange]:
    """What the catalog updates finished since ``since`` changed in this marketplace's catalog.

    Repriced and discontinued items are those of its catalog (SKUs it publishes or has published); added items are
    every new SKU or product of its Partner Center catalog (available to publish; ``is_published`` says if it is).
    Old and new prices are the reseller's cost and sale price under today's wholesale and markup rules.
    """
    wholesale = _wholesale(marketplace)
    rules = markup_rules(marketplace)
    offers = list(Offer.objects.filter(marketplace=marketplace).select_related("sku"))
    in_catalog = {o.sku_id for o in offers if o.is_published or o.published_at is not None}
    published = {o.sku_id for o in offers if o.is_published}
    products_in_catalog = {o.sku.product_id for o in offers if o.sku_id in in_catalog}
    changes = (
        CatalogChange.objects.filter(
            run__instance_id=marketplace.instance_id, run__market=marketplace.market,
            run__status=RunStatus.SUCCEEDED, run__finished_at__gte=since,
        )
        .select_related("run", "product", "sku")
        .order_by("-run__finished_at", "kind", "product__title", "sku__sku_id", "term_duration", "billing_cycle")
    )
    result = []
    for change in changes:
        if change.currency and change.currency != marketplace.currency:
            continue
        if change.kind != ChangeKind.ADDED:
            mine = (change.sku_id in in_catalog) if change.sku_id else (change.product_id in products_in_catalog)
            if not mine:
                continue
        markup = catalog_selectors.markup_for(rules, change.sku_id) if change.sku_id else None
        old_cost, old_sale = _priced(wholesale, markup, change, old=True)
        new_cost, new_sale = _priced(wholesale, markup, change, old=False)
        result.append(ResellerChange(
            kind=change.kind, date=change.run.finished_at, product_title=change.product.title,
            product_id=change.product.product_id, sku_title=change.sku.title if change.sku else "",
            sku_id=change.sku.sku_id if change.sku else "", term_duration=change.term_duration,
            billing_cycle=change.billing_cycle, is_published=change.sku_id in published,
            old_cost=old_cost, new_cost=new_cost, old_sale=old_sale, new_sale=new_sale,
        ))
    return result


def wholesale_rule_list(*, reseller_id: int) -> list[ResellerPriceRule]:
    return list(ResellerPriceRule.objects.filter(reseller_id=reseller_id).select_related("sku", "sku__product"))
