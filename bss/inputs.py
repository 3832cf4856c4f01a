"""The plain inputs of the core's writes: an order (`bss.services.orders.order_place`, through
`provisioning.services.orders.order_submit`) and a subscription change's baseline
(`provisioning.services.changes.subscription_change_request`), built by the storefront, the API and the back office.

Frozen dataclasses, no Django: a view turns its validated form into these, the service validates the business rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from bss.choices import AcceptanceRole


@dataclass(frozen=True)
class OrderLineInput:
    """One line of an order, a snapshot of the published offer at order time.

    `min_quantity`/`max_quantity` are the SKU's limits; `new_subscription_per_order` is the plan setting that makes
    every order a new Partner Center subscription (Dynamics instances); `target_subscription_id` (a BSS subscription
    id) makes the line "add licences to that subscription" instead of buying a new one.
    """

    pc_product_id: str
    pc_sku_id: str
    pc_availability_id: str
    product_name: str
    quantity: int
    term_duration: str
    billing_cycle: str
    unit_price: Decimal
    currency: str
    min_quantity: int = 1
    max_quantity: int | None = None
    new_subscription_per_order: bool = False
    target_subscription_id: int | None = None
    # An add-on: the BSS id of the base subscription it is bought for (co-terminous with it).
    parent_subscription_id: int | None = None
    # A promotion Partner Center confirmed eligible: `unit_price` is then the promotional price.
    promotion_id: str = ""
    promotion_ends_on: date | None = None
    regular_unit_price: Decimal | None = None

    @property
    def catalog_item_id(self) -> str:
        return f"{self.pc_product_id}:{self.pc_sku_id}:{self.pc_availability_id}"


@dataclass(frozen=True)
class NewCustomerInput:
    """A new customer and the new Microsoft tenant `<domain_prefix>.onmicrosoft.com` to create for it."""

    company_name: str
    domain_prefix: str
    contact_first_name: str
    contact_last_name: str
    contact_email: str
    contact_phone: str
    address_line1: str
    city: str
    state: str
    postal_code: str
    country: str
    culture: str = "en-US"
    language: str = "en"


@dataclass(frozen=True)
class ExistingTenantInput:
    """An existing Microsoft 365 tenant: its domain (contoso.onmicrosoft.com or a verified domain) or tenant id."""

    domain_or_tenant_id: str


@dataclass(frozen=True)
class MCAAcceptanceInput:
    """The customer's Microsoft Customer Agreement acceptance, as the storefront or back office captured it."""

    signatory_first_name: str
    signatory_last_name: str
    signatory_email: str
    signatory_phone: str
    accepted_at: datetime
    role: AcceptanceRole
    ip_address: str | None
    user_agent: str
    template_id: str = ""
    agreement_version: str = ""
    agreement_link: str = ""


@dataclass(frozen=True)
class ChangeBaseline:
    """What a subscription change is judged against: by default the BSS record; for a reconciliation push,
    Partner Center's current values (the BSS already holds the target value there)."""

    quantity: int
    status: str
    cancellation_allowed_until: datetime | None = None
    # Seats Partner Center would refund now; None = work it out from the BSS licence ledger.
    refundable_quantity: int | None = None
