"""Typed results of the Partner Center client: frozen dataclasses, built only by :mod:`partnercenter._parse`.

Values keep Partner Center's vocabulary (``billing_cycle="annual"``, ``status="suspended"``); enumerations are
lower-cased strings as the service sends them, so an unknown new value never breaks parsing.
Money is :class:`~decimal.Decimal`; timestamps are timezone-aware :class:`~datetime.datetime`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

T = TypeVar("T")

__all__ = [
    "Address",
    "Agreement",
    "AgreementContact",
    "AgreementMetadata",
    "Availability",
    "AzureEntitlement",
    "BillingProfile",
    "Cart",
    "CartCheckoutResult",
    "CartLineItem",
    "CartLineItemError",
    "CartLineItemRequest",
    "CompanyProfile",
    "Customer",
    "IndirectReseller",
    "Link",
    "Order",
    "OrderError",
    "OrderLineItem",
    "OrderProvisioningStatus",
    "Page",
    "PriceSheetRow",
    "Pricing",
    "Product",
    "QuantityProvisioning",
    "RefundOption",
    "RefundableQuantity",
    "RefundableQuantityDetail",
    "RelationshipRequest",
    "ScheduledNextTermInstructions",
    "Sku",
    "Subscription",
    "SubscriptionProvisioningStatus",
    "Term",
    "UserCredentials",
]


@dataclass(frozen=True, slots=True)
class Link:
    uri: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a collection. ``next_link`` (with its ``MS-ContinuationToken`` header) is set while more
    pages exist; ``total_count`` is the number of items in *this* page, as Partner Center reports it."""

    items: tuple[T, ...]
    total_count: int
    next_link: Link | None = None

    @property
    def continuation_token(self) -> str | None:
        if self.next_link is None:
            return None
        for key, value in self.next_link.headers:
            if key.lower() == "ms-continuationtoken":
                return value
        return None

    @property
    def has_more(self) -> bool:
        return self.next_link is not None


# --- customers -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Address:
    country: str | None = None
    region: str | None = None
    city: str | None = None
    state: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    postal_code: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone_number: str | None = None


@dataclass(frozen=True, slots=True)
class CompanyProfile:
    tenant_id: str | None = None
    domain: str | None = None
    company_name: str | None = None
    email: str | None = None
    address: Address | None = None
    organization_registration_number: str | None = None


@dataclass(frozen=True, slots=True)
class BillingProfile:
    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    culture: str | None = None
    language: str | None = None
    company_name: str | None = None
    default_address: Address | None = None
    etag: str | None = None


@dataclass(frozen=True, slots=True)
class UserCredentials:
    """The new customer's first admin user. Returned once, by create-customer only; never logged."""

    user_name: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    commerce_id: str | None = None
    company_profile: CompanyProfile | None = None
    billing_profile: BillingProfile | None = None
    relationship_to_partner: str | None = None
    allow_delegated_access: bool | None = None
    custom_domains: tuple[str, ...] = ()
    associated_partner_id: str | None = None
    user_credentials: UserCredentials | None = None

    @property
    def tenant_id(self) -> str:
        return (self.company_profile.tenant_id if self.company_profile else None) or self.id

    @property
    def domain(self) -> str | None:
        return self.company_profile.domain if self.company_profile else None

    @property
    def company_name(self) -> str | None:
        if self.company_profile and self.company_profile.company_name:
            return self.company_profile.company_name
        return self.billing_profile.company_name if self.billing_profile else None


@dataclass(frozen=True, slots=True)
class RelationshipRequest:
    """Link a global admin of an existing tenant opens to accept us as reseller."""

    url: str


@dataclass(frozen=True, slots=True)
class IndirectReseller:
    id: str
    name: str | None = None
    relationship_type: str | None = None
    state: str | None = None
    mpn_id: str | None = None
    location: str | None = None


# --- agreements ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgreementMetadata:
    template_id: str
    agreement_type: str | None = None
    agreement_link: str | None = None
    version_rank: int | None = None


@dataclass(frozen=True, slots=True)
class AgreementContact:
    first_name: str
    last_name: str
    email: str
    phone_number: str | None = None


@dataclass(frozen=True, slots=True)
class Agreement:
    template_id: str
    type: str | None = None
    date_agreed: datetime | None = None
    primary_contact: AgreementContact | None = None
    user_id: str | None = None


# --- catalog ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    title: str | None = None
    description: str | None = None
    product_type_id: str | None = None
    product_type_name: str | None = None
    product_sub_type_id: str | None = None
    is_microsoft_product: bool | None = None
    publisher_name: str | None = None


