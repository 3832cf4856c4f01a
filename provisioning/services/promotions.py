"""Promotions on an order: Partner Center's `promotionEligibilities` checked for every line that names a
promotion, before the order is placed. An eligible line is priced at the promotional price (the marketplace's
price less the promotion's discount), keeps the price without it and the promotion's end date; the cart line
then carries the promotion id to Partner Center. An ineligible promotion refuses the order with Microsoft's
reasons (remove the promotion, or change the line as the reason says)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence

from bss.choices import RelationshipStatus
from bss.exceptions import ApplicationError
from bss.inputs import OrderLineInput
from bss.models import Customer, Marketplace, MicrosoftTenant
from bss.partner_center import get_client, pc_error_message
from catalog import lifecycle as catalog_lifecycle
from partnercenter import errors as pc_errors
from partnercenter.lifecycle_types import PromotionEligibilityRequest


class PromotionNotEligible(ApplicationError):
    code = "promotion_not_eligible"


def _tenant(customer: Customer | None, marketplace: Marketplace) -> MicrosoftTenant | None:
    if customer is None or not customer.pk:
        return None
    return (
        MicrosoftTenant.objects.filter(customer=customer, instance=marketplace.instance,
                                       relationship_status=RelationshipStatus.ACTIVE)
        .exclude(pc_customer_id=None).exclude(pc_customer_id="").order_by("id").first()
    )


def lines_with_promotions(
    *, marketplace: Marketplace, customer: Customer | None, lines: Sequence[OrderLineInput]
) -> list[OrderLineInput]:
    """The order's lines with each named promotion confirmed by Partner Center and priced; lines without a
    promotion unchanged. Raises PromotionNotEligible with Microsoft's reasons."""
    wanted = [line for line in lines if line.promotion_id]
    if not wanted:
        return list(lines)
    tenant = _tenant(customer, marketplace)
    if tenant is None or not tenant.pc_customer_id:
        raise PromotionNotEligible(
            "Promotions can be checked only for a customer whose Microsoft tenant is set up: order without the "
            "promotion, or order for an existing customer.",
            code="promotion_needs_tenant",
        )
    promotions = {}
    for line in wanted:
        promo = catalog_lifecycle.promotion_for_plan(
            marketplace=marketplace, promotion_id=line.promotion_id, pc_product_id=line.pc_product_id,
            pc_sku_id=line.pc_sku_id, term_duration=line.term_duration, billing_cycle=line.billing_cycle,
        )
        if promo is None:
            raise PromotionNotEligible(
                f"{line.product_name}: the promotion {line.promotion_id} is not running for this term and billing "
                "cycle.", code="promotion_not_offered",
            )
        promotions[line.promotion_id] = promo
    requests = [
        PromotionEligibilityRequest(
            catalog_item_id=line.catalog_item_id, quantity=line.quantity, term_duration=line.term_duration,
            billing_cycle=line.billing_cycle, promotion_id=line.promotion_id,
        )
        for line in wanted
    ]
    try:
        answers = get_client(marketplace.instance).promotions.check_eligibility(
            customer_id=tenant.pc_customer_id, items=requests, request_id=str(uuid.uuid4())
        )
    except pc_errors.PartnerCenterError as exc:
        raise PromotionNotEligible(
            f"Partner Center could not check the promotion: {pc_error_message(exc)}", code="promotion_unchecked"
        ) from exc
    by_index = {str(answer.id): answer for answer in answers}
    confirmed: dict[int, OrderLineInput] = {}
    for index, line in enumerate(wanted):
        answer = by_index.get(str(index))
        verdict = next(
            (e for e in (answer.eligibilities if answer else ()) if (e.promotion_id or "").lower()
             == line.promotion_id.lower()),
            None,
        )
        if verdict is None or not verdict.is_eligible:
            reasons = "; ".join(e.description or e.type or "" for e in (verdict.errors if verdict else ())) or (
                "Partner Center did not confirm it"
            )
            raise PromotionNotEligible(
                f"{line.product_name}: the customer is not eligible for the promotion {line.promotion_id} "
                f"({reasons}). Remove the promotion from the line to order at the normal price.",
                extra={"promotion_id": line.promotion_id, "product": line.product_name},
            )
        promo = promotions[line.promotion_id]
        confirmed[id(line)] = dataclasses.replace(
            line,
            unit_price=promo.promotional_price(line.unit_price),
            regular_unit_price=line.unit_price,
            promotion_ends_on=promo.end_date,
        )
    return [confirmed.get(id(line), line) for line in lines]
