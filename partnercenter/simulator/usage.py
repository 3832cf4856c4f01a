"""Azure plan daily-rated usage (billing facts sheet §4): for every Azure entitlement (Azure subscription) of an
Azure plan, deterministic usage per meter and day, priced from the usage price list below, as the rows of the
billed and unbilled *usage* exports (same 202 / operation / manifest / gzip JSON Lines flow as the invoice
reconciliation exports, ``billing_api.py``).

Nothing is stored: a row is a function of the simulator's seed, the entitlement, the meter and the day, so an
unbilled export taken every day of a month adds up, day by day, to the billed export of that month. A hash of
``seed:entitlement`` chooses the entitlement's meter mix (categories, regions), base quantities, daily growth and
whether the partner earns PEC (15 %) on it. A control call (``POST /_control/billing/usage-spike``) multiplies one
entitlement's usage on one day (a spike for the alert tests).

Money (§3.5, usage rule): ``PricingPreTaxTotal = ROUNDDOWN(EffectiveUnitPrice * Quantity, 2)`` in USD and
``BillingPreTaxTotal = ROUNDDOWN(PricingPreTaxTotal * PCToBCExchangeRate, 2)``; ``EffectiveUnitPrice`` is the list
price less PEC. FX: one rate per month and currency (§3.6; the rate date is two days before the previous month's
end)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from .ledger import add_months, month_end, month_start
from .state import AzureEntitlement, PartnerAccount, Subscription

AZURE_PLAN_PRODUCT = "DZH318Z0BPS6"
PRICING_CURRENCY = "USD"
PEC_PERCENT = Decimal(15)
_CENT = Decimal("0.01")
_QTY = Decimal("0.000001")


@dataclass(frozen=True)
class Meter:
    id: str
    name: str
    category: str
    subcategory: str
    unit: str
    unit_price: Decimal
    """USD per unit (the usage price list)."""
    consumed_service: str
    base: tuple[int, int]
    """Daily quantity range the seed picks the base from."""
    weekday_bound: bool = False
    """Usage drops at the weekend (interactive workloads)."""


def _meter(mid: str, name: str, cat: str, sub: str, unit: str, price: str, service: str, low: int, high: int,
           weekday: bool = False) -> Meter:
    return Meter(mid, name, cat, sub, unit, Decimal(price), service, (low, high), weekday)


#: The usage price list: meters by category, USD list prices.
METERS: tuple[Meter, ...] = (
    _meter("2e2dbb6e-6fa7-4c3a-9b8d-2d5b2f1a0001", "D2s v5", "Virtual Machines", "Dsv5 Series", "1 Hour",
           "0.096", "Microsoft.Compute", 24, 96, True),
    _meter("2e2dbb6e-6fa7-4c3a-9b8d-2d5b2f1a0002", "B2ms", "Virtual Machines", "BS Series", "1 Hour",
           "0.0832", "Microsoft.Compute", 24, 72),
    _meter("2e2dbb6e-6fa7-4c3a-9b8d-2d5b2f1a0003", "P10 LRS Disk", "Storage", "Premium SSD Managed Disks",
           "1/Month", "0.6336", "Microsoft.Compute", 1, 4),
    _meter("2e2dbb6e-6fa7-4c3a-9b8d-2d5b2f1a0004", "Hot LRS Data Stored", "Storage", "Blob Storage", "1 GB/Month",
           "0.0208", "Microsoft.Storage", 200, 4000),
    _meter("2e2dbb6e-6fa7-4c3a-9b8d-2d5b2f1a0005", "Standard Data Transfer Out", "Bandwidth", "Internet Egress",
           "1 GB", "0.087", "Microsoft.Network", 5, 120, True),
    _meter("2e2dbb6e-6fa7-4c3a-9b8d-2d5b2f1a0006", "P1 v3 App", "Azure App Service", "Premium v3 Plan", "1 Hour",
           "0.2", "Microsoft.Web", 24, 48),
    _meter("2e2dbb6e-6fa7-4c3a-9b8d-2d5b2f1a0007", "S2 DTUs", "SQL Database", "Single Standard", "1/Day",
           "2.4194", "Microsoft.Sql", 1, 3),
    _meter("2e2dbb6e-6fa7-4c3a-9b8d-2d5b2f1a0008", "100 RU/s", "Azure Cosmos DB", "Provisioned Throughput",
           "100 RU/s/Hour", "0.008", "Microsoft.DocumentDB", 24, 480),
    _meter("2e2dbb6e-6fa7-4c3a-9b8d-2d5b2f1a0009", "Pay-as-you-go Data Ingestion", "Log Analytics",
           "Analytics Logs", "1 GB", "2.76", "Microsoft.OperationalInsights", 1, 12, True),
    _meter("2e2dbb6e-6fa7-4c3a-9b8d-2d5b2f1a0010", "Standard Static IP", "Virtual Network", "IP Addresses",
           "1 Hour", "0.005", "Microsoft.Network", 24, 96),
)
METER_BY_ID = {m.id: m for m in METERS}
REGIONS: tuple[tuple[str, str], ...] = (
    ("US East", "eastus"), ("EU West", "westeurope"), ("EU North", "northeurope"), ("US West 2", "westus2"),
    ("UK South", "uksouth"), ("AU East", "australiaeast"),
)
#: Pricing (USD) to billing currency, per unit of the billing currency (a fixed table: one rate a month).
FX_RATES: dict[str, Decimal] = {
    "USD": Decimal(1), "EUR": Decimal("0.921530"), "GBP": Decimal("0.790412"), "AUD": Decimal("1.523110"),
    "CAD": Decimal("1.362250"), "CHF": Decimal("0.881740"), "JPY": Decimal("149.531000"),
    "DKK": Decimal("6.874200"), "SEK": Decimal("10.612300"), "NOK": Decimal("10.721500"),
}


def rounddown(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_DOWN)


def _hash(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()[:8], "big")


def _fraction(*parts: object) -> Decimal:
    """A deterministic number in [0, 1)."""
    return Decimal(_hash(*parts) % 1_000_000) / Decimal(1_000_000)


@dataclass(frozen=True)
class MeterPlan:
    meter: Meter
    region: str
    location: str
    base: Decimal
    growth: Decimal
    """Relative growth per day (e.g. 0.004 = +0.4 %/day)."""


@dataclass(frozen=True)
class EntitlementPlan:
    entitlement_id: str
    meters: tuple[MeterPlan, ...]
    pec: bool


def plan_for(seed: object, entitlement_id: str) -> EntitlementPlan:
    """The seed's choice for one entitlement: 3 to 6 meters, a region each, base quantity and growth, PEC."""
    key = entitlement_id.lower()
    count = 3 + _hash(seed, key, "count") % 4
    order = sorted(METERS, key=lambda m: _hash(seed, key, "pick", m.id))
    plans = []
    for meter in sorted(order[:count], key=lambda m: METERS.index(m)):
        region, location = REGIONS[_hash(seed, key, "region", meter.id) % len(REGIONS)]
        low, high = meter.base
        base = Decimal(low) + Decimal(high - low) * _fraction(seed, key, "base", meter.id)
        growth = (_fraction(seed, key, "growth", meter.id) * Decimal("0.012") - Decimal("0.002")).quantize(_QTY)
        plans.append(MeterPlan(meter, region, location, base.quantize(_QTY), growth))
    return EntitlementPlan(key, tuple(plans), pec=_hash(seed, key, "pec") % 3 != 0)


