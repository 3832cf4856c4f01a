"""Demo catalog: sync the simulator's US catalog into the global demo instance and publish a typical range in
both demo marketplaces (provider: 20% over cost; the tenant reseller: 15% over its wholesale price)."""

from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand

from bss.models import Marketplace, PartnerCenterInstance
from catalog.choices import MarkupKind
from catalog.models import Sku
from catalog.services import catalog_sync_run, markup_rule_set, offer_publish

# (product id, SKU id): Microsoft 365 Business Basic/Standard/Premium, Office 365 E3, Microsoft 365 E3/E5, Exchange
# Online (Plan 1), Teams Essentials, Dynamics 365 Sales Enterprise (simulator id), Azure plan.
DEMO_RANGE = [
    ("CFQ7TTC0LH18", "0001"),
    ("CFQ7TTC0LDPB", "0001"),
    ("CFQ7TTC0LCHC", "0002"),
    ("CFQ7TTC0LF8R", "0001"),
    ("CFQ7TTC0LFLX", "0001"),
    ("CFQ7TTC0LFLZ", "0002"),
    ("CFQ7TTC0LH16", "0001"),
    ("CFQ7TTC0JN4R", "0002"),
    ("SIM0D365SALE", "0001"),
    ("DZH318Z0BPS6", "0001"),
]


class Command(BaseCommand):
    help = "Sync the demo catalog from the simulator and publish a typical range (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--instance", default="Fabrikam global cloud (simulator)")

    def handle(self, *args: Any, **options: Any) -> None:
        instance = PartnerCenterInstance.objects.get(name=options["instance"])
        if not Sku.objects.filter(product__instance=instance).exists():
            run = catalog_sync_run(instance=instance, market=instance.default_market)
            self.stdout.write(f"Catalog sync {run.status}: {run.rows_read} price rows read.")
        skus = Sku.objects.filter(product__instance=instance, product__market=instance.default_market)
        for marketplace, percent in self._marketplaces(instance):
            if marketplace.offers.exists():
                continue
            markup_rule_set(marketplace=marketplace, kind=MarkupKind.PERCENT_OVER_COST, percent=percent, actor=None)
            published = 0
            for product_id, sku_id in DEMO_RANGE:
                sku = skus.filter(product__product_id=product_id, sku_id=sku_id).first()
                if sku is not None and sku.is_sellable:
                    offer_publish(marketplace=marketplace, sku=sku, actor=None)
                    published += 1
            self.stdout.write(f"{marketplace.name}: {published} plans published at {percent}% over cost.")

    def _marketplaces(self, instance: PartnerCenterInstance) -> list[tuple[Marketplace, Decimal]]:
        result = []
        for marketplace in Marketplace.objects.filter(instance=instance, market=instance.default_market):
            result.append((marketplace, Decimal("20") if marketplace.owner.parent_id is None else Decimal("15")))
        return result
