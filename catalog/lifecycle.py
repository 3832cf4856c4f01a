"""New-commerce lifecycle facts of what a marketplace sells: add-ons and their prerequisite (base) SKUs, the sale
price of a SKU's plan (an upgrade target's price), and Microsoft's active promotions per availability.

Promotions come from Partner Center (`GET /v1/productPromotions`), cached per instance and market for a few minutes;
when Partner Center cannot be reached the catalog simply shows none (eligibility is checked again at checkout).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.utils import timezone

from bss.models import Marketplace
from bss.partner_center import get_client
from catalog.models import Sku
from catalog.offers import StoreOffer, offers_for_marketplace
from partnercenter import errors as pc_errors

logger = logging.getLogger(__name__)
PROMOTION_CACHE_SECONDS = 300
PROMOTION_RETRY_SECONDS = 60


@dataclass(frozen=True)
class Promotion:
    """One promotion for one plan (product:SKU, term, billing cycle) of the catalog."""

    id: str
    name: str
    description: str
    pc_product_id: str
    pc_sku_id: str
    term_duration: str
    billing_cycle: str
    percent_discount: Decimal
    start_date: dt.date | None
    end_date: dt.date | None
    auto_applicable: bool

    @property
    def key(self) -> str:
        return f"{self.pc_product_id}:{self.pc_sku_id}:{self.term_duration}:{self.billing_cycle}"

    @property
    def percent_label(self) -> str:
        return f"{(self.percent_discount * 100).normalize():f}%"

    def promotional_price(self, unit_price: Decimal) -> Decimal:
        return (unit_price * (Decimal(1) - self.percent_discount)).quantize(Decimal("0.01"))


def _sku_key(product_id: str, sku_id: str) -> str:
    return f"{product_id.upper()}:{sku_id}"


# --- prices and add-ons ---------------------------------------------------------------------------------------------
def offer_for_sku(*, marketplace: Marketplace, pc_product_id: str, pc_sku_id: str) -> StoreOffer | None:
    key = _sku_key(pc_product_id, pc_sku_id)
    return next(
        (o for o in offers_for_marketplace(marketplace=marketplace) if _sku_key(o.pc_product_id, o.pc_sku_id) == key),
        None,
    )


def sale_price_of(
    *, marketplace: Marketplace, pc_product_id: str, pc_sku_id: str, term_duration: str, billing_cycle: str
) -> Decimal | None:
    """The marketplace's sale price per licence per billing period of one plan of a SKU (None: not sold here)."""
    offer = offer_for_sku(marketplace=marketplace, pc_product_id=pc_product_id, pc_sku_id=pc_sku_id)
    plan = offer.plan(term_duration, billing_cycle) if offer is not None else None
    return plan.unit_price if plan is not None else None


def addon_prerequisites(*, marketplace: Marketplace) -> dict[str, list[str]]:
    """product:sku of every add-on SKU of the marketplace's market -> the product:sku keys of its possible bases."""
    rows = Sku.objects.filter(
        product__instance_id=marketplace.instance_id, product__market=marketplace.market, is_addon=True
    ).values_list("product__product_id", "sku_id", "prerequisite_skus")
    return {_sku_key(p, s): [str(x).upper() for x in (pre or [])] for p, s, pre in rows}


def addon_offers_for_base(*, marketplace: Marketplace, pc_product_id: str, pc_sku_id: str) -> list[StoreOffer]:
    """The add-on offers of the marketplace that a subscription of this SKU can take (it is their prerequisite)."""
    base = _sku_key(pc_product_id, pc_sku_id)
    prerequisites = addon_prerequisites(marketplace=marketplace)
    return [
        o
        for o in offers_for_marketplace(marketplace=marketplace)
        if base in prerequisites.get(_sku_key(o.pc_product_id, o.pc_sku_id), [])
    ]


def prerequisite_names(*, marketplace: Marketplace) -> dict[str, list[str]]:
    """product:sku of each add-on -> the titles of its prerequisite SKUs (for the catalog page)."""
    prerequisites = addon_prerequisites(marketplace=marketplace)
    wanted = {key for keys in prerequisites.values() for key in keys}
    titles = {
        _sku_key(p, s): t or p
        for p, s, t in Sku.objects.filter(
            product__instance_id=marketplace.instance_id, product__market=marketplace.market
        ).values_list("product__product_id", "sku_id", "title")
        if _sku_key(p, s) in wanted
    }
    return {addon: [titles.get(k, k) for k in keys] for addon, keys in prerequisites.items()}


