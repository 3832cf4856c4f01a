"""Microsoft's catalog per Partner Center instance and market, its prices, and what the provider sells.

Product -> Sku -> Availability mirror Partner Center; Price rows hold the price sheet (cost = partner unit price,
ERP = estimated retail price) per (SKU, term, billing cycle, currency, tier) with effective dates; a price change
adds a row and retires the previous one (``is_current``). Offer = a SKU published to a marketplace; MarkupRule
turns cost into sale price. CatalogSyncRun + CatalogChange are the change report of each sync/import.
"""

from decimal import Decimal
from typing import TypedDict

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Now

from bss.models.base import TimestampedModel
from catalog.choices import ChangeKind, Lifecycle, MarkupKind, RunSource, RunStage, RunStatus


class MoneyDigits(TypedDict):
    max_digits: int
    decimal_places: int


#: Money columns: ``DecimalField(**MONEY)`` (a TypedDict, so type checkers see the keyword arguments).
MONEY: MoneyDigits = {"max_digits": 20, "decimal_places": 6}

#: References among the tables a catalog sync writes in bulk (Product, Sku, Price, CatalogChange and their run
#: pointers) carry no database constraint: PostgreSQL checks a foreign key row by row at commit (about 3 us each),
#: which cost more than loading the whole price sheet. These rows are written only by ``catalog.pricesheet.diff`` and
#: ``catalog.pricesheet.firstload``, in one transaction under the instance lock, with ids taken from the parent rows
#: themselves; nothing deletes them except the ORM, which applies ``on_delete`` itself. A product's reference to its
#: instance is one of them (0.1 s of checks per 20k products): the sync holds that instance's row locked
#: (``select_for_update``) while it writes, so the instance exists, and ``PROTECT`` keeps it while it has products.
#: References from the rest of the BSS into the catalog (offers, markup rules) keep their constraints.
#: ``catalog.selectors.catalog_orphans`` counts rows whose parent is missing (expected: none; tested).
#: BULK_REFERENCE below is ``db_constraint=False, db_index=False`` on the field; a run pointer (RUN_POINTER) is
#: ``null=True, blank=True, on_delete=models.SET_NULL`` plus BULK_REFERENCE. Both are written out on each field so
#: that type checkers (django-stubs) see a nullable reference as nullable.


class CatalogSyncRun(TimestampedModel):
    """One catalog sync (Partner Center) or price-list file import for one instance and market."""

    instance = models.ForeignKey("bss.PartnerCenterInstance", on_delete=models.PROTECT, related_name="catalog_runs")
    market = models.CharField(max_length=2)
    source = models.CharField(max_length=16, choices=RunSource.choices, default=RunSource.PARTNER_CENTER)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.PENDING)
    stage = models.CharField(max_length=24, choices=RunStage.choices, default=RunStage.QUEUED)
    rows_read = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    file_name = models.CharField(max_length=255, blank=True)
    file_path = models.CharField(max_length=500, blank=True, help_text="Uploaded file waiting for import")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    content_digest = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the price rows read")
    shortcut = models.BooleanField(default=False, help_text="Price sheet identical to the last applied run")
    added_count = models.PositiveIntegerField(default=0)
    discontinued_count = models.PositiveIntegerField(default=0)
    repriced_count = models.PositiveIntegerField(default=0)
    prices_written = models.PositiveIntegerField(default=0)
    file_encoding = models.CharField(max_length=16, blank=True,
                                     help_text="Encoding the uploaded file was read in (stored as UTF-8)")
    # The size of the catalog the run was compared with, and what a run held for confirmation read (so that the
    # confirmation applies exactly that, without reading again: its price rows are HeldPrice rows).
    catalog_products = models.PositiveIntegerField(default=0, help_text="Active products before the run")
    catalog_prices = models.PositiveIntegerField(default=0, help_text="Current prices before the run")
    discontinued_products = models.PositiveIntegerField(default=0, help_text="Whole products among the discontinued")
    held_catalog = models.JSONField(null=True, blank=True, editable=False,
                                    help_text="Products, SKUs and availabilities a held sync read from Partner Center")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", help_text="Who applied or discarded the held run")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["instance", "market", "status"], name="catalog_run_inst_mkt_status")]

    def __str__(self) -> str:
        return f"Catalog {self.get_source_display()} {self.instance_id}/{self.market} #{self.pk}"

    @property
    def change_count(self) -> int:
        return self.added_count + self.discontinued_count + self.repriced_count

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.DISCARDED)

    @property
    def is_awaiting_confirmation(self) -> bool:
        return self.status == RunStatus.AWAITING_CONFIRMATION

    @property
    def is_active(self) -> bool:
        """Queued or running (the page follows its progress)."""
        return self.status in (RunStatus.PENDING, RunStatus.RUNNING)


