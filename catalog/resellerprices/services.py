"""Writes of reseller price lists: the provider's wholesale rules for a tenant reseller (one write path, audited)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from bss.choices import ResellerKind
from bss.exceptions import ApplicationError
from bss.models import Reseller, User
from bss.services.audit import audit_record
from catalog.models import Sku
from catalog.resellerprices.models import ResellerPriceRule


@transaction.atomic
def reseller_price_rule_set(
    *, actor: User | None, reseller: Reseller, percent: Decimal, sku: Sku | None = None,
    allow_below_cost: bool = False,
) -> ResellerPriceRule:
    """Set the provider's price to a tenant reseller: its default (``sku=None``) or one SKU's percent over cost.

    The reseller's costs and sale prices follow at once (they are computed on read). Raises ``ApplicationError``
    ``tier2_not_tenant`` for a reseller without its own marketplace, ``tier2_percent_invalid`` below -100,
    ``catalog_below_cost`` below 0 (the provider would sell below its Partner Center cost) unless
    ``allow_below_cost``.
    """
    if reseller.kind != ResellerKind.TENANT:
        raise ApplicationError("Only tenant resellers have their own price list.", code="tier2_not_tenant")
    if percent is None or percent < Decimal("-100"):
        raise ApplicationError("Give a percentage of at least -100.", code="tier2_percent_invalid")
    if percent < 0 and not allow_below_cost:
        raise ApplicationError(
            f"{percent} % sells to {reseller.name} below your Partner Center cost. Tick \"Sell below cost\" to "
            "confirm that this is intended.",
            code="catalog_below_cost",
        )
    rule = ResellerPriceRule.objects.select_for_update(of=("self",)).filter(reseller=reseller, sku=sku).first()
    before = None if rule is None else {"percent": rule.percent}
    if rule is None:
        rule = ResellerPriceRule(reseller=reseller, sku=sku, percent=percent)
        rule.save()
    else:
        rule.percent = percent
        rule.save(update_fields=["percent", "updated_at"])
    audit_record(actor=actor, action="tier2.wholesale_set", obj=rule, before=before,
                 after={"percent": percent, "reseller": reseller.pk, "sku": sku.pk if sku else None,
                        "below_cost_confirmed": percent < 0})
    return rule


@transaction.atomic
def reseller_price_rule_delete(*, actor: User | None, rule: ResellerPriceRule) -> None:
    """Remove a per-SKU (or the default) wholesale rule; the default (or the setting) applies again."""
    audit_record(actor=actor, action="tier2.wholesale_delete", obj=rule,
                 before={"percent": rule.percent, "reseller": rule.reseller_id, "sku": rule.sku_id})
    rule.delete()
