"""Resource groups of :class:`partnercenter.PartnerCenterClient` (``client.customers``, ``client.carts``...)."""

from .agreements import AgreementsResource
from .carts import CartsResource
from .catalog import CatalogResource
from .customers import CustomersResource
from .invoices import InvoicesResource
from .orders import OrdersResource
from .price_sheets import PriceSheetsResource
from .reconciliation import ReconciliationResource
from .subscriptions import SubscriptionsResource
from .usage import UsageResource

__all__ = [
    "AgreementsResource",
    "CartsResource",
    "CatalogResource",
    "CustomersResource",
    "InvoicesResource",
    "OrdersResource",
    "PriceSheetsResource",
    "ReconciliationResource",
    "SubscriptionsResource",
    "UsageResource",
]
