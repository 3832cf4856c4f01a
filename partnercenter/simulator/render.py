"""Domain objects -> Partner Center JSON (camelCase, ``attributes.objectType``, relative links without /v1 except
next links, which carry it as Microsoft's sample does)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from .backend.core import etag, iso, iso_seconds, refundable, subscription_etag
from .state import (
    Agreement,
    AzureEntitlement,
    Cart,
    Customer,
    IndirectReseller,
    Order,
    PartnerAccount,
    Subscription,
)


def link(uri: str, method: str = "GET", headers: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"uri": uri, "method": method, "headers": headers or []}


def collection(items: list[Any], self_uri: str | None = None, next_link: dict[str, Any] | None = None,
               **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"totalCount": len(items), "items": items}
    links: dict[str, Any] = {}
    if self_uri:
        links["self"] = link(self_uri)
    if next_link:
        links["next"] = next_link
    if links:
        body["links"] = links
    body.update(extra)
    body["attributes"] = {"objectType": "Collection"}
    return body


# -- customers -------------------------------------------------------------------------------------
def company_profile(customer: Customer, *, full: bool) -> dict[str, Any]:
    profile: dict[str, Any] = {"tenantId": customer.id, "domain": customer.domain,
                               "companyName": customer.company_name}
    if full:
        address = {k: v for k, v in customer.address.items() if k not in ("firstName", "lastName")}
        profile.update(address=address, email=customer.email)
        if customer.organization_registration_number:
            profile["organizationRegistrationNumber"] = customer.organization_registration_number
        profile["links"] = {"self": link(f"/customers/{customer.id}/profiles/company")}
    profile["attributes"] = {"objectType": "CustomerCompanyProfile"}
    return profile


def billing_profile(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.billing_profile_id,
        "firstName": customer.address.get("firstName", ""),
        "lastName": customer.address.get("lastName", ""),
        "email": customer.email,
        "culture": customer.culture,
        "language": customer.language,
        "companyName": customer.company_name,
        "defaultAddress": dict(customer.address),
        "links": {"self": link(f"/customers/{customer.id}/profiles/billing")},
        "attributes": {"etag": customer.billing_etag, "objectType": "CustomerBillingProfile"},
    }


def render_customer(customer: Customer, *, view: str = "get",
                    credentials: dict[str, str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": customer.id, "commerceId": customer.commerce_id}
    if view == "list":
        body["companyProfile"] = company_profile(customer, full=False)
    else:
        body["companyProfile"] = company_profile(customer, full=view == "get")
        body["billingProfile"] = billing_profile(customer)
    if view == "create":
        body["enableGDAPByDefault"] = False
        body["relationshipToPartner"] = "none"
        body["userCredentials"] = credentials or {}
    else:
        body["relationshipToPartner"] = customer.relationship
        if view == "get":
            body["allowDelegatedAccess"] = False
            body["customDomains"] = list(customer.custom_domains)
    if customer.associated_partner_id:
        body["associatedPartnerId"] = customer.associated_partner_id
    body["links"] = {"self": link(f"/customers/{customer.id}")}
    body["attributes"] = {"objectType": "Customer"}
    return body


def render_reseller(reseller: IndirectReseller) -> dict[str, Any]:
    return {
        "id": reseller.tenant_id,
        "name": reseller.name,
        "relationshipType": "is_indirect_cloud_solution_provider_of",
        "state": reseller.state,
        "mpnId": reseller.mpn_id,
        "location": reseller.location,
        "attributes": {"objectType": "PartnerRelationship"},
    }


def render_agreement(agreement: Agreement) -> dict[str, Any]:
    return {
        "userId": agreement.user_id,
        "primaryContact": dict(agreement.primary_contact),
        "templateId": agreement.template_id,
        "dateAgreed": agreement.date_agreed,
        "type": agreement.type,
        "attributes": {"objectType": "Agreement"},
    }


# -- carts and orders ------------------------------------------------------------------------------
def render_cart(cart: Cart) -> dict[str, Any]:
    lines = []
    for line in cart.lines:
        item: dict[str, Any] = {
            "id": line.id,
            "catalogItemId": line.catalog_item_id,
            "quantity": line.quantity,
            "currencyCode": line.currency_code,
            "billingCycle": line.billing_cycle,
        }
        if line.term_duration:
            item["termDuration"] = line.term_duration
        if line.friendly_name:
            item["friendlyName"] = line.friendly_name
        if line.promotion_id:
            item["promotionId"] = line.promotion_id
        if line.participants:
            item["participants"] = line.participants
        if line.custom_term_end_date:
            item["customTermEndDate"] = line.custom_term_end_date
        if line.renews_to:
            item["renewsTo"] = line.renews_to
        if line.attestation_accepted is not None:
            item["attestationAccepted"] = line.attestation_accepted
        item["provisioningContext"] = line.provisioning_context
        item["orderGroup"] = line.order_group
        if line.error:
            item["error"] = line.error
        lines.append(item)
    body: dict[str, Any] = {
        "id": cart.id,
        "creationTimestamp": iso(cart.created),
        "lastModifiedTimestamp": iso(cart.modified),
        "expirationTimestamp": iso(cart.expires),
        "lastModifiedUser": cart.last_modified_user,
        "status": cart.status,
        "lineItems": lines,
    }
    if cart.partner_on_record_attestation_accepted is not None:
        body["partnerOnRecordAttestationAccepted"] = cart.partner_on_record_attestation_accepted
    body["links"] = {"self": link(f"/customers/{cart.customer_id}/carts/{cart.id}")}
    body["attributes"] = {"objectType": "Cart"}
    return body


def _offer_links(offer_id: str, country: str) -> dict[str, Any]:
    parts = offer_id.split(":")
    if len(parts) != 3:
        return {"offer": link(f"/offers/{offer_id}?country={country}")}
    product, sku, availability = parts
    return {
        "product": link(f"/products/{product}?country={country}"),
        "sku": link(f"/products/{product}/skus/{sku}?country={country}"),
        "availability": link(f"/products/{product}/skus/{sku}/availabilities/{availability}?country={country}"),
    }


def render_order(order: Order, partner: PartnerAccount, *, include_price: bool = False) -> dict[str, Any]:
    base = f"/customers/{order.customer_id}/orders/{order.id}"
    lines = []
    for line in order.lines:
        item: dict[str, Any] = {
            "lineItemNumber": line.line_item_number,
            "offerId": line.offer_id,
            "termDuration": line.term_duration or "",
            "transactionType": "New",
            "friendlyName": line.friendly_name,
            "quantity": line.quantity,
        }
        if order.status == "completed":
            # Microsoft names a line's subscription only once it is provisioned; until then a GET of it is 404.
            item["subscriptionId"] = line.subscription_id
        if line.partner_id_on_record:
            item["partnerIdOnRecord"] = line.partner_id_on_record
        if line.additional_partner_ids:
            item["additionalPartnerIdsOnRecord"] = line.additional_partner_ids
        if line.promotion_id:
            item["promotionId"] = line.promotion_id
        if line.provisioning_context:
            item["provisioningContext"] = line.provisioning_context
        if include_price:
            item["pricing"] = dict(line.pricing)
        links = _offer_links(line.offer_id, line.country)
        if order.status == "completed":
            links["subscription"] = link(f"/customers/{order.customer_id}/subscriptions/{line.subscription_id}")
        links["provisioningStatus"] = link(f"{base}/provisioningstatus")
        item["links"] = links
        lines.append(item)
    body: dict[str, Any] = {
        "id": order.id,
        "alternateId": order.id,
        "referenceCustomerId": order.customer_id,
        "billingCycle": order.billing_cycle,
        "currencyCode": order.currency_code,
        "currencySymbol": order.currency_symbol,
        "lineItems": lines,
        "creationDate": iso(order.created),
        "status": order.status,
        "transactionType": order.transaction_type,
    }
    if include_price:
        body["totalPrice"] = order.total_price
    body["links"] = {
        "self": link(base),
        "provisioningStatus": link(f"{base}/provisioningstatus"),
        "patchOperation": link(base, "PATCH"),
    }
    body["attributes"] = {"etag": etag(order.id, order.version), "objectType": "Order"}
    return body


def render_checkout_result(orders: list[Order], partner: PartnerAccount) -> dict[str, Any]:
    return {
        "orders": [render_order(o, partner, include_price=True) for o in orders],
        "orderErrors": [],
        "attributes": {"objectType": "CartCheckoutResult"},
    }


def render_order_provisioning(order: Order) -> dict[str, Any]:
    done = order.status == "completed"
    items = [
        {
            "orderLineItemId": line.line_item_number,
            "lineItemNumber": line.line_item_number,
            "status": "fulfilled" if done else "prefulfillmentPending",
            "quantityProvisioningInformation": [
                {"quantity": line.quantity, "status": "fulfilled" if done else "prefulfillmentPending"}
            ],
        }
        for line in order.lines
    ]
    return collection(items)


# -- subscriptions ---------------------------------------------------------------------------------
def render_subscription(sub: Subscription, now: dt.datetime, *, has_addons: bool = False) -> dict[str, Any]:
    """The subscription as Partner Center shows it at ``now`` (the refundable seats depend on the time)."""
    azure = sub.product_type == "Azure"
    batches = refundable(sub, now)
    body: dict[str, Any] = {
        "id": sub.id,
        "offerId": sub.offer_id,
        "offerName": sub.offer_name,
        "friendlyName": sub.friendly_name,
        "productType": {"id": sub.product_type, "displayName": sub.product_type},
        "quantity": sub.quantity,
        "unitType": sub.unit_type,
        "hasPurchasableAddons": has_addons,
        "creationDate": iso(sub.created),
        "effectiveStartDate": iso(sub.effective_start),
        "commitmentEndDate": f"{sub.commitment_end.isoformat()}T00:00:00Z" if sub.commitment_end else None,
        "commitmentEndDateTime": f"{sub.commitment_end.isoformat()}T23:59:59Z" if sub.commitment_end else None,
        "status": sub.status,
        "autoRenewEnabled": sub.auto_renew,
        "isTrial": sub.is_trial,
        "billingType": sub.billing_type,
        "billingCycle": sub.billing_cycle,
        "termDuration": sub.term_duration or "",
        "renewalTermDuration": "",
        "isMicrosoftProduct": True,
        "publisherName": sub.publisher_name,
        "partnerId": sub.partner_id,
        "attentionNeeded": False,
        "actionTaken": False,
        "contractType": "subscription",
        "orderId": sub.order_id,
        "suspensionReasons": list(sub.suspension_reasons),
        "scheduledNextTermInstructions": sub.scheduled_next_term_instructions,
    }
    if not azure and sub.cancellation_allowed_until is not None:
        body["cancellationAllowedUntilDate"] = iso_seconds(sub.cancellation_allowed_until)
        body["refundOptions"] = [{"type": "Full", "expiresAt": iso_seconds(sub.cancellation_allowed_until)}]
        body["refundableQuantity"] = {
            "totalQuantity": sum(b.quantity for b in batches),
            "details": [{"quantity": b.quantity, "allowedUntilDateTime": iso(b.allowed_until)} for b in batches],
        }
    if sub.promotion_id:
        body["promotionId"] = sub.promotion_id
    links = _offer_links(sub.offer_id, sub.country)
    if sub.parent_subscription_id:
        body["parentSubscriptionId"] = sub.parent_subscription_id
        links["parentSubscription"] = link(f"/customers/{sub.customer_id}/subscriptions/{sub.parent_subscription_id}")
    links["self"] = link(f"/customers/{sub.customer_id}/subscriptions/{sub.id}")
    body["links"] = links
    body["attributes"] = {"etag": subscription_etag(sub), "objectType": "Subscription"}
    return body


def render_subscription_provisioning(sub: Subscription, order: Order | None) -> dict[str, Any]:
    pending = order is not None and order.status == "pending"
    return {
        "skuId": sub.sku_id,
        "status": "pending" if pending else "success",
        "quantity": sub.quantity,
        "endDate": f"{sub.commitment_end.isoformat()}T00:00:00Z" if sub.commitment_end else None,
        "attributes": {"objectType": "SubscriptionProvisioningStatus"},
    }


def render_entitlement(ent: AzureEntitlement, sub: Subscription) -> dict[str, Any]:
    return {
        "id": ent.id,
        "friendlyName": ent.friendly_name,
        "status": ent.status,
        "subscriptionId": sub.id,
        "attributes": {"objectType": "AzureEntitlement"},
    }


def continuation_link(path: str, params: dict[str, Any], token: str) -> dict[str, Any]:
    query = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in params.items() if v is not None)
    # Since November 2021 Microsoft's next links carry the /v1 prefix (/v1/customers?size=500&seekOperation=Next).
    path = path if path.startswith("/v1/") else f"/v1{path}"
    uri = f"{path}?{query}&seekOperation=Next" if query else f"{path}?seekOperation=Next"
    return link(uri, headers=[{"key": "MS-ContinuationToken", "value": token}])