# --- promotions -----------------------------------------------------------------------------------------------------
def _fetch_promotions(marketplace: Marketplace) -> list[Promotion]:
    client = get_client(marketplace.instance)
    result: list[Promotion] = []
    for promo in client.promotions.list(country=marketplace.market):
        for required in promo.required_products:
            if not required.product_id or not required.sku_id:
                continue
            result.append(
                Promotion(
                    id=promo.id,
                    name=promo.name or promo.id,
                    description=promo.description or "",
                    pc_product_id=required.product_id.upper(),
                    pc_sku_id=required.sku_id,
                    term_duration=(required.term_duration or "").upper(),
                    billing_cycle=(required.billing_cycle or "").lower(),
                    percent_discount=required.percent_discount or Decimal(0),
                    start_date=promo.start_date.date() if promo.start_date else None,
                    end_date=promo.end_date.date() if promo.end_date else None,
                    auto_applicable=bool(promo.is_auto_applicable),
                )
            )
    return result


def active_promotions(*, marketplace: Marketplace, today: dt.date | None = None) -> list[Promotion]:
    """Microsoft's promotions running today in the marketplace's market (cached a few minutes)."""
    key = f"catalog:promotions:{marketplace.instance_id}:{marketplace.market}"
    promotions: list[Promotion] | None = cache.get(key)
    if promotions is None:
        try:
            promotions = _fetch_promotions(marketplace)
        except pc_errors.PartnerCenterError as exc:
            # Not asked again for a minute: the catalog page must not wait on an unreachable Partner Center.
            logger.warning("promotions of %s unavailable: %s", marketplace.market, exc)
            cache.set(key, [], PROMOTION_RETRY_SECONDS)
            return []
        cache.set(key, promotions, PROMOTION_CACHE_SECONDS)
    today = today or timezone.now().date()
    return [
        p
        for p in promotions
        if (p.start_date is None or p.start_date <= today) and (p.end_date is None or today <= p.end_date)
    ]


def promotions_by_plan(*, marketplace: Marketplace) -> dict[str, list[Promotion]]:
    """product:sku:term:cycle -> the active promotions of that plan."""
    result: dict[str, list[Promotion]] = {}
    for promo in active_promotions(marketplace=marketplace):
        result.setdefault(promo.key, []).append(promo)
    return result


def promotion_for_plan(
    *, marketplace: Marketplace, promotion_id: str, pc_product_id: str, pc_sku_id: str, term_duration: str,
    billing_cycle: str,
) -> Promotion | None:
    key = f"{pc_product_id.upper()}:{pc_sku_id}:{term_duration.upper()}:{billing_cycle.lower()}"
    return next(
        (p for p in promotions_by_plan(marketplace=marketplace).get(key, []) if p.id.lower() == promotion_id.lower()),
        None,
    )


# --- the catalog page -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanPromotion:
    plan_key: str
    plan_label: str
    promotion: Promotion
    unit_price: Decimal
    promotional_price: Decimal


@dataclass(frozen=True)
class CatalogEntry:
    """An offer as the catalog page shows it: its running promotions per plan and, for an add-on, its bases."""

    offer: StoreOffer
    promotions: tuple[PlanPromotion, ...] = ()
    prerequisites: tuple[str, ...] = ()

    @property
    def is_addon(self) -> bool:
        return bool(self.prerequisites)


def catalog_entries(*, marketplace: Marketplace, offers: list[StoreOffer]) -> list[CatalogEntry]:
    by_plan = promotions_by_plan(marketplace=marketplace) if offers else {}
    bases = prerequisite_names(marketplace=marketplace) if offers else {}
    entries = []
    for offer in offers:
        promos = tuple(
            PlanPromotion(
                plan_key=plan.key, plan_label=f"{plan.term_label}, {plan.billing_label.lower()}", promotion=promo,
                unit_price=plan.unit_price, promotional_price=promo.promotional_price(plan.unit_price),
            )
            for plan in offer.plans
            for promo in by_plan.get(
                f"{offer.pc_product_id.upper()}:{offer.pc_sku_id}:{plan.term_duration}:{plan.billing_cycle}", []
            )
        )
        entries.append(CatalogEntry(offer=offer, promotions=promos,
                                    prerequisites=tuple(bases.get(_sku_key(offer.pc_product_id, offer.pc_sku_id), []))))
    return entries
