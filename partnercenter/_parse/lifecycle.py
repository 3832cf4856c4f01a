"""JSON -> :mod:`partnercenter.lifecycle_types` (transitions, promotions, audit records, MPA status)."""

from __future__ import annotations

from typing import Any

from ..lifecycle_types import (
    AuditRecord,
    MpaStatus,
    ProductPromotion,
    PromotionEligibility,
    PromotionEligibilityItem,
    PromotionError,
    PromotionRequiredProduct,
    SubscriptionTransitionEligibility,
    Transition,
    TransitionEligibility,
    TransitionEligibilityError,
    TransitionEvent,
    TransitionTypeEligibility,
)
from .base import JsonObject, root


def _errors(o: JsonObject) -> tuple[TransitionEligibilityError, ...]:
    return tuple(TransitionEligibilityError(code=e.int("code"), description=e.str("description"))
                 for e in o.objs("errors"))


def transition_eligibility(data: Any) -> TransitionEligibility:
    o = root(data, "transition eligibility")
    return TransitionEligibility(
        catalog_item_id=o.req_str("catalogItemId", "transition eligibility"),
        title=o.str("title"),
        description=o.str("description"),
        quantity=o.int("quantity"),
        eligibilities=tuple(
            TransitionTypeEligibility(is_eligible=bool(e.bool("isEligible")), transition_type=e.str("transitionType"),
                                      errors=_errors(e))
            for e in o.objs("eligibilities")
        ),
        subscription_eligibilities=tuple(
            SubscriptionTransitionEligibility(
                subscription_id=s.req_str("subscriptionId", "subscription eligibility"),
                is_eligible=bool(s.bool("isEligible")),
                friendly_name=s.str("subscriptionFriendlyName"),
                term_duration=s.str("subscriptionTermDuration") or None,
                billing_cycle=s.str("subscriptionBillingCycle"),
                errors=_errors(s),
            )
            for s in o.objs("subscriptionEligibilities")
        ),
    )


def transition(data: Any) -> Transition:
    o = root(data, "transition")
    return Transition(
        id=o.str("id"),
        to_catalog_item_id=o.str("toCatalogItemId"),
        quantity=o.int("quantity"),
        from_catalog_item_id=o.str("fromCatalogItemId"),
        from_subscription_id=o.str("fromSubscriptionId"),
        to_subscription_id=o.str("toSubscriptionId"),
        transition_type=o.str("transitionType"),
        status=o.str("status"),
        events=tuple(TransitionEvent(name=e.str("name"), status=e.str("status"), timestamp=e.datetime("timestamp"))
                     for e in o.objs("events")),
    )


def product_promotion(data: Any) -> ProductPromotion:
    o = root(data, "product promotion")
    properties = o.obj("properties")
    required = []
    for product in o.objs("requiredProducts"):
        term = product.obj("term")
        percent = None
        for policy in product.objs("pricingPolicies"):
            if (policy.str("policyType") or "").lower() == "percentdiscount":
                percent = policy.decimal("value")
        required.append(PromotionRequiredProduct(
            product_id=product.str("productId"), sku_id=product.str("skuId"),
            term_duration=term.str("duration") if term else None,
            billing_cycle=term.str("billingCycle") if term else None, percent_discount=percent,
        ))
    return ProductPromotion(
        id=o.req_str("id", "product promotion"),
        name=o.str("name"),
        description=o.str("description"),
        start_date=o.datetime("startDate"),
        end_date=o.datetime("endDate"),
        is_auto_applicable=properties.bool("isAutoApplicable") if properties else None,
        required_products=tuple(required),
    )


def promotion_eligibility_item(data: Any) -> PromotionEligibilityItem:
    o = root(data, "promotion eligibility")
    raw_id = o.get("id")
    return PromotionEligibilityItem(
        id=None if raw_id is None else str(raw_id),
        catalog_item_id=o.str("catalogItemId"),
        eligibilities=tuple(
            PromotionEligibility(
                promotion_id=e.str("promotionId"),
                is_eligible=bool(e.bool("isEligible")),
                errors=tuple(PromotionError(type=x.str("type"), description=x.str("description"))
                             for x in e.objs("errors")),
            )
            for e in o.objs("eligibilities")
        ),
    )


def audit_record(data: Any) -> AuditRecord:
    o = root(data, "audit record")
    return AuditRecord(
        operation_type=o.str("operationType"),
        operation_date=o.datetime("operationDate"),
        operation_status=o.str("operationStatus"),
        resource_type=o.str("resourceType"),
        customer_id=o.str("customerId"),
        customer_name=o.str("customerName"),
        user_principal_name=o.str("userPrincipalName"),
        application_id=o.str("applicationId"),
        resource_new_value=o.str("resourceNewValue"),
        customized_data=tuple((d.str("key") or "", d.str("value")) for d in o.objs("customizedData")),
    )


def mpa_status(data: Any) -> MpaStatus:
    o = root(data, "agreement status")
    return MpaStatus(agreement_status=o.str("agreementStatus"), mpn_id=o.str("mpnId"))
