"""Resource groups of :class:`partnercenter.PartnerCenterClient` (``client.customers``, ``client.carts``...)."""

from .agreements import AgreementsResource
from .carts import CartsResource
from .catalog import CatalogResource
from .customers import CustomersResource
from .orders import OrdersResource
from .price_sheets import PriceSheetsResource
from .subscriptions import SubscriptionsResource

__all__ = [
    "AgreementsResource",
    "CartsResource",
    "CatalogResource",
    "CustomersResource",
    "OrdersResource",
    "PriceSheetsResource",
    "SubscriptionsResource",
]
