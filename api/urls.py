from django.urls import path
from rest_framework.routers import DefaultRouter

from api import billing, catalog_views, commerce_views, money, renewals, upgrades, usage, views

router = DefaultRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("subscriptions", views.SubscriptionViewSet, basename="subscription")
router.register("orders", views.OrderViewSet, basename="order")
router.register("mca-acceptances", views.MCAAcceptanceViewSet, basename="mca-acceptance")
router.register("invoices", billing.InvoiceViewSet, basename="invoice")
router.register("credit-notes", billing.CreditNoteViewSet, basename="credit-note")
router.register("money/invoices", money.MicrosoftInvoiceViewSet, basename="money-invoice")

urlpatterns = [
    path("catalog/offers/", catalog_views.CatalogOffersView.as_view(), name="catalog-offers"),
    path("orders/place/", commerce_views.OrderPlaceView.as_view(), name="order-place"),
    path("mca-acceptances/record/", commerce_views.MCAAcceptanceRecordView.as_view(), name="mca-record"),
    path("operations/<int:pk>/", commerce_views.OperationDetailView.as_view(), name="operation-detail"),
    path("subscriptions/<int:pk>/change-quantity/", commerce_views.SubscriptionChangeQuantityView.as_view()),
    path("subscriptions/<int:pk>/suspend/", commerce_views.SubscriptionSuspendView.as_view()),
    path("subscriptions/<int:pk>/reactivate/", commerce_views.SubscriptionReactivateView.as_view()),
    path("subscriptions/<int:pk>/auto-renew/", commerce_views.SubscriptionAutoRenewView.as_view()),
    path("subscriptions/<int:pk>/cancel/", commerce_views.SubscriptionCancelView.as_view()),
    path("subscriptions/<int:pk>/upgrade/", upgrades.SubscriptionUpgradeView.as_view(), name="subscription-upgrade"),
    path("subscriptions/<int:pk>/next-term/", renewals.SubscriptionNextTermView.as_view(),
         name="subscription-next-term"),
    path("invoices/<int:pk>/pdf", billing.InvoicePdfView.as_view(), name="invoice-pdf"),
    path("credit-notes/<int:pk>/pdf", billing.CreditNotePdfView.as_view(), name="credit-note-pdf"),
    path("customers/<int:pk>/unbilled-charges/", billing.UnbilledChargesView.as_view(),
         name="customer-unbilled-charges"),
    path("customers/<int:pk>/azure-usage/", usage.AzureUsageView.as_view(), name="customer-azure-usage"),
    path("customers/<int:pk>/azure-budgets/", usage.AzureBudgetsView.as_view(), name="customer-azure-budgets"),
    path("customers/<int:pk>/azure-budgets/<int:budget_id>/", usage.AzureBudgetDetailView.as_view(),
         name="customer-azure-budget"),
    *router.urls,
]
