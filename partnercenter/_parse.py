"""JSON -> :mod:`partnercenter.types`. The only module that touches raw response dicts.

Partner Center property names are read case-insensitively (some documented responses are PascalCase).
Optional fields may be missing or null; a missing identifier raises :class:`ResponseValidationError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from .errors import ResponseValidationError
from .types import (
    Address,
    Agreement,
    AgreementContact,
    AgreementMetadata,
    Availability,
    AzureEntitlement,
    BillingProfile,
    Cart,
    CartCheckoutResult,
    CartLineItem,
    CartLineItemError,
    CompanyProfile,
    Customer,
    IndirectReseller,
    Link,
    Order,
    OrderError,
    OrderLineItem,
    OrderProvisioningStatus,
    Page,
    PriceSheetRow,
    Pricing,
    Product,
    QuantityProvisioning,
    RefundableQuantity,
    RefundableQuantityDetail,
    RefundOption,
    RelationshipRequest,
    Sku,
    Subscription,
    SubscriptionProvisioningStatus,
    Term,
    UserCredentials,
)

T = TypeVar("T")


class _CI:
    """Case-insensitive read-only view of one JSON object."""

    __slots__ = ("_d",)

    def __init__(self, data: Mapping[str, Any] | None) -> None:
        self._d = {str(k).lower(): v for k, v in (data or {}).items()}

    def get(self, name: str, default: Any = None) -> Any:
        value = self._d.get(name.lower(), default)
        return default if value is None else value

    def obj(self, name: str) -> _CI | None:
        value = self._d.get(name.lower())
        return _CI(value) if isinstance(value, Mapping) else None

    def objs(self, name: str) -> list[_CI]:
        value = self._d.get(name.lower())
        if not isinstance(value, list):
            return []
        return [_CI(v) for v in value if isinstance(v, Mapping)]

    def str(self, name: str) -> str | None:
        value = self.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else str(value)

    def req_str(self, name: str, what: str) -> str:
        value = self.str(name)
        if not value:
            raise ResponseValidationError(f"{what} without {name!r} in Partner Center response")
        return value

    def int(self, name: str) -> int | None:
        return to_int(self.get(name))

    def bool(self, name: str) -> bool | None:
        value = self.get(name)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return None

    def decimal(self, name: str) -> Decimal | None:
        return to_decimal(self.get(name))

    def datetime(self, name: str) -> datetime | None:
        return parse_datetime(self.get(name))

    def strs(self, name: str) -> tuple[str, ...]:
        value = self.get(name)
        if not isinstance(value, list):
            return ()
        return tuple(str(v) for v in value if v is not None)

    def raw(self, name: str) -> Any:
        return self._d.get(name.lower())


def to_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?\d+", text):
            return int(text)
    return None


def to_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        # via str() so 36.48 stays 36.48 and not its binary approximation
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


_FRACTION = re.compile(r"\.(\d+)")


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 as Partner Center sends it (7-digit fractions, ``Z``; docs even show ``06: 41: 12Z``)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace(" ", "")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_us_datetime(value: str | None) -> datetime | None:
    """Price-sheet dates: ``2/1/2019 12:00:00 AM`` (US month/day, 12-hour clock), taken as UTC."""
    if not value or not value.strip():
        return None
    text = value.strip()
    for fmt in ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return parse_datetime(text)


def _root(data: Any, what: str) -> _CI:
    if not isinstance(data, Mapping):
        raise ResponseValidationError(f"expected a JSON object for {what}, got {type(data).__name__}")
    return _CI(data)


def _etag(o: _CI) -> str | None:
    attributes = o.obj("attributes")
    return attributes.str("etag") if attributes else None


def etag_of(data: Any) -> str | None:
    """``attributes.etag`` of a raw resource (any key casing)."""
    return _etag(_CI(data)) if isinstance(data, Mapping) else None


# --- envelope --------------------------------------------------------------------------------------------


def link(o: _CI | None) -> Link | None:
    if o is None or not o.str("uri"):
        return None
    headers = tuple((h.str("key") or "", h.str("value") or "") for h in o.objs("headers") if h.str("key"))
    return Link(uri=o.req_str("uri", "link"), method=(o.str("method") or "GET").upper(), headers=headers)


def page(data: Any, item_parser: Callable[[Any], T], what: str) -> Page[T]:
    root = _root(data, what)
    raw_items = root.raw("items")
    if raw_items is None:
        raw_items = []
    if not isinstance(raw_items, list):
        raise ResponseValidationError(f"{what} collection whose 'items' is not a list")
    items = tuple(item_parser(item) for item in raw_items)
    links = root.obj("links")
    next_link = link(links.obj("next")) if links else None
    total = root.int("totalCount")
    return Page(items=items, total_count=len(items) if total is None else total, next_link=next_link)


# --- customers -------------------------------------------------------------------------------------------


def address(o: _CI | None) -> Address | None:
    if o is None:
        return None
    return Address(
        country=o.str("country"),
        region=o.str("region"),
        city=o.str("city"),
        state=o.str("state"),
        address_line1=o.str("addressLine1"),
        address_line2=o.str("addressLine2"),
        address_line3=o.str("addressLine3"),
        postal_code=o.str("postalCode"),
        first_name=o.str("firstName"),
        last_name=o.str("lastName"),
        phone_number=o.str("phoneNumber"),
    )


def _company_profile(o: _CI | None) -> CompanyProfile | None:
    if o is None:
        return None
    return CompanyProfile(
        tenant_id=o.str("tenantId"),
        domain=o.str("domain"),
        company_name=o.str("companyName"),
        email=o.str("email"),
        address=address(o.obj("address")),
        organization_registration_number=o.str("organizationRegistrationNumber"),
    )


def company_profile(data: Any) -> CompanyProfile:
    profile = _company_profile(_root(data, "company profile"))
    assert profile is not None
    return profile


def _billing_profile(o: _CI | None) -> BillingProfile | None:
    if o is None:
        return None
    return BillingProfile(
        id=o.str("id"),
        first_name=o.str("firstName"),
        last_name=o.str("lastName"),
        email=o.str("email"),
        culture=o.str("culture"),
        language=o.str("language"),
        company_name=o.str("companyName"),
        default_address=address(o.obj("defaultAddress")),
        etag=_etag(o),
    )


def customer(data: Any) -> Customer:
    o = _root(data, "customer")
    credentials = o.obj("userCredentials")
    user_credentials = None
    if credentials is not None and credentials.str("userName"):
        user_credentials = UserCredentials(
            user_name=credentials.req_str("userName", "userCredentials"),
            password=credentials.str("password") or "",
        )
    return Customer(
        id=o.req_str("id", "customer"),
        commerce_id=o.str("commerceId"),
        company_profile=_company_profile(o.obj("companyProfile")),
        billing_profile=_billing_profile(o.obj("billingProfile")),
        relationship_to_partner=o.str("relationshipToPartner"),
        allow_delegated_access=o.bool("allowDelegatedAccess"),
        custom_domains=o.strs("customDomains"),
        associated_partner_id=o.str("associatedPartnerId"),
        user_credentials=user_credentials,
    )


def relationship_request(data: Any) -> RelationshipRequest:
    return RelationshipRequest(url=_root(data, "relationship request").req_str("url", "relationship request"))


def indirect_reseller(data: Any) -> IndirectReseller:
    o = _root(data, "partner relationship")
    return IndirectReseller(
        id=o.req_str("id", "partner relationship"),
        name=o.str("name"),
        relationship_type=o.str("relationshipType"),
        state=o.str("state"),
        mpn_id=o.str("mpnId"),
        location=o.str("location"),
    )


# --- agreements ------------------------------------------------------------------------------------------


def agreement_metadata(data: Any) -> AgreementMetadata:
    o = _root(data, "agreement metadata")
    return AgreementMetadata(
        template_id=o.req_str("templateId", "agreement metadata"),
        agreement_type=o.str("agreementType"),
        agreement_link=o.str("agreementLink"),
        version_rank=o.int("versionRank"),
    )


def agreement(data: Any) -> Agreement:
    o = _root(data, "agreement")
    contact = o.obj("primaryContact")
    return Agreement(
        template_id=o.req_str("templateId", "agreement"),
        type=o.str("type") or o.str("agreementType"),
        date_agreed=o.datetime("dateAgreed"),
        primary_contact=AgreementContact(
            first_name=contact.str("firstName") or "",
            last_name=contact.str("lastName") or "",
            email=contact.str("email") or "",
            phone_number=contact.str("phoneNumber"),
        )
        if contact
        else None,
        user_id=o.str("userId"),
    )


# --- catalog ---------------------------------------------------------------------------------------------


def product(data: Any) -> Product:
    o = _root(data, "product")
    product_type = o.obj("productType")
    sub_type = product_type.obj("subType") if product_type else None
    return Product(
        id=o.req_str("id", "product"),
        title=o.str("title"),
        description=o.str("description"),
        product_type_id=product_type.str("id") if product_type else None,
        product_type_name=product_type.str("displayName") if product_type else None,
        product_sub_type_id=sub_type.str("id") if sub_type else None,
        is_microsoft_product=o.bool("isMicrosoftProduct"),
        publisher_name=o.str("publisherName"),
    )


def sku(data: Any) -> Sku:
    o = _root(data, "sku")
    dynamic = o.raw("dynamicAttributes")
    return Sku(
        id=o.req_str("id", "sku"),
        product_id=o.str("productId"),
        title=o.str("title"),
        description=o.str("description"),
        minimum_quantity=o.int("minimumQuantity"),
        maximum_quantity=o.int("maximumQuantity"),
        is_trial=o.bool("isTrial"),
        supported_billing_cycles=o.strs("supportedBillingCycles"),
        purchase_prerequisites=o.strs("purchasePrerequisites"),
        inventory_variables=o.strs("inventoryVariables"),
        provisioning_variables=o.strs("provisioningVariables"),
        actions=o.strs("actions"),
        dynamic_attributes=dict(dynamic) if isinstance(dynamic, Mapping) else {},
    )


def _refund_option(o: _CI) -> RefundOption:
    return RefundOption(
        type=o.str("type"),
        sequence_id=o.int("sequenceId"),
        expires_after=o.str("expiresAfter"),
        expires_at=o.datetime("expiresAt"),
    )


def _term(o: _CI) -> Term:
    refund_options: list[RefundOption] = []
    for policy in o.objs("cancellationPolicies"):
        refund_options.extend(_refund_option(r) for r in policy.objs("refundOptions"))
    return Term(
        duration=o.str("duration"),
        billing_cycle=(o.str("billingCycle") or "").lower() or None,
        id=o.str("id"),
        description=o.str("description"),
        refund_options=tuple(refund_options),
    )


def availability(data: Any) -> Availability:
    o = _root(data, "availability")
    currency = o.obj("defaultCurrency")
    return Availability(
        id=o.req_str("id", "availability"),
        product_id=o.str("productId"),
        sku_id=o.str("skuId"),
        catalog_item_id=o.str("catalogItemId"),
        currency_code=currency.str("code") if currency else None,
        segment=o.str("segment"),
        country=o.str("country"),
        is_purchasable=o.bool("isPurchasable"),
        is_renewable=o.bool("isRenewable"),
        terms=tuple(_term(t) for t in o.objs("terms")),
    )


_PRICE_SHEET_COLUMNS = {
    "producttitle": "product_title",
    "productid": "product_id",
    "skuid": "sku_id",
    "skutitle": "sku_title",
    "publisher": "publisher",
    "skudescription": "sku_description",
    "unitofmeasure": "unit_of_measure",
    "termduration": "term_duration",
    "billingplan": "billing_plan",
    "market": "market",
    "currency": "currency",
    "tags": "tags",
}


def normalize_csv_header(name: str) -> str:
    # Microsoft's sample ends the last header with a typographic quote ("ERP Price“).
    return name.strip().strip("\ufeff\"'\u201c\u201d ").strip()


def price_sheet_row(header: list[str], values: list[str]) -> PriceSheetRow:
    fields: dict[str, Any] = {}
    extra: dict[str, str] = {}
    for name, value in zip(header, values, strict=False):
        key = name.replace(" ", "").lower()
        if key in _PRICE_SHEET_COLUMNS:
            fields[_PRICE_SHEET_COLUMNS[key]] = value or None
        elif key == "unitprice":
            fields["unit_price"] = to_decimal(value)
        elif key == "erpprice":
            fields["erp_price"] = to_decimal(value)
        elif key == "pricingtierrangemin":
            fields["pricing_tier_range_min"] = to_decimal(value)
        elif key == "pricingtierrangemax":
            fields["pricing_tier_range_max"] = to_decimal(value)
        elif key == "effectivestartdate":
            fields["effective_start_date"] = parse_us_datetime(value)
        elif key == "effectiveenddate":
            fields["effective_end_date"] = parse_us_datetime(value)
        else:
            extra[name] = value
    if not fields.get("product_id") or not fields.get("sku_id"):
        raise ResponseValidationError("price sheet row without ProductId/SkuId")
    return PriceSheetRow(extra=extra, **fields)


# --- carts and orders ------------------------------------------------------------------------------------


def _pricing(o: _CI | None) -> Pricing | None:
    if o is None:
        return None
    return Pricing(
        list_price=o.decimal("listPrice"),
        discounted_price=o.decimal("discountedPrice"),
        prorated_price=o.decimal("proratedPrice"),
        price=o.decimal("price"),
        extended_price=o.decimal("extendedPrice"),
    )


def _key_values(items: Iterable[_CI]) -> tuple[tuple[str, str], ...]:
    return tuple((i.str("key") or "", i.str("value") or "") for i in items)


def _cart_line_item(o: _CI) -> CartLineItem:
    error = o.obj("error")
    renews_to = o.obj("renewsTo")
    context = o.raw("provisioningContext")
    additional = error.raw("additionalInformation") if error else None
    line_id = o.int("id")
    quantity = o.int("quantity")
    if line_id is None or quantity is None:
        raise ResponseValidationError("cart line item without 'id' or 'quantity'")
    return CartLineItem(
        id=line_id,
        catalog_item_id=o.req_str("catalogItemId", "cart line item"),
        quantity=quantity,
        billing_cycle=o.str("billingCycle"),
        term_duration=o.str("termDuration"),
        friendly_name=o.str("friendlyName"),
        currency_code=o.str("currencyCode"),
        promotion_id=o.str("promotionId"),
        order_group=o.str("orderGroup"),
        custom_term_end_date=o.datetime("customTermEndDate"),
        renews_to_term_duration=renews_to.str("termDuration") if renews_to else None,
        provisioning_context={str(k): str(v) for k, v in context.items()} if isinstance(context, Mapping) else {},
        participants=_key_values(o.objs("participants")),
        addon_items=tuple(_cart_line_item(a) for a in o.objs("addonItems")),
        pricing=_pricing(o.obj("pricing")),
        error=CartLineItemError(
            error_code=error.int("errorCode"),
            error_description=error.str("errorDescription"),
            additional_information=dict(additional) if isinstance(additional, Mapping) else {},
        )
        if error
        else None,
    )


def cart(data: Any) -> Cart:
    o = _root(data, "cart")
    return Cart(
        id=o.req_str("id", "cart"),
        status=o.str("status"),
        line_items=tuple(_cart_line_item(li) for li in o.objs("lineItems")),
        creation_timestamp=o.datetime("creationTimestamp"),
        last_modified_timestamp=o.datetime("lastModifiedTimestamp"),
        expiration_timestamp=o.datetime("expirationTimestamp"),
        last_modified_user=o.str("lastModifiedUser"),
        partner_on_record_attestation_accepted=o.bool("partnerOnRecordAttestationAccepted"),
    )


def _order_line_item(o: _CI) -> OrderLineItem:
    number = o.int("lineItemNumber")
    return OrderLineItem(
        line_item_number=number if number is not None else 0,
        offer_id=o.str("offerId"),
        subscription_id=o.str("subscriptionId"),
        parent_subscription_id=o.str("parentSubscriptionId"),
        term_duration=o.str("termDuration"),
        transaction_type=o.str("transactionType"),
        friendly_name=o.str("friendlyName"),
        quantity=o.int("quantity"),
        partner_id_on_record=o.str("partnerIdOnRecord"),
        promotion_id=o.str("promotionId"),
        pricing=_pricing(o.obj("pricing")),
    )


def order(data: Any) -> Order:
    o = _root(data, "order")
    return Order(
        id=o.req_str("id", "order"),
        alternate_id=o.str("alternateId"),
        reference_customer_id=o.str("referenceCustomerId"),
        billing_cycle=o.str("billingCycle"),
        currency_code=o.str("currencyCode"),
        currency_symbol=o.str("currencySymbol"),
        line_items=tuple(_order_line_item(li) for li in o.objs("lineItems")),
        creation_date=o.datetime("creationDate"),
        status=o.str("status"),
        transaction_type=o.str("transactionType"),
        total_price=o.decimal("totalPrice"),
        etag=_etag(o),
    )


def checkout_result(data: Any) -> CartCheckoutResult:
    o = _root(data, "checkout result")
    return CartCheckoutResult(
        orders=tuple(order(raw) for raw in (o.raw("orders") or []) if isinstance(raw, Mapping)),
        order_errors=tuple(
            OrderError(order_group_id=e.str("orderGroupId"), code=e.int("code"), description=e.str("description"))
            for e in o.objs("orderErrors")
        ),
    )


def order_provisioning_status(data: Any) -> OrderProvisioningStatus:
    o = _root(data, "order provisioning status")
    number = o.int("lineItemNumber")
    return OrderProvisioningStatus(
        line_item_number=number if number is not None else o.int("orderLineItemId"),
        status=o.str("status"),
        quantity_provisioning=tuple(
            QuantityProvisioning(quantity=q.int("quantity"), status=q.str("status"))
            for q in o.objs("quantityProvisioningInformation")
        ),
    )


# --- subscriptions ---------------------------------------------------------------------------------------


def _catalog_ids(o: _CI) -> tuple[str | None, str | None, str | None]:
    """(productId, skuId, availabilityId) from a new-commerce ``offerId`` or from the product/sku links."""
    offer_id = o.str("offerId") or ""
    parts = offer_id.split(":")
    if len(parts) == 3 and all(parts):
        return parts[0], parts[1], parts[2]
    product_id = o.str("productId")
    sku_id = o.str("skuId")
    links = o.obj("links")
    if links:
        sku_link = links.obj("sku")
        if sku_link and sku_link.str("uri"):
            match = re.search(r"/products/([^/?]+)/skus/([^/?]+)", sku_link.str("uri") or "")
            if match:
                product_id = product_id or match.group(1)
                sku_id = sku_id or match.group(2)
    return product_id, sku_id, None


def subscription(data: Any) -> Subscription:
    o = _root(data, "subscription")
    product_id, sku_id, availability_id = _catalog_ids(o)
    product_type = o.obj("productType")
    refundable = o.obj("refundableQuantity")
    refundable_quantity = None
    if refundable is not None:
        refundable_quantity = RefundableQuantity(
            total_quantity=refundable.int("totalQuantity") or 0,
            details=tuple(
                RefundableQuantityDetail(
                    quantity=d.int("quantity") or 0, allowed_until=d.datetime("allowedUntilDateTime")
                )
                for d in refundable.objs("details")
            ),
        )
    return Subscription(
        id=o.req_str("id", "subscription"),
        offer_id=o.str("offerId"),
        offer_name=o.str("offerName"),
        friendly_name=o.str("friendlyName"),
        product_id=product_id,
        sku_id=sku_id,
        availability_id=availability_id,
        product_type_id=product_type.str("id") if product_type else None,
        quantity=o.int("quantity"),
        unit_type=o.str("unitType"),
        status=o.str("status"),
        auto_renew_enabled=o.bool("autoRenewEnabled"),
        billing_type=o.str("billingType"),
        billing_cycle=o.str("billingCycle"),
        term_duration=o.str("termDuration"),
        renewal_term_duration=o.str("renewalTermDuration") or None,
        creation_date=o.datetime("creationDate"),
        effective_start_date=o.datetime("effectiveStartDate"),
        commitment_end_date=o.datetime("commitmentEndDate"),
        cancellation_allowed_until_date=o.datetime("cancellationAllowedUntilDate"),
        refundable_quantity=refundable_quantity,
        refund_options=tuple(_refund_option(r) for r in o.objs("refundOptions")),
        order_id=o.str("orderId"),
        parent_subscription_id=o.str("parentSubscriptionId"),
        entitlement_id=o.str("entitlementId"),
        partner_id=o.str("partnerId") or None,
        promotion_id=o.str("promotionId"),
        is_trial=o.bool("isTrial"),
        contract_type=o.str("contractType"),
        publisher_name=o.str("publisherName"),
        suspension_reasons=o.strs("suspensionReasons"),
        etag=_etag(o),
    )


def subscription_provisioning_status(data: Any) -> SubscriptionProvisioningStatus:
    o = _root(data, "subscription provisioning status")
    return SubscriptionProvisioningStatus(
        sku_id=o.str("skuId"), status=o.str("status"), quantity=o.int("quantity"), end_date=o.datetime("endDate")
    )


def azure_entitlement(data: Any) -> AzureEntitlement:
    o = _root(data, "azure entitlement")
    return AzureEntitlement(
        id=o.req_str("id", "azure entitlement"),
        friendly_name=o.str("friendlyName"),
        status=o.str("status"),
        subscription_id=o.str("subscriptionId"),
        entitlement_type=o.str("entitlementType"),
    )
