"""A small estate for invoice-run tests: a French provider that issues invoices, its customers, and subscriptions
whose licence ledger is written through `bss.services.ledger.ledger_record`, as the real writers do."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from billing.rating import Term, term_end_for
from bss.choices import LedgerEventKind, ResellerKind
from bss.models import Customer, LicenseLedgerEntry, Reseller, Subscription
from bss.services.ledger import ledger_record
from tests.factories.bss import CustomerFactory, MarketplaceFactory, MicrosoftTenantFactory, SubscriptionFactory


def at(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def direct_customer(provider: Reseller, *, country: str = "FR", name: str | None = None) -> Customer:
    assert provider.kind == ResellerKind.PROVIDER
    marketplace = MarketplaceFactory(owner=provider, currency="EUR", market=country)
    extra = {"company_name": name} if name else {}
    return CustomerFactory(reseller=provider, marketplace=marketplace, country=country, **extra)


def buy(
    customer: Customer,
    when: dt.datetime,
    quantity: int,
    *,
    price: Decimal | str | None,
    cost: Decimal | str | None = None,
    term: str = "P1M",
    cycle: str = "monthly",
    name: str = "Microsoft 365 Business Standard",
) -> Subscription:
    """A subscription bought at `when` with its purchase event (price None = unknown)."""
    end = term_end_for(when.date(), Term(term))
    sub = SubscriptionFactory(
        tenant=MicrosoftTenantFactory(customer=customer, instance=customer.marketplace.instance),
        customer=customer, name=name, quantity=quantity, term_duration=term, billing_cycle=cycle,
        effective_start_date=when, commitment_end_date=end, pc_product_id="CFQ7TTC0LDPB", pc_sku_id="0001",
    )
    ledger_record(
        subscription=sub, kind=LedgerEventKind.PURCHASE, quantity_before=0, quantity_after=quantity, reason="order",
        effective_at=when, reference_id=f"order-{sub.pk}",
        unit_price=Decimal(price) if price is not None else None,
        unit_cost=Decimal(cost) if cost is not None else None, currency="EUR",
    )
    return sub


def change_seats(
    sub: Subscription, when: dt.datetime, quantity: int, *,
    unit_price: Decimal | None = None, unit_cost: Decimal | None = None,
) -> LicenseLedgerEntry:
    entry = ledger_record(subscription=sub, kind=LedgerEventKind.SEAT_CHANGE, quantity_before=sub.quantity,
                          quantity_after=quantity, reason="change", effective_at=when,
                          unit_price=unit_price, unit_cost=unit_cost)
    sub.quantity = quantity
    sub.save(update_fields=["quantity"])
    return entry


def cancel(sub: Subscription, when: dt.datetime) -> LicenseLedgerEntry:
    entry = ledger_record(subscription=sub, kind=LedgerEventKind.CANCEL, quantity_before=sub.quantity,
                          quantity_after=0, reason="deleted", effective_at=when)
    sub.status = "deleted"
    sub.save(update_fields=["status"])
    return entry
