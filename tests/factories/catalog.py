"""Factories for the catalog app: sync runs, products, SKUs, availabilities, prices, changes, offers, markup rules
and marketplace catalog settings."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone

from catalog.choices import ChangeKind, MarkupKind, RunStatus
from catalog.models import (
    Availability,
    CatalogChange,
    CatalogSyncRun,
    HeldPrice,
    MarketplaceCatalogSettings,
    MarkupRule,
    Offer,
    Price,
    Product,
    Sku,
)
from tests.factories.base import ModelFactory
from tests.factories.bss import MarketplaceFactory, PartnerCenterInstanceFactory


class CatalogSyncRunFactory(ModelFactory[CatalogSyncRun]):
    class Meta:
        model = CatalogSyncRun

    instance = factory.SubFactory(PartnerCenterInstanceFactory)
    market = "US"
    status = RunStatus.SUCCEEDED


class HeldPriceFactory(ModelFactory[HeldPrice]):
    """A price-sheet row of a run held for confirmation."""

    class Meta:
        model = HeldPrice

    run = factory.SubFactory(CatalogSyncRunFactory, status=RunStatus.AWAITING_CONFIRMATION)
    line_no = factory.Sequence(lambda n: n + 2)
    product_code = "CFQ7TTC0LH18"
    sku_code = "0001"
    product_title = "Microsoft 365 Business Basic"
    sku_title = "Microsoft 365 Business Basic"
    publisher = "Microsoft Corporation"
    sku_description = "Productivity apps in the cloud"
    term_duration = "P1Y"
    billing_cycle = "monthly"
    currency = "USD"
    unit_price = Decimal("6.000000")
    erp_price = Decimal("7.200000")
    effective_start = factory.LazyFunction(timezone.now)


class ProductFactory(ModelFactory[Product]):
    class Meta:
        model = Product

    instance = factory.SubFactory(PartnerCenterInstanceFactory)
    market = "US"
    product_id = factory.Sequence(lambda n: f"CFQ7TTC{n:05d}")
    title = factory.Sequence(lambda n: f"Product {n}")
    product_type = "OnlineServicesNCE"
    family = "Microsoft 365"
    segment = "Commercial"


class SkuFactory(ModelFactory[Sku]):
    class Meta:
        model = Sku

    product = factory.SubFactory(ProductFactory)
    sku_id = "0001"
    title = factory.SelfAttribute("product.title")
    segment = "Commercial"
    max_quantity = 300
    supported_billing_cycles = factory.LazyFunction(lambda: ["monthly", "annual"])


class AvailabilityFactory(ModelFactory[Availability]):
    class Meta:
        model = Availability

    sku = factory.SubFactory(SkuFactory)
    availability_id = factory.Sequence(lambda n: f"AV{n:010d}")
    catalog_item_id = factory.LazyAttribute(lambda o: f"{o.sku.product.product_id}:{o.sku.sku_id}:{o.availability_id}")
    segment = "Commercial"
    terms = factory.LazyFunction(
        lambda: [{"id": "P1Y-monthly", "duration": "P1Y", "billing_cycle": "monthly", "description": "One year"}]
    )


class PriceFactory(ModelFactory[Price]):
    class Meta:
        model = Price

    sku = factory.SubFactory(SkuFactory)
    term_duration = "P1Y"
    billing_cycle = "monthly"
    currency = "USD"
    unit_price = Decimal("6.000000")
    erp_price = Decimal("7.200000")
    effective_start = factory.LazyFunction(timezone.now)


class CatalogChangeFactory(ModelFactory[CatalogChange]):
    class Meta:
        model = CatalogChange

    run = factory.SubFactory(CatalogSyncRunFactory)
    kind = ChangeKind.ADDED
    product = factory.SubFactory(ProductFactory, instance=factory.SelfAttribute("..run.instance"))


class MarketplaceCatalogSettingsFactory(ModelFactory[MarketplaceCatalogSettings]):
    class Meta:
        model = MarketplaceCatalogSettings

    marketplace = factory.SubFactory(MarketplaceFactory)
    auto_publish_new = True


class OfferFactory(ModelFactory[Offer]):
    class Meta:
        model = Offer

    marketplace = factory.SubFactory(MarketplaceFactory)
    sku = factory.SubFactory(SkuFactory, product__instance=factory.SelfAttribute("...marketplace.instance"))
    is_published = True
    published_at = factory.LazyFunction(timezone.now)


class MarkupRuleFactory(ModelFactory[MarkupRule]):
    """The marketplace's default rule (no SKU) unless `sku` is given."""

    class Meta:
        model = MarkupRule

    marketplace = factory.SubFactory(MarketplaceFactory)
    kind = MarkupKind.PERCENT_OVER_COST
    percent = Decimal("20.000")
