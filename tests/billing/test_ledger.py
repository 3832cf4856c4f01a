"""The licence ledger as billing's event history: what each writer records through `ledger_record`."""

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import Issuer  # noqa: F401 - the billing app is installed
from bss.choices import LedgerEventKind
from bss.models import LicenseLedgerEntry
from bss.services.subscriptions import subscription_apply_status, subscription_record_from_partner_center
from partnercenter.types import Subscription as PCSubscription
from reconciliation.imports.mapping import SubscriptionValues
from reconciliation.imports.services.customers import subscription_import
from tests.billing.scenario import at, buy, change_seats, direct_customer
from tests.factories.bss import MicrosoftTenantFactory, OrderLineFactory
from tests.factories.catalog import MarkupRuleFactory, PriceFactory, ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db


def test_an_ordered_subscription_starts_with_a_purchase_at_partner_centers_time_and_the_order_lines_price(provider):
    customer = direct_customer(provider)
    tenant = MicrosoftTenantFactory(customer=customer, instance=customer.marketplace.instance)
    line = OrderLineFactory(order__tenant=tenant, unit_price=Decimal("10.0800"), currency="EUR")
    pc = PCSubscription(
        id="sub-1", quantity=10, billing_cycle="Monthly", term_duration="P1M", status="active",
        creation_date=at(2025, 6, 18, 9), effective_start_date=at(2025, 6, 18, 0),
        commitment_end_date=at(2025, 7, 17, 0), order_id="order-1", partner_id="5123456",
    )

    sub = subscription_record_from_partner_center(tenant=tenant, order_line=line, pc=pc)

    entry = LicenseLedgerEntry.objects.get(subscription=sub)
    assert (entry.kind, entry.quantity_before, entry.quantity_after) == (LedgerEventKind.PURCHASE, 0, 10)
    assert entry.effective_at == at(2025, 6, 18, 9) and entry.reference_id == "order-1"
    assert (entry.unit_price, entry.unit_cost, entry.currency) == (Decimal("10.08"), None, "EUR")
    assert (entry.term_duration, entry.billing_cycle, entry.partner_id) == ("P1M", "monthly", "5123456")
    assert (entry.term_start, entry.term_end) == (dt.date(2025, 6, 18), dt.date(2025, 7, 17))


def test_a_seat_change_keeps_the_price_locked_for_the_term(provider):
    sub = buy(direct_customer(provider), at(2025, 6, 18), 10, price="10.08", cost="8.40")

    entry = change_seats(sub, at(2025, 6, 20), 12, unit_price=Decimal("12.00"), unit_cost=Decimal("9.99"))

    assert (entry.kind, entry.unit_price, entry.unit_cost) == (LedgerEventKind.SEAT_CHANGE, Decimal("10.08"),
                                                                Decimal("8.40"))
    assert (entry.term_start, entry.term_end, entry.effective_at) == (
        dt.date(2025, 6, 18), dt.date(2025, 7, 17), at(2025, 6, 20))


def test_suspension_reactivation_and_cancellation_confirmed_by_partner_center_are_events(provider):
    sub = buy(direct_customer(provider), at(2025, 6, 18), 10, price="10.08")
    assert sub.pc_subscription_id is not None  # the factory gives every subscription its Partner Center id

    for status in ("suspended", "active", "deleted"):
        subscription_apply_status(subscription=sub, pc=PCSubscription(id=sub.pc_subscription_id, status=status),
                                  actor=None)

    events = list(sub.ledger.order_by("id").values_list("kind", "quantity_before", "quantity_after"))
    assert events == [
        ("purchase", 0, 10), ("suspend", 10, 10), ("reactivate", 10, 10), ("cancel", 10, 0)]


def test_an_imported_subscription_starts_with_a_purchase_at_its_start_with_the_catalogs_price(provider):
    customer = direct_customer(provider)
    marketplace = customer.marketplace
    sku = SkuFactory(product=ProductFactory(instance=marketplace.instance, market=marketplace.market,
                                            product_id="CFQ7TTC0LDPB"))
    PriceFactory(sku=sku, term_duration="P1Y", billing_cycle="monthly", currency="EUR",
                 unit_price=Decimal("10.00"), erp_price=Decimal("13.00"), effective_start=at(2025, 1, 1))
    MarkupRuleFactory(marketplace=marketplace, percent=Decimal("20"))
    tenant = MicrosoftTenantFactory(customer=customer, instance=marketplace.instance)
    values = SubscriptionValues(
        pc_subscription_id="imported-1", name="Microsoft 365 E3", quantity=7, status="active", billing_cycle="monthly",
        term_duration="P1Y", auto_renew=True, pc_offer_id="CFQ7TTC0LDPB:0001:AAA", pc_product_id="CFQ7TTC0LDPB",
        pc_sku_id=sku.sku_id, pc_order_id="order-9", pc_partner_id="", effective_start_date=at(2025, 3, 4, 0),
        commitment_end_date=dt.date(2026, 3, 3), cancellation_allowed_until=None,
    )

    sub = subscription_import(actor=None, customer=customer, tenant=tenant, values=values)

    entry = sub.ledger.get()
    assert (entry.kind, entry.quantity_after, entry.effective_at) == ("purchase", 7, at(2025, 3, 4, 0))
    assert (entry.unit_price, entry.unit_cost, entry.currency) == (Decimal("12.00"), Decimal("10.00"), "EUR")
    assert (entry.term_start, entry.term_end) == (dt.date(2025, 3, 4), dt.date(2026, 3, 3))
