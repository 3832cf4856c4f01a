"""Who is billed what for a period: every subscription's ledger rated, its rows grouped per issuer and billed party.

The billed parties of a subscription follow from its customer's reseller:
- the provider's own (direct) customer: the provider invoices the customer at its marketplace's sale price;
- a light reseller's customer: the provider invoices the light reseller at its wholesale price;
- a tenant reseller's customer: the provider invoices the tenant reseller at its wholesale price, and the tenant
  reseller (an issuer of its own) invoices its customer at its marketplace's sale price.
One invoice per reseller, its lines grouped per end customer. Nothing here writes: `billing.services.runs` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from billing.choices import PartyKind
from billing.models import Issuer
from billing.rating import BillingPeriod, Charge, RatingError, rate_billing_period
from billing.services.history import Audience, HistoryProblem, PriceLookups, is_rated_here, priced_history
from bss.choices import ResellerKind
from bss.models import Customer, LicenseLedgerEntry, Reseller, Subscription


@dataclass
class LineDraft:
    """One rated row for one billed party (a future invoice or credit-note line)."""

    subscription: Subscription
    charge: Charge
    cost_known: bool

    @property
    def end_customer(self) -> Customer:
        return self.subscription.customer

    @property
    def is_refund(self) -> bool:
        return self.charge.amount < 0


@dataclass
class PartyBill:
    """What one issuer bills one party for the period."""

    issuer: Issuer
    party_kind: str
    customer: Customer | None
    reseller: Reseller | None
    lines: list[LineDraft] = field(default_factory=list)

    @property
    def party_key(self) -> str:
        return party_key(self.party_kind, self.customer, self.reseller)

    @property
    def party_name(self) -> str:
        party = self.customer if self.party_kind == PartyKind.CUSTOMER else self.reseller
        return str(party)

    @property
    def party_country(self) -> str:
        party = self.customer if self.party_kind == PartyKind.CUSTOMER else self.reseller
        assert party is not None
        return party.country.upper()


def party_key(kind: str, customer: Customer | None, reseller: Reseller | None) -> str:
    if kind == PartyKind.CUSTOMER and customer is not None:
        return f"customer:{customer.pk}"
    return f"reseller:{reseller.pk if reseller else 0}"


@dataclass
class Problem:
    customer: str
    subscription: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"customer": self.customer, "subscription": self.subscription, "message": self.message}


@dataclass
class PeriodBills:
    bills: dict[tuple[int, str], PartyBill] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add_problem(self, subscription: Subscription | None, customer: str, message: str) -> None:
        label = f"{subscription.name} ({subscription.pc_subscription_id or subscription.pk})" if subscription else ""
        problem = Problem(customer=customer, subscription=label, message=message)
        if problem not in self.problems:
            self.problems.append(problem)


@dataclass(frozen=True)
class _Target:
    issuer_owner: Reseller
    party_kind: str
    customer: Customer | None
    reseller: Reseller | None
    audience: Audience


def _targets(customer: Customer) -> list[_Target]:
    reseller = customer.reseller
    if reseller.kind == ResellerKind.PROVIDER:
        return [_Target(reseller, PartyKind.CUSTOMER, customer, None, Audience.CUSTOMER)]
    provider = reseller.parent
    assert provider is not None
    wholesale = _Target(provider, PartyKind.RESELLER, None, reseller, Audience.RESELLER)
    if reseller.kind == ResellerKind.TENANT:
        return [wholesale, _Target(reseller, PartyKind.CUSTOMER, customer, None, Audience.CUSTOMER)]
    return [wholesale]


def _period_end(period: BillingPeriod) -> dt.datetime:
    return dt.datetime.combine(period.last_day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


#: Billed parties per batch: an invoice run rates and writes this many parties at a time, so its memory stays flat.
BATCH_PARTIES = 500


def _with_history(period: BillingPeriod) -> Exists:
    return Exists(
        LicenseLedgerEntry.objects.filter(subscription=OuterRef("pk"), effective_at__lt=_period_end(period))
    )


def _ledger_prefetch() -> Prefetch:
    return Prefetch("ledger", queryset=LicenseLedgerEntry.objects.order_by("effective_at", "id"), to_attr="events")


def _issuers() -> dict[int, Issuer]:
    return {i.reseller_id: i for i in Issuer.objects.select_related("reseller")}


def _customers() -> QuerySet[Customer]:
    return Customer.objects.select_related("reseller__parent", "marketplace")


def _customer_groups(batch_size: int) -> Iterator[list[Customer]]:
    """Customers in batches of about `batch_size` billed parties, in name order (keyset: no offset scans).

    A reseller's invoice gathers all its customers: the first time a batch meets a customer of a light or tenant
    reseller it takes all of that reseller's customers, and later batches skip them."""
    seen: set[int] = set()
    after: tuple[str, int] | None = None
    while True:
        page = _customers().order_by("company_name", "pk")
        if after is not None:
            page = page.filter(Q(company_name__gt=after[0]) | Q(company_name=after[0], pk__gt=after[1]))
        chunk = list(page[:batch_size])
        if not chunk:
            return
        after = (chunk[-1].company_name, chunk[-1].pk)
        group: list[Customer] = []
        for customer in chunk:
            reseller = customer.reseller
            if reseller.kind == ResellerKind.PROVIDER:
                group.append(customer)
            elif reseller.pk not in seen:
                seen.add(reseller.pk)
                group.extend(_customers().filter(reseller=reseller).order_by("company_name", "pk"))
        if group:
            yield group


