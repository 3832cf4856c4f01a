from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .. import _parse
from .._transport import Transport
from ..pagination import iter_items, iter_pages
from ..types import Availability, Product, Sku
from ._common import drop_none


class CatalogResource:
    """Products -> SKUs -> availabilities (``catalogItemId = productId:skuId:availabilityId``)."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list_products(self, *, country: str, target_view: str, target_segment: str | None = None) -> list[Product]:
        params = drop_none({"country": country, "targetView": target_view, "targetSegment": target_segment})
        return self._list("/v1/products", params, _parse.product, "products")

    def get_product(self, *, product_id: str, country: str) -> Product:
        data = self._t.request_json("GET", f"/v1/products/{quote(product_id)}", params={"country": country})
        return _parse.product(data)

    def list_skus(self, *, product_id: str, country: str, target_segment: str | None = None) -> list[Sku]:
        params = drop_none({"country": country, "targetSegment": target_segment})
        return self._list(f"/v1/products/{quote(product_id)}/skus", params, _parse.sku, "skus")

    def get_sku(self, *, product_id: str, sku_id: str, country: str) -> Sku:
        data = self._t.request_json(
            "GET", f"/v1/products/{quote(product_id)}/skus/{quote(sku_id)}", params={"country": country}
        )
        return _parse.sku(data)

    def list_availabilities(
        self, *, product_id: str, sku_id: str, country: str, target_segment: str | None = None
    ) -> list[Availability]:
        params = drop_none({"country": country, "targetSegment": target_segment})
        path = f"/v1/products/{quote(product_id)}/skus/{quote(sku_id)}/availabilities"
        return self._list(path, params, _parse.availability, "availabilities")

    def get_availability(self, *, product_id: str, sku_id: str, availability_id: str, country: str) -> Availability:
        path = f"/v1/products/{quote(product_id)}/skus/{quote(sku_id)}/availabilities/{quote(availability_id)}"
        return _parse.availability(self._t.request_json("GET", path, params={"country": country}))

    def _list(self, path: str, params: dict[str, Any], parser: Any, what: str) -> list[Any]:
        return list(iter_items(iter_pages(self._t, path, params=params, parser=parser, what=what)))