class HeldPrice(models.Model):
    """A staged price-sheet row of a run held for confirmation (``catalog.pricesheet.staging.TYPED_COLUMNS``).

    Written from the staging table when the run is held, read back into it when the run is confirmed, deleted when
    the run is applied or discarded.
    """

    run = models.ForeignKey(CatalogSyncRun, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    line_no = models.BigIntegerField()
    product_code = models.TextField()
    sku_code = models.TextField()
    product_title = models.TextField()
    sku_title = models.TextField()
    publisher = models.TextField()
    sku_description = models.TextField()
    term_duration = models.TextField()
    billing_cycle = models.TextField()
    currency = models.TextField()
    unit_price = models.DecimalField(**MONEY)
    erp_price = models.DecimalField(**MONEY)
    tier_min = models.DecimalField(**MONEY, null=True)
    tier_max = models.DecimalField(**MONEY, null=True)
    effective_start = models.DateTimeField()
    effective_end = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.product_code}:{self.sku_code} of run {self.run_id}"


class Product(TimestampedModel):
    # Table pages are kept half full on PostgreSQL (migration 0006): each sync's "seen again" update stays on the page.
    # Never looked up by creation time: no index (each costs every bulk-synced row; see catalog.pricesheet.firstload).
    # The four timestamps default to the statement's time in the database: a first import leaves them out of its
    # COPY, which saves PostgreSQL parsing four timestamps per row.
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())
    # indexed by catalog_product_unique (instance, market, product_id)
    instance = models.ForeignKey("bss.PartnerCenterInstance", on_delete=models.PROTECT, related_name="products",
                                 db_constraint=False, db_index=False)
    market = models.CharField(max_length=2)
    product_id = models.CharField(max_length=40, help_text="Partner Center product id")
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    product_type = models.CharField(max_length=40, blank=True)
    family = models.CharField(max_length=80, blank=True, help_text="For display: Microsoft 365, Dynamics 365 ...")
    segment = models.CharField(max_length=20, blank=True)
    is_addon = models.BooleanField(default=False)
    publisher = models.CharField(max_length=120, blank=True)
    lifecycle = models.CharField(max_length=16, choices=Lifecycle.choices, default=Lifecycle.ACTIVE)
    first_seen_at = models.DateTimeField(null=True, blank=True, db_default=Now())
    last_seen_at = models.DateTimeField(null=True, blank=True, db_default=Now())
    discontinued_at = models.DateTimeField(null=True, blank=True)
    # Run pointers are bookkeeping written by the set-based sync for every row it touches; see RUN_POINTER.
    last_seen_run = models.ForeignKey(
        CatalogSyncRun, related_name="+", null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False,
        db_index=False,
    )
    first_seen_run = models.ForeignKey(
        CatalogSyncRun, related_name="+", null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False,
        db_index=False,
    )

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(name="catalog_product_unique", fields=["instance", "market", "product_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.product_id})"


class Sku(TimestampedModel):
    # not indexed, and defaults in the database, as on Product
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())
    # indexed by catalog_sku_unique (product, sku_id)
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="skus", db_constraint=False, db_index=False
    )
    sku_id = models.CharField(max_length=20)
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    min_quantity = models.PositiveIntegerField(default=1)
    max_quantity = models.PositiveIntegerField(default=0, help_text="0 = unknown")
    is_trial = models.BooleanField(default=False)
    segment = models.CharField(max_length=20, blank=True)
    is_addon = models.BooleanField(default=False)
    prerequisite_skus = models.JSONField(default=list, blank=True, help_text='["productId:skuId", ...]')
    supported_billing_cycles = models.JSONField(default=list, blank=True)
    new_subscription_per_order = models.BooleanField(
        default=False, db_default=False,
        help_text="Every order of this plan is a new subscription (Dynamics 365-style instances); otherwise a "
                  "second order of the same plan is pointed to \"Buy extra licences\"",
    )
    lifecycle = models.CharField(max_length=16, choices=Lifecycle.choices, default=Lifecycle.ACTIVE)
    first_seen_at = models.DateTimeField(null=True, blank=True, db_default=Now())
    last_seen_at = models.DateTimeField(null=True, blank=True, db_default=Now())
    discontinued_at = models.DateTimeField(null=True, blank=True)
    # Run pointers are bookkeeping written by the set-based sync for every row it touches; see RUN_POINTER.
    last_seen_run = models.ForeignKey(
        CatalogSyncRun, related_name="+", null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False,
        db_index=False,
    )
    first_seen_run = models.ForeignKey(
        CatalogSyncRun, related_name="+", null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False,
        db_index=False,
    )

    class Meta:
        ordering = ["product__title", "sku_id"]
        constraints = [models.UniqueConstraint(name="catalog_sku_unique", fields=["product", "sku_id"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.product.product_id}:{self.sku_id})"

    @property
    def is_sellable(self) -> bool:
        return self.lifecycle == Lifecycle.ACTIVE and self.product.lifecycle == Lifecycle.ACTIVE


class Availability(TimestampedModel):
    """A purchasable form of a SKU: its catalogItemId and terms (duration + billing cycle)."""

    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="availabilities")
    availability_id = models.CharField(max_length=40)
    catalog_item_id = models.CharField(max_length=100)
    segment = models.CharField(max_length=20, blank=True)
    is_purchasable = models.BooleanField(default=True)
    terms = models.JSONField(default=list, blank=True, help_text='[{"id", "duration", "billing_cycle", ...}]')
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sku", "availability_id"]
        constraints = [models.UniqueConstraint(name="catalog_availability_unique", fields=["sku", "availability_id"])]

    def __str__(self) -> str:
        return self.catalog_item_id


