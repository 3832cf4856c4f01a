from __future__ import annotations

import builtins
from collections.abc import Sequence
from urllib.parse import quote

from .. import _parse
from .._transport import Transport
from ..lifecycle_types import ProductPromotion, PromotionEligibilityItem, PromotionEligibilityRequest
from ..pagination import iter_items, iter_pages


class PromotionsResource:
    """New-commerce product promotions and whether a customer's transaction qualifies."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self, *, country: str, segment: str = "commercial") -> builtins.list[ProductPromotion]:
        pages = iter_pages(
            self._t,
            "/v1/productPromotions",
            params={"country": country, "segment": segment},
            parser=_parse.product_promotion,
            what="product promotions",
        )
        return list(iter_items(pages))

    def get(self, *, promotion_id: str, country: str) -> ProductPromotion:
        data = self._t.request_json(
            "GET", f"/v1/productPromotions/{quote(promotion_id)}", params={"country": country}
        )
        return _parse.product_promotion(data)

    def check_eligibility(
        self, *, customer_id: str, items: Sequence[PromotionEligibilityRequest], request_id: str
    ) -> builtins.list[PromotionEligibilityItem]:
        body = {
            "items": [
                {
                    "id": index,
                    "catalogItemId": item.catalog_item_id,
                    "quantity": item.quantity,
                    "termDuration": item.term_duration,
                    "billingCycle": item.billing_cycle,
                    **({"promotionId": item.promotion_id} if item.promotion_id else {}),
                }
                for index, item in enumerate(items)
            ]
        }
        data = self._t.request_json(
            "POST",
            f"/v1/customers/{quote(customer_id)}/promotionEligibilities",
            json_body=body,
            request_id=request_id,
            operation="check promotion eligibility",
        )
        page = _parse.page(data, _parse.promotion_eligibility_item, "promotion eligibilities")
        return list(page.items)
