"""What the caller's marketplace sells, with its sale prices (the same selector as the storefront)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.access import AuthenticatedRequest
from bss import selectors
from catalog.selectors import offer_list_for_marketplace


class PlanPriceSerializer(serializers.Serializer):
    term_duration = serializers.CharField()
    billing_cycle = serializers.CharField()
    currency = serializers.CharField()
    sale_price = serializers.DecimalField(max_digits=14, decimal_places=4)


class OfferSerializer(serializers.Serializer):
    offer_id = serializers.IntegerField()
    catalog_item_id = serializers.CharField(help_text="productId:skuId:availabilityId to order")
    product_id = serializers.CharField(source="product.product_id")
    sku_id = serializers.CharField(source="sku.sku_id")
    product_name = serializers.CharField(source="product.title")
    sku_name = serializers.CharField(source="sku.title")
    family = serializers.CharField(source="product.family")
    min_quantity = serializers.IntegerField(source="sku.min_quantity")
    max_quantity = serializers.IntegerField(source="sku.max_quantity", help_text="0 = no documented maximum")
    prices = PlanPriceSerializer(many=True)
    usage_based = serializers.BooleanField(
        help_text="Billed by usage (Azure plan): order quantity 1 with no term; the sale price shown is 0"
    )


class OfferListResponseSerializer(serializers.Serializer):
    marketplace = serializers.CharField()
    currency = serializers.CharField()
    offers = OfferSerializer(many=True)


class CatalogOffersView(APIView):
    @extend_schema(
        operation_id="catalog_offers_list",
        parameters=[OpenApiParameter("marketplace", str, description="Marketplace slug (provider staff only)")],
        responses={200: OfferListResponseSerializer},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        marketplace = selectors.marketplace_for_user(
            user=request.user, slug=request.query_params.get("marketplace", "")
        )
        offers = offer_list_for_marketplace(marketplace)
        return Response(
            OfferListResponseSerializer(
                {"marketplace": marketplace.slug, "currency": marketplace.currency, "offers": offers}
            ).data
        )
