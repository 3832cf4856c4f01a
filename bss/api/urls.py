from rest_framework.routers import DefaultRouter

from bss.api import views

router = DefaultRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("subscriptions", views.SubscriptionViewSet, basename="subscription")
router.register("orders", views.OrderViewSet, basename="order")
router.register("mca-acceptances", views.MCAAcceptanceViewSet, basename="mca-acceptance")

urlpatterns = router.urls
