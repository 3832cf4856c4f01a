"""Typed results of the new-commerce lifecycle calls (transitions, promotions) and of the partner-level reads
(audit records, a reseller's MPA status). Frozen dataclasses built only by :mod:`partnercenter._parse`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

__all__ = [
    "AuditRecord",
    "MpaStatus",
    "ProductPromotion",
    "PromotionEligibility",
    "PromotionEligibilityItem",
    "PromotionEligibilityRequest",
    "PromotionError",
    "PromotionRequiredProduct",
    "SubscriptionTransitionEligibility",
    "Transition",
    "TransitionEligibility",
    "TransitionEligibilityError",
    "TransitionEvent",
    "TransitionTypeEligibility",
]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    operation_type: str | None
    operation_date: datetime | None = None
    operation_status: str | None = None
    resource_type: str | None = None
    customer_id: str | None = None
    customer_name: str | None = None
    user_principal_name: str | None = None
    application_id: str | None = None
    resource_new_value: str | None = None
    customized_data: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True, slots=True)
class MpaStatus:
    """A reseller's Microsoft Partner Agreement: ``agreement_status`` ``active`` (else Partner Center answers 403
    / 900123, raised as PermissionDeniedError)."""

    agreement_status: str | None
    mpn_id: str | None = None


@dataclass(frozen=True, slots=True)
class TransitionEligibilityError:
    code: int | None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class TransitionTypeEligibility:
    is_eligible: bool
    transition_type: str | None = None
    errors: tuple[TransitionEligibilityError, ...] = ()


@dataclass(frozen=True, slots=True)
class SubscriptionTransitionEligibility:
    """An existing subscription of the target SKU the seats could move into."""

    subscription_id: str
    is_eligible: bool
    friendly_name: str | None = None
    term_duration: str | None = None
    billing_cycle: str | None = None
    errors: tuple[TransitionEligibilityError, ...] = ()


@dataclass(frozen=True, slots=True)
class TransitionEligibility:
    catalog_item_id: str
    title: str | None = None
    description: str | None = None
    quantity: int | None = None
    eligibilities: tuple[TransitionTypeEligibility, ...] = ()
    subscription_eligibilities: tuple[SubscriptionTransitionEligibility, ...] = ()

    @property
    def is_eligible(self) -> bool:
        return any(e.is_eligible for e in self.eligibilities)


@dataclass(frozen=True, slots=True)
class TransitionEvent:
    name: str | None
    status: str | None
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class Transition:
    id: str | None
    to_catalog_item_id: str | None
    quantity: int | None = None
    from_catalog_item_id: str | None = None
    from_subscription_id: str | None = None
    to_subscription_id: str | None = None
    transition_type: str | None = None
    status: str | None = None
    events: tuple[TransitionEvent, ...] = ()

    @property
    def completed(self) -> bool:
        return (self.status or "").lower() in ("completed", "complete") or any(
            (e.status or "").lower() == "completed" for e in self.events
        )


@dataclass(frozen=True, slots=True)
class PromotionRequiredProduct:
    product_id: str | None
    sku_id: str | None
    term_duration: str | None = None
    billing_cycle: str | None = None
    percent_discount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ProductPromotion:
    id: str
    name: str | None = None
    description: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    is_auto_applicable: bool | None = None
    required_products: tuple[PromotionRequiredProduct, ...] = ()


@dataclass(frozen=True, slots=True)
class PromotionError:
    type: str | None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class PromotionEligibility:
    promotion_id: str | None
    is_eligible: bool
    errors: tuple[PromotionError, ...] = ()


@dataclass(frozen=True, slots=True)
class PromotionEligibilityItem:
    id: str | None
    catalog_item_id: str | None
    eligibilities: tuple[PromotionEligibility, ...] = ()


@dataclass(frozen=True, slots=True)
class PromotionEligibilityRequest:
    """One transaction to check against a promotion (``promotion_id`` None: every promotion that applies)."""

    catalog_item_id: str
    quantity: int
    term_duration: str
    billing_cycle: str
    promotion_id: str | None = None