class Price(models.Model):
    """One price-sheet price; the current one per key has ``is_current``; older ones are history."""

    # current prices by SKU: catalog_price_one_current_per_key; history is read with its SKU's current rows
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="prices", db_constraint=False, db_index=False)
    term_duration = models.CharField(max_length=4)
    billing_cycle = models.CharField(max_length=16)
    currency = models.CharField(max_length=3)
    unit_price = models.DecimalField(**MONEY, help_text="Partner cost per unit per billing period")
    erp_price = models.DecimalField(**MONEY, help_text="Estimated retail price per unit per billing period")
    tier_min = models.DecimalField(**MONEY, null=True, blank=True)
    tier_max = models.DecimalField(**MONEY, null=True, blank=True)
    effective_start = models.DateTimeField()
    effective_end = models.DateTimeField(null=True, blank=True)
    is_current = models.BooleanField(default=True)
    run = models.ForeignKey(CatalogSyncRun, related_name="+", null=True, blank=True, on_delete=models.SET_NULL,
                                      db_constraint=False, db_index=False)

    class Meta:
        ordering = ["sku", "term_duration", "billing_cycle", "currency", "-effective_start"]
        constraints = [
            # One current price per price key; also the index behind "current prices of these SKUs".
            models.UniqueConstraint(
                F("sku"), F("term_duration"), F("billing_cycle"), F("currency"),
                Coalesce(F("tier_min"), Value(Decimal(-1)), output_field=models.DecimalField(**MONEY)),
                condition=Q(is_current=True), name="catalog_price_one_current_per_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} {self.term_duration}/{self.billing_cycle} {self.unit_price} {self.currency}"


class CatalogChange(models.Model):
    """One line of a run's change report."""

    run = models.ForeignKey(
        CatalogSyncRun, on_delete=models.CASCADE, related_name="changes", db_constraint=False, db_index=False
    )
    kind = models.CharField(max_length=16, choices=ChangeKind.choices)
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    sku = models.ForeignKey(
        Sku, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    term_duration = models.CharField(max_length=4, blank=True)
    billing_cycle = models.CharField(max_length=16, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    old_unit_price = models.DecimalField(**MONEY, null=True, blank=True)
    new_unit_price = models.DecimalField(**MONEY, null=True, blank=True)
    old_erp_price = models.DecimalField(**MONEY, null=True, blank=True)
    new_erp_price = models.DecimalField(**MONEY, null=True, blank=True)
    affected_subscriptions = models.PositiveIntegerField(default=0, help_text="Subscriptions held (discontinued)")

    class Meta:
        ordering = ["kind", "product__title", "sku__sku_id", "term_duration", "billing_cycle", "currency"]
        indexes = [models.Index(fields=["run", "kind"], name="catalog_change_run_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.product_id}"


class MarketplaceCatalogSettings(TimestampedModel):
    marketplace = models.OneToOneField("bss.Marketplace", on_delete=models.CASCADE, related_name="catalog_settings")
    auto_publish_new = models.BooleanField(default=False, help_text="Publish products added by a catalog sync")

    def __str__(self) -> str:
        return f"Catalog settings of {self.marketplace_id}"


class Offer(TimestampedModel):
    """A SKU published (or not) in a marketplace."""

    marketplace = models.ForeignKey("bss.Marketplace", on_delete=models.CASCADE, related_name="offers")
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="offers")
    is_published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["marketplace", "sku"]
        constraints = [models.UniqueConstraint(name="catalog_offer_unique", fields=["marketplace", "sku"])]

    def __str__(self) -> str:
        return f"{self.sku} in {self.marketplace_id}"


class MarkupRule(TimestampedModel):
    """Sale price rule of a marketplace: its default (no SKU) or for one SKU."""

    marketplace = models.ForeignKey("bss.Marketplace", on_delete=models.CASCADE, related_name="markup_rules")
    sku = models.ForeignKey(Sku, null=True, blank=True, on_delete=models.CASCADE, related_name="markup_rules")
    kind = models.CharField(max_length=16, choices=MarkupKind.choices, default=MarkupKind.PERCENT_OVER_COST)
    percent = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    fixed_monthly_price = models.DecimalField(**MONEY, null=True, blank=True)

    class Meta:
        ordering = ["marketplace", "sku"]
        constraints = [
            models.UniqueConstraint(name="catalog_markup_unique_sku", fields=["marketplace", "sku"]),
            models.UniqueConstraint(
                name="catalog_markup_unique_default", fields=["marketplace"], condition=Q(sku__isnull=True)
            ),
            models.CheckConstraint(
                name="catalog_markup_value_for_kind",
                condition=Q(kind=MarkupKind.PERCENT_OVER_COST, percent__isnull=False)
                | Q(kind=MarkupKind.FIXED_PRICE, fixed_monthly_price__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        value = (f"{self.percent:f}".rstrip("0").rstrip(".") + " % over cost" if self.kind == "percent"
                 else f"fixed {self.fixed_monthly_price or 0:.2f} per unit per month")
        return value if self.sku_id else f"{value} (default)"