def iter_period_bills(
    period: BillingPeriod, *, issuer: Issuer | None = None, batch_size: int = BATCH_PARTIES
) -> Iterator[PeriodBills]:
    """The period's bills, a batch of about `batch_size` billed parties at a time (each party in one batch only),
    with their subscriptions and ledger loaded per batch: memory follows the batch, not the estate."""
    issuers = _issuers()
    for group in _customer_groups(batch_size):
        yield _rate(period, group, issuers, issuer)


def period_bills(
    period: BillingPeriod, *, issuer: Issuer | None = None, customers: Iterable[int] | None = None
) -> PeriodBills:
    """Every party's rated rows for `period` (only `issuer`'s when given, only `customers`' rows when given), and
    what could not be billed. An invoice run streams them instead (`iter_period_bills`)."""
    if customers is not None:
        group = list(_customers().filter(pk__in=list(customers)).order_by("company_name", "pk"))
        return _rate(period, group, _issuers(), issuer)
    result = PeriodBills()
    for batch in iter_period_bills(period, issuer=issuer):
        result.bills.update(batch.bills)
        for problem in batch.problems:
            if problem not in result.problems:
                result.problems.append(problem)
    return result


def _rate(
    period: BillingPeriod, customers: list[Customer], issuers: dict[int, Issuer], issuer: Issuer | None
) -> PeriodBills:
    """The rated rows of these customers' subscriptions, per issuer and billed party (bills in customer order)."""
    result = PeriodBills()
    by_id = {c.pk: c for c in customers}
    subs = (
        Subscription.objects.filter(_with_history(period), customer_id__in=list(by_id))
        .prefetch_related(_ledger_prefetch())
        .order_by("pk")
    )
    per_customer: dict[int, list[Subscription]] = {}
    for sub in subs:
        sub.customer = by_id[sub.customer_id]
        per_customer.setdefault(sub.customer_id, []).append(sub)
    lookups = PriceLookups()
    for customer in customers:
        for sub in per_customer.get(customer.pk, ()):
            if is_rated_here(sub):
                _rate_subscription(period, sub, issuers, issuer, result, lookups)
    for bill in result.bills.values():
        bill.lines.sort(key=lambda d: (d.end_customer.company_name, d.charge.order_at, d.subscription.pk))
    return result


def _rate_subscription(
    period: BillingPeriod,
    sub: Subscription,
    issuers: dict[int, Issuer],
    issuer: Issuer | None,
    result: PeriodBills,
    lookups: PriceLookups,
) -> None:
    customer = sub.customer
    for target in _targets(customer):
        owner_issuer = issuers.get(target.issuer_owner.pk)
        if owner_issuer is None:
            result.add_problem(None, str(customer), f"{target.issuer_owner} has no issuer set up: nothing billed")
            continue
        if issuer is not None and owner_issuer.pk != issuer.pk:
            continue
        try:
            events = sub.events  # type: ignore[attr-defined]  # prefetched (to_attr) with the ledger
            history = priced_history(sub, events, audience=target.audience, reseller=target.reseller,
                                     lookups=lookups)
            charges = rate_billing_period(history.events, period)
        except (HistoryProblem, RatingError) as exc:
            result.add_problem(sub, str(customer), f"not billed: {exc}")
            continue
        if not charges:
            continue
        key = (owner_issuer.pk, party_key(target.party_kind, target.customer, target.reseller))
        bill = result.bills.get(key)
        if bill is None:
            bill = result.bills[key] = PartyBill(owner_issuer, target.party_kind, target.customer, target.reseller)
        bill.lines.extend(LineDraft(sub, charge, history.cost_known) for charge in charges)


def total_of(lines: Iterable[LineDraft]) -> Decimal:
    return sum((d.charge.amount for d in lines), Decimal(0))