def fx_rate(currency: str) -> Decimal:
    return FX_RATES.get(currency.upper(), Decimal(1))


def fx_rate_date(day: dt.date) -> dt.date:
    """The FX rate of a month is taken two days before the previous month's end (§3.6)."""
    return month_start(day) - dt.timedelta(days=3)


@dataclass
class UsageBook:
    """Spikes planted by the control API: (entitlement id, day) -> multiplier."""

    spikes: dict[tuple[str, dt.date], Decimal] = field(default_factory=dict)

    def clear(self) -> None:
        self.spikes.clear()

    def spike(self, entitlement_id: str, day: dt.date, factor: Decimal) -> None:
        self.spikes[(entitlement_id.lower(), day)] = factor

    def quantity(self, seed: object, plan: MeterPlan, entitlement_id: str, start: dt.date, day: dt.date) -> Decimal:
        """Units consumed on ``day``: base * growth^days * weekday factor * noise (± 10 %) * spike."""
        days = max(0, (day - start).days)
        value = plan.base * (1 + plan.growth) ** days
        if plan.meter.weekday_bound and day.weekday() >= 5:
            value *= Decimal("0.6")
        value *= Decimal("0.9") + _fraction(seed, entitlement_id, plan.meter.id, day.isoformat()) / 5
        value *= self.spikes.get((entitlement_id.lower(), day), Decimal(1))
        return value.quantize(_QTY, rounding=ROUND_HALF_UP)


def _azure_plans(partner: PartnerAccount) -> Iterator[Subscription]:
    for sub in partner.subscriptions.values():
        if sub.product_id == AZURE_PLAN_PRODUCT and sub.status != "deleted":
            yield sub


def _days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


FULL_ONLY = frozenset({
    "AvailabilityId", "BenefitId", "ConsumedService", "CustomerCountry", "CustomerDomainName",
    "EntitlementDescription", "MeterCategory", "MeterId", "MeterName", "MeterRegion", "MeterSubCategory", "MeterType",
    "MpnId", "PartnerEarnedCreditPercentage", "ProductName", "PublisherId", "ResourceGroup", "ResourceLocation",
    "ServiceInfo1", "ServiceInfo2", "SubscriptionDescription", "Tags", "Tier2MpnId", "Unit",
})


