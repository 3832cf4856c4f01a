"""Partner Center behaviour: business rules and errors, independent of HTTP, one module per resource.

``core`` holds what every resource shares (the caller, simulated time, the audit log, seek paging, customer
lookup); ``customers``, ``relationships``, ``agreements``, ``orders``, ``subscriptions``, ``carts`` and ``audit``
build on it. Every method takes the calling partner and returns domain objects from ``state.py``; ``render.py``
turns them into JSON. Callers hold ``state.lock``.
"""

from __future__ import annotations

import datetime as dt

from ..catalog import Catalog
from ..state import SimState
from .agreements import Agreements
from .audit import AuditRecords
from .billing import Billing
from .carts import Carts
from .catalog_queries import check_catalog_query
from .core import BackendCore, Caller, Page, iso, iso_seconds, term_end
from .customers import Customers
from .lifecycle import Lifecycle
from .orders import Orders
from .relationships import Relationships
from .subscriptions import Subscriptions

__all__ = ["Backend", "Caller", "Page", "check_catalog_query", "iso", "iso_seconds", "term_end"]


class Backend:
    """One simulated Partner Center: the shared core and a service per resource, all on one ``SimState``."""

    def __init__(self, state: SimState, catalog: Catalog | None = None) -> None:
        self.core = BackendCore(state, catalog)
        self.customers = Customers(self.core)
        self.relationships = Relationships(self.core)
        self.agreements = Agreements(self.core)
        self.orders = Orders(self.core)
        self.subscriptions = Subscriptions(self.core, self.orders)
        self.carts = Carts(self.core, self.orders)
        self.audit = AuditRecords(self.core)
        self.lifecycle = Lifecycle(self.core, self.orders, self.subscriptions)
        self.billing = Billing(self.core, self.subscriptions)

    @property
    def state(self) -> SimState:
        return self.core.state

    @property
    def catalog(self) -> Catalog:
        return self.core.catalog

    @property
    def now(self) -> dt.datetime:
        return self.core.now
