"""Factories for catalog.resellerprices: a tenant reseller's price rules."""

from __future__ import annotations

from decimal import Decimal

import factory

from catalog.resellerprices.models import ResellerPriceRule
from tests.factories.base import ModelFactory
from tests.factories.bss import ResellerFactory


class ResellerPriceRuleFactory(ModelFactory[ResellerPriceRule]):
    """The reseller's default rule (no SKU) unless `sku` is given."""

    class Meta:
        model = ResellerPriceRule

    reseller = factory.SubFactory(ResellerFactory)
    percent = Decimal("10.000")
