"""Microsoft's side of the bill: a ledger of every billing event (purchase, seat change, cancellation,
renewal, conversion, cycle charge), the new-commerce reconciliation rows each event produces, and the
invoices that close a billing period (billing facts sheet §1, §3 and §7).

This is the simulator's own implementation of Microsoft's proration, written from the facts sheet and
independent of the BSS's rating code on purpose: the two cross-check each other.

* Billing period = calendar month (UTC). A row belongs to the period of its ``orderDate``; a row dated in a
  period that is already invoiced goes on the next open one (adjustments in arrears).
* Charge cycle = from the term start for one billing-plan length; charge-cycle days = days in the month the
  cycle started (monthly plan) or days of the cycle (annual, triennial, one-time).
* ``EffectiveUnitPrice = UnitPrice / chargeCycleDays x billingDays``, billing days counted inclusively from the
  event day to the cycle end. Refund/charge pairs share a ``referenceId``.
* Subtotal rounding, two variants (sheet §3.5): ``documented`` = ROUNDDOWN(EUP x FX, 2) x quantity;
  ``line`` = ROUNDDOWN(EUP x FX x quantity, 2). ROUNDDOWN truncates toward zero.

Plain data and arithmetic; callers hold ``state.lock``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

ROUNDING_MODES = ("documented", "line")
CYCLE_MONTHS = {"monthly": 1, "annual": 12, "triennial": 36}
TERM_MONTHS = {"P1M": 1, "P1Y": 12, "P3Y": 36}
TERM_TEXT = {"P1M": "One-Month", "P1Y": "One-Year", "P3Y": "Three-Year"}
FREQUENCY_TEXT = {"monthly": "Monthly", "annual": "Annual", "triennial": "Triennial"}
CENT = Decimal("0.01")
EUP_PLACES = Decimal("0.0000000001")


# -- dates ---------------------------------------------------------------------------------------------------
def add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def period_key(day: dt.date) -> str:
    return f"{day.year:04d}{day.month:02d}"


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


@dataclass(frozen=True)
class ChargeCycle:
    start: dt.date
    end: dt.date
    days: int

    def billing_days(self, day: dt.date) -> int:
        """Days from ``day`` to the cycle end, both included."""
        return (self.end - day).days + 1


def cycle_months(billing_plan: str, term: str | None) -> int:
    return CYCLE_MONTHS.get(billing_plan) or TERM_MONTHS.get((term or "").upper(), 1)


def charge_cycle(anchor: dt.date, months: int, index: int) -> ChargeCycle:
    start = add_months(anchor, months * index)
    end = add_months(anchor, months * (index + 1)) - dt.timedelta(days=1)
    days = calendar.monthrange(start.year, start.month)[1] if months == 1 else (end - start).days + 1
    return ChargeCycle(start, end, days)


def cycle_containing(anchor: dt.date, months: int, day: dt.date) -> tuple[int, ChargeCycle]:
    index = 0
    while add_months(anchor, months * (index + 1)) <= day:
        index += 1
    return index, charge_cycle(anchor, months, index)


# -- money ---------------------------------------------------------------------------------------------------
def rounddown(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_DOWN)


def prorate(unit_price: Decimal, cycle_days: int, billing_days: int) -> Decimal:
    """Microsoft's effective unit price for ``billing_days`` of a ``cycle_days`` charge cycle (unrounded)."""
    if billing_days == cycle_days:
        return unit_price
    return unit_price / Decimal(cycle_days) * Decimal(billing_days)


def subtotal(effective_unit_price: Decimal, quantity: Decimal, fx_rate: Decimal, mode: str) -> Decimal:
    if mode == "line":
        return rounddown(effective_unit_price * fx_rate * quantity)
    return rounddown(effective_unit_price * fx_rate) * quantity


# -- what billing knows of a subscription -----------------------------------------------------------------------
@dataclass
class BilledSubscription:
    """The terms Microsoft bills a subscription by (price locked at purchase and at each renewal)."""

    partner_tenant_id: str
    partner_mpn_id: str
    subscription_id: str
    customer_id: str
    customer_name: str
    customer_domain: str
    customer_country: str
    order_id: str
    product_id: str
    sku_id: str
    availability_id: str
    product_name: str
    sku_name: str
    publisher_name: str
    term: str
    billing_plan: str
    unit_price: Decimal
    currency: str
    term_start: dt.date
    term_end: dt.date
    quantity: int
    reseller_mpn_id: str = ""
    promotion_id: str = ""
    discount: Decimal = Decimal(0)
    trial: bool = False
    ended: dt.date | None = None
    """Last billed day after a cancellation (no cycle charges after it)."""

    @property
    def months(self) -> int:
        return cycle_months(self.billing_plan, self.term)


