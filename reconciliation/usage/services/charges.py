"""Billing Azure usage in arrears: once Microsoft's invoice of a month is imported, each customer's usage of that
month goes on its next invoice, one line per Azure subscription and meter category, through billing's "charge on
the next invoice" path (`billing.services.manual_charges`; the invoice run keeps those lines).

Price: Microsoft's cost (the billed usage lines' `BillingPreTaxTotal`, already rounded by Microsoft's usage rule
and converted at its FX rate) plus the markup of the customer's or else its reseller's `UsagePricing`; or, for a
discount rule, the list price (each line's `ROUNDDOWN(ROUNDDOWN(UnitPrice * Quantity, 2) * FX, 2)`) less the
discount. No rule: Microsoft's cost. Rounded half-up to the cent once per invoice line. A `UsageCharge` row per
customer, month, Azure subscription and category makes the billing happen once."""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction

from billing.services.manual_charges import manual_charge_add
from bss.exceptions import ApplicationError
from bss.models import Customer, Subscription
from reconciliation.usage.choices import PricingMethod, UsageImportKind
from reconciliation.usage.models import UsageCharge, UsageLine, UsagePricing
from reconciliation.usage.selectors import month_lines

logger = logging.getLogger(__name__)
CENT = Decimal("0.01")
ZERO = Decimal(0)


def _down(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_DOWN)


def list_amount(unit_price: Decimal | None, quantity: Decimal | None, rate: Decimal | None) -> Decimal:
    """A usage line at list price in the billing currency, by Microsoft's usage rounding (§3.5)."""
    return _down(_down((unit_price or ZERO) * (quantity or ZERO)) * (rate if rate is not None else Decimal(1)))


def pricing_for(customer: Customer) -> UsagePricing | None:
    return (UsagePricing.objects.filter(customer=customer).first()
            or UsagePricing.objects.filter(reseller=customer.reseller_id).first())


def price(cost: Decimal, list_total: Decimal, rule: UsagePricing | None) -> Decimal:
    """Our price of a group of usage lines."""
    if rule is None:
        return cost.quantize(CENT, rounding=ROUND_HALF_UP)
    if rule.method == PricingMethod.DISCOUNT:
        return (list_total * (100 - rule.percent) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return (cost * (100 + rule.percent) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Group:
    customer_id: int
    entitlement_id: str
    entitlement_name: str
    meter_category: str
    currency: str
    pc_subscription_id: str
    cost: Decimal = ZERO
    list_total: Decimal = ZERO


def groups_of(lines: list[UsageLine]) -> list[Group]:
    found: dict[tuple[int, str, str, str], Group] = {}
    for line in lines:
        assert line.customer_id is not None
        key = (line.customer_id, line.entitlement_id, line.meter_category or "Other", line.currency)
        group = found.get(key)
        if group is None:
            group = found[key] = Group(line.customer_id, line.entitlement_id, line.entitlement_name or
                                       line.entitlement_id, line.meter_category or "Other", line.currency,
                                       line.pc_subscription_id)
        group.cost += line.billing_total
        group.list_total += list_amount(line.unit_price, line.quantity, line.exchange_rate)
    return sorted(found.values(), key=lambda g: (g.customer_id, g.entitlement_name, g.meter_category))


def usage_bill_month(*, instance_id: int, year: int, month: int) -> list[UsageCharge]:
    """Bill the month's usage of the instance's customers (billed usage only); returns the charges added now."""
    lines = list(month_lines(year, month).filter(instance_id=instance_id, customer__isnull=False,
                                                 usage_import__kind=UsageImportKind.BILLED)
                 .only("customer_id", "entitlement_id", "entitlement_name", "meter_category", "currency",
                       "pc_subscription_id", "billing_total", "unit_price", "quantity", "exchange_rate"))
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    customers = {c.pk: c for c in Customer.objects.select_related("reseller").filter(
        pk__in={line.customer_id for line in lines})}
    rules: dict[int, UsagePricing | None] = {}
    added: list[UsageCharge] = []
    for group in groups_of(lines):
        customer = customers[group.customer_id]
        if customer.pk not in rules:
            rules[customer.pk] = pricing_for(customer)
        try:
            charge = _bill(customer, group, year, month, first, last, rules[customer.pk])
        except ApplicationError as exc:
            logger.warning("usage billing of %s %s-%02d: %s", customer, year, month, exc)
            continue
        if charge is not None:
            added.append(charge)
    return added


def _bill(customer: Customer, group: Group, year: int, month: int, first: dt.date, last: dt.date,
          rule: UsagePricing | None) -> UsageCharge | None:
    amount = price(group.cost, group.list_total, rule)
    try:
        with transaction.atomic():
            charge = UsageCharge.objects.create(
                customer=customer, year=year, month=month, entitlement_id=group.entitlement_id,
                entitlement_name=group.entitlement_name[:255], meter_category=group.meter_category[:100],
                cost=group.cost, amount=amount, currency=group.currency)
            subscription = Subscription.objects.filter(pc_subscription_id__iexact=group.pc_subscription_id,
                                                       customer=customer).first() if group.pc_subscription_id \
                else None
            charge.invoice_line = manual_charge_add(
                customer=customer, subscription=subscription, amount=amount, currency=group.currency,
                description=f"Azure usage {year}-{month:02d}: {group.entitlement_name} - {group.meter_category}",
                charge_type="usage", charge_start=first, charge_end=last, cost_amount=group.cost,
                source=f"usage:{year}{month:02d}:{group.entitlement_id}:{group.meter_category}"[:90])
            charge.save(update_fields=["invoice_line", "updated_at"])
            return charge
    except IntegrityError:
        return None  # billed already


def billed_charges(customer: Customer, *, limit: int = 100) -> list[UsageCharge]:
    return list(UsageCharge.objects.filter(customer=customer).order_by("-year", "-month", "entitlement_name",
                                                                       "meter_category")[:limit])


def by_month(charges: list[UsageCharge]) -> dict[tuple[int, int], list[UsageCharge]]:
    found: dict[tuple[int, int], list[UsageCharge]] = defaultdict(list)
    for charge in charges:
        found[(charge.year, charge.month)].append(charge)
    return dict(found)