@dataclass(frozen=True, slots=True)
class Sku:
    id: str
    product_id: str | None = None
    title: str | None = None
    description: str | None = None
    minimum_quantity: int | None = None
    maximum_quantity: int | None = None
    is_trial: bool | None = None
    supported_billing_cycles: tuple[str, ...] = ()
    purchase_prerequisites: tuple[str, ...] = ()
    inventory_variables: tuple[str, ...] = ()
    provisioning_variables: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    dynamic_attributes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_addon(self) -> bool:
        return bool(self.dynamic_attributes.get("isAddon"))


@dataclass(frozen=True, slots=True)
class RefundOption:
    type: str | None = None
    sequence_id: int | None = None
    expires_after: str | None = None  # ISO 8601 duration on availabilities ("P7D")
    expires_at: datetime | None = None  # absolute deadline on subscriptions


@dataclass(frozen=True, slots=True)
class Term:
    """A purchasable term of an availability: ``duration`` ("P1M", "P1Y", "P3Y") and billing plan."""

    duration: str | None = None
    billing_cycle: str | None = None
    id: str | None = None
    description: str | None = None
    refund_options: tuple[RefundOption, ...] = ()


@dataclass(frozen=True, slots=True)
class Availability:
    id: str
    product_id: str | None = None
    sku_id: str | None = None
    catalog_item_id: str | None = None
    currency_code: str | None = None
    segment: str | None = None
    country: str | None = None
    is_purchasable: bool | None = None
    is_renewable: bool | None = None
    terms: tuple[Term, ...] = ()


@dataclass(frozen=True, slots=True)
class PriceSheetRow:
    """One row of the new-commerce licence-based price sheet (18 documented columns; others in ``extra``)."""

    product_id: str
    sku_id: str
    product_title: str | None = None
    sku_title: str | None = None
    publisher: str | None = None
    sku_description: str | None = None
    unit_of_measure: str | None = None
    term_duration: str | None = None
    billing_plan: str | None = None
    market: str | None = None
    currency: str | None = None
    unit_price: Decimal | None = None
    erp_price: Decimal | None = None
    pricing_tier_range_min: Decimal | None = None
    pricing_tier_range_max: Decimal | None = None
    effective_start_date: datetime | None = None
    effective_end_date: datetime | None = None
    tags: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


# --- carts and orders ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pricing:
    list_price: Decimal | None = None
    discounted_price: Decimal | None = None
    prorated_price: Decimal | None = None
    price: Decimal | None = None
    extended_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CartLineItemError:
    error_code: int | None
    error_description: str | None = None
    additional_information: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CartLineItem:
    id: int
    catalog_item_id: str
    quantity: int
    billing_cycle: str | None = None
    term_duration: str | None = None
    friendly_name: str | None = None
    currency_code: str | None = None
    promotion_id: str | None = None
    order_group: str | None = None
    custom_term_end_date: datetime | None = None
    renews_to_term_duration: str | None = None
    provisioning_context: Mapping[str, str] = field(default_factory=dict)
    participants: tuple[tuple[str, str], ...] = ()
    addon_items: tuple[CartLineItem, ...] = ()
    pricing: Pricing | None = None
    error: CartLineItemError | None = None


@dataclass(frozen=True, slots=True)
class Cart:
    id: str
    status: str | None = None
    line_items: tuple[CartLineItem, ...] = ()
    creation_timestamp: datetime | None = None
    last_modified_timestamp: datetime | None = None
    expiration_timestamp: datetime | None = None
    last_modified_user: str | None = None
    partner_on_record_attestation_accepted: bool | None = None

    @property
    def line_errors(self) -> tuple[tuple[CartLineItem, CartLineItemError], ...]:
        return tuple((li, li.error) for li in self.line_items if li.error is not None)


@dataclass(frozen=True, slots=True)
class OrderLineItem:
    line_item_number: int
    offer_id: str | None = None
    subscription_id: str | None = None
    parent_subscription_id: str | None = None
    term_duration: str | None = None
    transaction_type: str | None = None
    friendly_name: str | None = None
    quantity: int | None = None
    partner_id_on_record: str | None = None
    promotion_id: str | None = None
    pricing: Pricing | None = None


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    alternate_id: str | None = None
    reference_customer_id: str | None = None
    billing_cycle: str | None = None
    currency_code: str | None = None
    currency_symbol: str | None = None
    line_items: tuple[OrderLineItem, ...] = ()
    creation_date: datetime | None = None
    status: str | None = None
    transaction_type: str | None = None
    total_price: Decimal | None = None
    etag: str | None = None