def _stamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def usage_rows(partner: PartnerAccount, seed: object, book: UsageBook, *, first: dt.date, last: dt.date,
               currency: str, invoice_number: str = "", attribute_set: str = "full") -> list[dict[str, Any]]:
    """Every usage row of the partner's Azure plans for the days ``first`` to ``last`` (inclusive), priced in the
    billing ``currency``. Rows follow the usage day (one row per entitlement, meter and day)."""
    rate = fx_rate(currency)
    rows: list[dict[str, Any]] = []
    for sub in _azure_plans(partner):
        customer = partner.customers.get(sub.customer_id)
        start = sub.effective_start.astimezone(dt.UTC).date()
        ended = sub.status_changed.astimezone(dt.UTC).date() if sub.status == "suspended" and sub.status_changed \
            else None
        for entitlement in sub.entitlements:
            plan = plan_for(seed, entitlement.id)
            for day in _days(max(first, start), last):
                if ended is not None and day >= ended:
                    break
                for meter_plan in plan.meters:
                    rows.append(_row(partner, sub, customer, entitlement, plan, meter_plan, day, seed, book, start,
                                     rate, currency, invoice_number, attribute_set))
    return rows


def _row(partner: PartnerAccount, sub: Subscription, customer: Any, entitlement: AzureEntitlement,
         plan: EntitlementPlan, mp: MeterPlan, day: dt.date, seed: object, book: UsageBook, start: dt.date,
         rate: Decimal, currency: str, invoice_number: str, attribute_set: str) -> dict[str, Any]:
    meter = mp.meter
    quantity = book.quantity(seed, mp, entitlement.id, start, day)
    pec = PEC_PERCENT if plan.pec else Decimal(0)
    effective = (meter.unit_price * (100 - pec) / 100).quantize(_QTY)
    pricing_total = rounddown(effective * quantity)
    billing_total = rounddown(pricing_total * rate)
    group = f"rg-{entitlement.friendly_name.lower().replace(' ', '-')}"
    resource = (f"/subscriptions/{entitlement.id}/resourceGroups/{group}/providers/{meter.consumed_service}/"
                f"{meter.category.lower().replace(' ', '')}-{mp.location}")
    row: dict[str, Any] = {
        "PartnerId": partner.tenant_id, "PartnerName": partner.name, "MpnId": partner.mpn_id, "Tier2MpnId": "",
        "CustomerId": sub.customer_id, "CustomerName": customer.company_name if customer else "",
        "CustomerDomainName": customer.domain if customer else "",
        "CustomerCountry": customer.country if customer else "US", "InvoiceNumber": invoice_number,
        "ProductId": sub.product_id, "SkuId": sub.sku_id, "AvailabilityId": sub.availability_id,
        "SkuName": "Microsoft Azure plan", "ProductName": "Microsoft Azure", "PublisherName": "Microsoft",
        "PublisherId": "", "SubscriptionId": sub.id, "SubscriptionDescription": sub.friendly_name or sub.offer_name,
        "ChargeStartDate": _stamp(month_start(day)), "ChargeEndDate": _stamp(add_months(month_start(day), 1)),
        "UsageDate": _stamp(day), "MeterType": meter.unit, "MeterCategory": meter.category, "MeterId": meter.id,
        "MeterSubCategory": meter.subcategory, "MeterName": meter.name, "MeterRegion": mp.region, "Unit": meter.unit,
        "ResourceLocation": mp.location, "ConsumedService": meter.consumed_service, "ResourceGroup": group,
        "ResourceURI": resource, "ChargeType": "new", "UnitPrice": meter.unit_price, "Quantity": quantity,
        "UnitType": meter.unit, "BillingPreTaxTotal": billing_total, "BillingCurrency": currency.upper(),
        "PricingPreTaxTotal": pricing_total, "PricingCurrency": PRICING_CURRENCY, "ServiceInfo1": "",
        "ServiceInfo2": "", "Tags": "", "AdditionalInfo": "", "EffectiveUnitPrice": effective,
        "PCToBCExchangeRate": rate, "PCToBCExchangeRateDate": _stamp(fx_rate_date(day)),
        "EntitlementId": entitlement.id, "EntitlementDescription": entitlement.friendly_name,
        "PartnerEarnedCreditPercentage": int(pec), "CreditPercentage": 0, "CreditType": "Credit Not Applied",
        "BenefitOrderId": "", "BenefitId": "", "BenefitType": "",
    }
    if attribute_set == "basic":
        row = {k: v for k, v in row.items() if k not in FULL_ONLY}
    # JSON numbers, as Microsoft sends them (a float's repr is the shortest text that reads back the same).
    return {k: (float(v) if isinstance(v, Decimal) else v) for k, v in row.items()}


def unbilled_range(now: dt.datetime, period: str) -> tuple[dt.date, dt.date]:
    """The days of an unbilled export: the current period so far (complete days, up to yesterday) or the whole
    last period."""
    today = now.astimezone(dt.UTC).date()
    if period == "current":
        return month_start(today), today - dt.timedelta(days=1)
    last = add_months(month_start(today), -1)
    return last, month_end(last)


def billed_range(period_key: str) -> tuple[dt.date, dt.date]:
    first = dt.date(int(period_key[:4]), int(period_key[4:6]), 1)
    return first, month_end(first)