@dataclass
class LedgerRow:
    """One reconciliation line before rendering; money is derived at render time (rounding mode)."""

    seq: int
    partner_tenant_id: str
    charge_type: str
    order_date: dt.datetime
    sub: BilledSubscription
    charge_start: dt.date
    charge_end: dt.date
    unit_price: Decimal
    quantity: int
    sign: int
    cycle_days: int
    billing_days: int
    reference_id: str
    qualifiers: tuple[str, ...] = ()
    period: str = ""
    invoice_number: str = ""
    price_note: str = ""

    @property
    def effective_unit_price(self) -> Decimal:
        price = self.unit_price * (1 - self.sub.discount) if self.sub.promotion_id else self.unit_price
        return (self.sign * prorate(price, self.cycle_days, self.billing_days)).quantize(EUP_PLACES, ROUND_HALF_UP)


@dataclass
class Invoice:
    id: str
    partner_tenant_id: str
    period: str
    currency: str
    invoice_date: dt.datetime
    period_start: dt.date
    period_end: dt.date
    version: int = 1
    paid_amount: Decimal = Decimal(0)
    document_type: str = "invoice"
    invoice_type: str = "Recurring"


@dataclass
class Ledger:
    """Every billing event of every partner, and the invoices of the closed periods."""

    lines: list[LedgerRow] = field(default_factory=list)
    subscriptions: dict[str, BilledSubscription] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    closed: set[tuple[str, str]] = field(default_factory=set)
    """(partner tenant, period) pairs already invoiced."""
    first_period: dict[str, str] = field(default_factory=dict)
    seq: int = 0

    def clear(self) -> None:
        self.lines.clear()
        self.subscriptions.clear()
        self.invoices.clear()
        self.closed.clear()
        self.first_period.clear()
        self.seq = 0

    # -- recording ---------------------------------------------------------------------------------------
    def _reference(self, *parts: object) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "pcsim-ref:" + ":".join(str(p) for p in parts)))

    def _add(self, sub: BilledSubscription, charge_type: str, when: dt.datetime, cycle: ChargeCycle,
             start: dt.date, quantity: int, sign: int, reference_id: str, *,
             qualifiers: tuple[str, ...] = (), unit_price: Decimal | None = None) -> LedgerRow:
        self.seq += 1
        row = LedgerRow(
            seq=self.seq, partner_tenant_id=sub.partner_tenant_id, charge_type=charge_type, order_date=when,
            sub=replace(sub), charge_start=start, charge_end=cycle.end,
            unit_price=sub.unit_price if unit_price is None else unit_price, quantity=quantity, sign=sign,
            cycle_days=cycle.days, billing_days=cycle.billing_days(start), reference_id=reference_id,
            qualifiers=qualifiers or (("Trial",) if sub.trial else ()),
        )
        row.period = self._open_period(sub.partner_tenant_id, when.date())
        self.lines.append(row)
        first = self.first_period.get(sub.partner_tenant_id)
        if first is None or row.period < first:
            self.first_period[sub.partner_tenant_id] = row.period
        return row

    def _open_period(self, tenant: str, day: dt.date) -> str:
        key = period_key(day)
        while (tenant, key) in self.closed:
            day = add_months(month_start(day), 1)
            key = period_key(day)
        return key

    def purchase(self, sub: BilledSubscription, when: dt.datetime) -> list[LedgerRow]:
        """``new``: the first charge cycle (or the whole term when paid upfront); 0 for trials."""
        self.subscriptions[sub.subscription_id] = sub
        _, cycle = cycle_containing(sub.term_start, sub.months, when.date())
        ref = self._reference(sub.subscription_id, "new", sub.term_start)
        return [self._add(sub, "new", when, cycle, cycle.start, sub.quantity, 1, ref)]

    def renew(self, subscription_id: str, term_start: dt.date, term_end: dt.date, *, quantity: int,
              term: str, billing_plan: str, unit_price: Decimal | None) -> list[LedgerRow]:
        sub = self.subscriptions.get(subscription_id)
        if sub is None:
            return []
        sub.term_start, sub.term_end, sub.quantity, sub.term, sub.billing_plan = (
            term_start, term_end, quantity, term, billing_plan)
        if unit_price is not None:
            sub.unit_price = unit_price
        cycle = charge_cycle(term_start, sub.months, 0)
        ref = self._reference(subscription_id, "renew", term_start)
        return [self._add(sub, "renew", midnight(term_start), cycle, term_start, quantity, 1, ref)]

    def change_quantity(self, subscription_id: str, when: dt.datetime, new_quantity: int) -> list[LedgerRow]:
        """``addQuantity`` / ``removeQuantity``: refund of the old count and charge of the new one, both for
        the rest of the current charge cycle."""
        sub = self.subscriptions.get(subscription_id)
        if sub is None or new_quantity == sub.quantity:
            return []
        old = sub.quantity
        kind = "addQuantity" if new_quantity > old else "removeQuantity"
        _, cycle = cycle_containing(sub.term_start, sub.months, when.date())
        ref = self._reference(subscription_id, kind, when.isoformat(), self.seq)
        refund = self._add(sub, kind, when, cycle, when.date(), old, -1, ref)
        sub.quantity = new_quantity
        charge = self._add(sub, kind, when, cycle, when.date(), new_quantity, 1, ref)
        return [refund, charge]

    def cancel(self, subscription_id: str, when: dt.datetime) -> list[LedgerRow]:
        """``cancelImmediate``: refund of the unused days of the current charge cycle."""
        sub = self.subscriptions.get(subscription_id)
        if sub is None or sub.ended is not None:
            return []
        _, cycle = cycle_containing(sub.term_start, sub.months, when.date())
        ref = self._reference(subscription_id, "cancel", when.isoformat())
        row = self._add(sub, "cancelImmediate", when, cycle, when.date(), sub.quantity, -1, ref)
        sub.ended = when.date() - dt.timedelta(days=1)
        return [row]

    def convert(self, source_id: str, target: BilledSubscription, when: dt.datetime, quantity: int, *,
                into_existing: bool = False) -> list[LedgerRow]:
        """An upgrade (or trial conversion): ``convert`` into a new target, ``moveQuantity`` into an existing
        one. Refund on the source and charge on the target for the rest of the source's charge cycle, one
        ``referenceId``."""
        source = self.subscriptions.get(source_id)
        if source is None:
            return []
        kind = "moveQuantity" if into_existing else "convert"
        _, cycle = cycle_containing(source.term_start, source.months, when.date())
        ref = self._reference(source_id, target.subscription_id, when.isoformat())
        rows = [self._add(source, kind, when, cycle, when.date(), quantity, -1, ref)]
        self.subscriptions.setdefault(target.subscription_id, target)
        rows.append(self._add(target, kind, when, cycle, when.date(), quantity, 1, ref,
                              qualifiers=("Trial",) if target.trial else ()))
        source.quantity -= quantity
        if source.quantity <= 0:
            source.ended = when.date() - dt.timedelta(days=1)
        return rows

    # -- cycle charges --------------------------------------------------------------------------------------
    def cycle_charges(self, tenant: str, start: dt.date, until: dt.date) -> Iterator[LedgerRow]:
        """``cycleCharge`` rows (not recorded) for charge cycles starting in [start, until] inside a term."""
        for sub in self.subscriptions.values():
            if sub.partner_tenant_id != tenant or sub.trial:
                continue
            index = 1
            while True:
                cycle = charge_cycle(sub.term_start, sub.months, index)
                if cycle.start > min(until, sub.term_end) or (sub.ended is not None and cycle.start > sub.ended):
                    break
                if cycle.start >= start:
                    ref = self._reference(sub.subscription_id, "cycle", cycle.start)
                    yield LedgerRow(
                        seq=0, partner_tenant_id=tenant, charge_type="cycleCharge",
                        order_date=midnight(cycle.start), sub=replace(sub), charge_start=cycle.start,
                        charge_end=cycle.end, unit_price=sub.unit_price, quantity=sub.quantity, sign=1,
                        cycle_days=cycle.days, billing_days=cycle.days, reference_id=ref,
                        period=period_key(cycle.start),
                    )
                index += 1

    # -- periods and invoices ---------------------------------------------------------------------------------
    def close_through(self, tenant: str, now: dt.datetime, *, delay_days: int, invoice_number: InvoiceNumbers
                      ) -> list[Invoice]:
        """Invoice every period of ``tenant`` that ended (plus ``delay_days``) before ``now``."""
        first = self.first_period.get(tenant)
        if first is None:
            return []
        issued: list[Invoice] = []
        day = dt.date(int(first[:4]), int(first[4:]), 1)
        while True:
            end = month_end(day)
            issue_at = midnight(end + dt.timedelta(days=1 + delay_days))
            if issue_at > now:
                break
            key = period_key(day)
            if (tenant, key) not in self.closed:
                for row in self.cycle_charges(tenant, day, end):
                    self.seq += 1
                    row.seq = self.seq
                    self.lines.append(row)
                self.closed.add((tenant, key))
                currencies = sorted({r.sub.currency for r in self.lines
                                     if r.partner_tenant_id == tenant and r.period == key})
                for currency in currencies:
                    invoice = Invoice(
                        id=invoice_number(tenant, key, currency), partner_tenant_id=tenant, period=key,
                        currency=currency, invoice_date=issue_at, period_start=day, period_end=end,
                    )
                    self.invoices[invoice.id] = invoice
                    for row in self.lines:
                        if row.partner_tenant_id == tenant and row.period == key and row.sub.currency == currency:
                            row.invoice_number = invoice.id
                    issued.append(invoice)
            day = add_months(day, 1)
        return issued

    def billed(self, invoice_id: str) -> list[LedgerRow]:
        return [r for r in self.lines if r.invoice_number == invoice_id]

    def unbilled(self, tenant: str, period_day: dt.date, now: dt.datetime, currency: str) -> list[LedgerRow]:
        """Rows of an open period so far (with the cycle charges already due)."""
        key = period_key(period_day)
        if (tenant, key) in self.closed:
            return []
        recorded = [r for r in self.lines if r.partner_tenant_id == tenant and r.period == key]
        due = list(self.cycle_charges(tenant, month_start(period_day), min(month_end(period_day), now.date())))
        return [r for r in recorded + due if r.sub.currency.upper() == currency.upper()]

    # -- drift planted on Microsoft's side ------------------------------------------------------------------
    def reprice(self, subscription_id: str, unit_price: Decimal, *, note: str = "") -> list[LedgerRow]:
        """Microsoft charges another unit price from now on, and re-rates the open period's rows."""
        sub = self.subscriptions[subscription_id]
        sub.unit_price = unit_price
        changed = [r for r in self.lines if r.sub.subscription_id == subscription_id and not r.invoice_number]
        for row in changed:
            row.unit_price = unit_price
            row.price_note = note
        return changed

    def promote(self, subscription_id: str, promotion_id: str, discount: Decimal) -> list[LedgerRow]:
        """A promotion on the subscription: discounted effective price on its open rows and later charges."""
        sub = self.subscriptions[subscription_id]
        sub.promotion_id, sub.discount = promotion_id, discount
        changed = [r for r in self.lines if r.sub.subscription_id == subscription_id and not r.invoice_number]
        for row in changed:
            row.sub.promotion_id, row.sub.discount = promotion_id, discount
        return changed

    def unknown_charge(self, sub: BilledSubscription, when: dt.datetime) -> list[LedgerRow]:
        """A charge the partner's BSS never saw (a purchase made outside it)."""
        return self.purchase(sub, when)


class InvoiceNumbers:
    """``G`` + 9 digits, stable for a partner, period and currency."""

    def __call__(self, tenant: str, period: str, currency: str) -> str:
        digest = hashlib.sha256(f"{tenant}:{period}:{currency}".encode()).hexdigest()
        return "G" + f"{int(digest[:12], 16) % 10**9:09d}"


def invoice_total(rows: Iterable[LedgerRow], mode: str, tax_rate: Decimal) -> tuple[Decimal, Decimal]:
    """(Σ Subtotal, Σ Total) of ``rows``."""
    sub_sum = total = Decimal(0)
    for row in rows:
        amount = subtotal(row.effective_unit_price, Decimal(row.quantity), Decimal(1), mode)
        tax = (amount * tax_rate).quantize(CENT, ROUND_HALF_UP)
        sub_sum += amount
        total += amount + tax
    return sub_sum, total
