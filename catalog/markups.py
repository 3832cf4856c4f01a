"""Markup rules: how a marketplace's sale prices are made from its cost (the default rule and per-SKU rules).

A rule never sells below zero (`catalog.pricing.markup_refusal`), and never below cost unless whoever sets it
confirms that explicitly (`allow_below_cost=True`, a "sell below cost" checkbox on the pages): the cost is Partner
Center's for the provider's marketplaces, the provider's price to the reseller for a tenant reseller's.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch

from bss.exceptions import ApplicationError
from bss.models import Marketplace, User
from bss.services.audit import audit_record
from catalog.choices import MarkupKind
from catalog.models import MarkupRule, Price, Sku
from catalog.pricing import Markup, below_cost, markup_refusal
from catalog.resellerprices.wholesale import wholesale_for_marketplace


class BelowCost(ApplicationError):
    """The rule would sell below cost and that was not confirmed."""

    code = "catalog_below_cost"


def _current_costs(marketplace: Marketplace, sku: Sku | None) -> list[Price]:
    """The current prices the rule is for, with the marketplace owner's cost as `unit_price` (a tenant reseller's
    cost is the provider's price to it)."""
    skus = Sku.objects.filter(product__instance_id=marketplace.instance_id, product__market=marketplace.market)
    if sku is not None:
        skus = skus.filter(pk=sku.pk)
    else:  # the default rule: the SKUs without a rule of their own
        skus = skus.exclude(pk__in=MarkupRule.objects.filter(marketplace=marketplace, sku__isnull=False)
                            .values("sku_id"))
    skus = skus.prefetch_related(
        Prefetch("prices", queryset=Price.objects.filter(is_current=True, currency=marketplace.currency),
                 to_attr="current_prices")
    )
    wholesale = wholesale_for_marketplace(marketplace)
    rows: list[Price] = []
    for one in skus:
        current = one.current_prices
        rows += wholesale.apply(one.pk, current) if wholesale is not None else current
    return rows


@transaction.atomic
def markup_rule_set(
    *, marketplace: Marketplace, sku: Sku | None = None, kind: str, percent: Decimal | None = None,
    fixed_monthly_price: Decimal | None = None, actor: User | None, allow_below_cost: bool = False,
) -> MarkupRule:
    """Set the marketplace's default markup (``sku=None``) or one SKU's; sale prices follow at once.

    Refused (``catalog_markup_invalid``) when the rule would sell below zero, or at zero a SKU that costs more than
    zero; refused (``catalog_below_cost``) when it would sell any plan below its cost, unless ``allow_below_cost``
    (judged against the current costs the rule is for, in the marketplace's currency).
    """
    if kind == MarkupKind.PERCENT_OVER_COST:
        fixed_monthly_price = None
    elif kind == MarkupKind.FIXED_PRICE:
        percent = None
    markup = Markup(kind=kind, percent=percent, fixed_monthly_price=fixed_monthly_price)
    costs = _current_costs(marketplace, sku)
    priced = [p for p in costs if p.unit_price > 0]
    refusal = markup_refusal(markup, smallest_cost=min((p.unit_price for p in priced), default=None))
    if refusal is not None:
        raise ApplicationError(refusal, code="catalog_markup_invalid")
    under = below_cost(markup, priced)
    if under and not allow_below_cost:
        worst = under[0]
        raise BelowCost(
            f"This markup sells {len(under)} plan{'s' if len(under) != 1 else ''} below cost (e.g. "
            f"{worst.sale:.2f} for what costs {worst.cost:.2f} {marketplace.currency}, a loss of "
            f"{worst.cost - worst.sale:.2f}). Tick \"Sell below cost\" to confirm that this is intended.",
            extra={"plans_below_cost": len(under)},
        )
    # of=self: the default ordering joins the nullable SKU, and PostgreSQL cannot lock that side of an outer join.
    rule = MarkupRule.objects.select_for_update(of=("self",)).filter(marketplace=marketplace, sku=sku).first()
    before = None if rule is None else {"kind": rule.kind, "percent": rule.percent,
                                        "fixed_monthly_price": rule.fixed_monthly_price}
    if rule is None:
        rule = MarkupRule(marketplace=marketplace, sku=sku)
    rule.kind, rule.percent, rule.fixed_monthly_price = kind, percent, fixed_monthly_price
    rule.save()
    audit_record(actor=actor, action="catalog.markup_set", obj=rule, before=before,
                 after={"kind": kind, "percent": percent, "fixed_monthly_price": fixed_monthly_price,
                        "sku": sku.pk if sku else None, "marketplace": marketplace.pk,
                        "below_cost_confirmed": bool(under)})
    return rule


@transaction.atomic
def markup_rule_delete(*, rule: MarkupRule, actor: User | None) -> None:
    audit_record(actor=actor, action="catalog.markup_delete", obj=rule,
                 before={"kind": rule.kind, "percent": rule.percent, "fixed_monthly_price": rule.fixed_monthly_price})
    rule.delete()
