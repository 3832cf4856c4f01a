"""Factories for the storefront app: carts and their lines."""

from __future__ import annotations

import factory

from storefront.models import Cart, CartLine
from tests.factories.base import ModelFactory
from tests.factories.bss import CustomerUserFactory
from tests.factories.catalog import OfferFactory


class CartFactory(ModelFactory[Cart]):
    class Meta:
        model = Cart

    user = factory.SubFactory(CustomerUserFactory)
    marketplace = factory.SelfAttribute("user.customer.marketplace")


class CartLineFactory(ModelFactory[CartLine]):
    class Meta:
        model = CartLine

    cart = factory.SubFactory(CartFactory)
    offer = factory.SubFactory(OfferFactory, marketplace=factory.SelfAttribute("..cart.marketplace"))
    term_duration = "P1Y"
    billing_cycle = "monthly"
    quantity = 1
