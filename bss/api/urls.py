from django.urls import path
from rest_framework.routers import DefaultRouter

from bss.api import catalog_views, views

router = DefaultRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("subscriptions", views.SubscriptionViewSet, basename="subscription")
router.register("orders", views.OrderViewSet, basename="order")
router.register("mca-acceptances", views.MCAAcceptanceViewSet, basename="mca-acceptance")

urlpatterns = [
    path("catalog/offers/", catalog_views.CatalogOffersView.as_view(), name="catalog-offers"),
    *router.urls,
]