@dataclass(frozen=True, slots=True)
class OrderError:
    order_group_id: str | None
    code: int | None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class CartCheckoutResult:
    orders: tuple[Order, ...] = ()
    order_errors: tuple[OrderError, ...] = ()


@dataclass(frozen=True, slots=True)
class QuantityProvisioning:
    quantity: int | None
    status: str | None


@dataclass(frozen=True, slots=True)
class OrderProvisioningStatus:
    """Provisioning of one order line: ``fulfilled`` | ``unfulfilled`` | ``prefulfillmentPending``."""

    line_item_number: int | None
    status: str | None
    quantity_provisioning: tuple[QuantityProvisioning, ...] = ()


# --- subscriptions ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RefundableQuantityDetail:
    quantity: int
    allowed_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class RefundableQuantity:
    total_quantity: int
    details: tuple[RefundableQuantityDetail, ...] = ()


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    offer_id: str | None = None
    offer_name: str | None = None
    friendly_name: str | None = None
    product_id: str | None = None
    sku_id: str | None = None
    availability_id: str | None = None
    product_type_id: str | None = None
    quantity: int | None = None
    unit_type: str | None = None
    status: str | None = None
    auto_renew_enabled: bool | None = None
    billing_type: str | None = None
    billing_cycle: str | None = None
    term_duration: str | None = None
    renewal_term_duration: str | None = None
    creation_date: datetime | None = None
    effective_start_date: datetime | None = None
    commitment_end_date: datetime | None = None
    cancellation_allowed_until_date: datetime | None = None
    refundable_quantity: RefundableQuantity | None = None
    refund_options: tuple[RefundOption, ...] = ()
    order_id: str | None = None
    parent_subscription_id: str | None = None
    entitlement_id: str | None = None
    partner_id: str | None = None
    promotion_id: str | None = None
    is_trial: bool | None = None
    contract_type: str | None = None
    publisher_name: str | None = None
    suspension_reasons: tuple[str, ...] = ()
    etag: str | None = None
    scheduled_next_term_instructions: ScheduledNextTermInstructions | None = None
    has_purchasable_addons: bool | None = None


@dataclass(frozen=True, slots=True)
class ScheduledNextTermInstructions:
    """What the subscription becomes at renewal (``None`` on the subscription when nothing is scheduled)."""

    product_id: str | None = None
    sku_id: str | None = None
    availability_id: str | None = None
    billing_cycle: str | None = None
    term_duration: str | None = None
    quantity: int | None = None
    custom_term_end_date: datetime | None = None

    @property
    def catalog_item_id(self) -> str | None:
        if self.product_id and self.sku_id and self.availability_id:
            return f"{self.product_id}:{self.sku_id}:{self.availability_id}"
        return None

    def to_json(self) -> dict[str, Any]:
        product = {k: v for k, v in (("productId", self.product_id), ("skuId", self.sku_id),
                                     ("availabilityId", self.availability_id), ("billingCycle", self.billing_cycle),
                                     ("termDuration", self.term_duration)) if v is not None}
        body: dict[str, Any] = {"product": product}
        if self.quantity is not None:
            body["quantity"] = self.quantity
        if self.custom_term_end_date is not None:
            body["customTermEndDate"] = self.custom_term_end_date.strftime("%Y-%m-%dT%H:%M:%SZ")
        return body


@dataclass(frozen=True, slots=True)
class SubscriptionProvisioningStatus:
    sku_id: str | None
    status: str | None
    quantity: int | None = None
    end_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class AzureEntitlement:
    """An Azure subscription under an Azure plan."""

    id: str
    friendly_name: str | None = None
    status: str | None = None
    subscription_id: str | None = None
    entitlement_type: str | None = None


# --- request inputs --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CartLineItemRequest:
    """One line to put in a cart. ``catalog_item_id`` is ``productId:skuId:availabilityId``.

    ``transaction_reseller_id`` (indirect providers) becomes the ``transaction_reseller`` participant.
    """

    catalog_item_id: str
    quantity: int
    billing_cycle: str
    term_duration: str | None = None
    friendly_name: str | None = None
    promotion_id: str | None = None
    custom_term_end_date: datetime | None = None
    transaction_reseller_id: str | None = None
    provisioning_context: Mapping[str, str] = field(default_factory=dict)
    attestation_accepted: bool | None = None
