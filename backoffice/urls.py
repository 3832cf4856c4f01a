from django.urls import path

from backoffice import views
from backoffice.cloud_services import views as cloud_services
from backoffice.customers import views as customers
from backoffice.orders import views as orders
from backoffice.resellers import views as resellers
from backoffice.subscriptions import lifecycle_views as subscription_lifecycle
from backoffice.subscriptions import views as subscriptions

app_name = "backoffice"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("setup/tools/", views.tools, name="tools"),
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/<int:customer_id>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:customer_id>/edit/", customers.customer_edit, name="customer_edit"),
    path("orders/", orders.order_list, name="order_list"),
    path("orders/<int:order_id>/", orders.order_detail, name="order_detail"),
    path("orders/<int:order_id>/cancel/", orders.order_cancel_view, name="order_cancel"),
    path(
        "orders/<int:order_id>/operations/<int:operation_id>/retry/",
        orders.order_operation_retry,
        name="order_operation_retry",
    ),
    path("subscriptions/", subscriptions.subscription_list, name="subscription_list"),
    path("subscriptions/<int:subscription_id>/", subscriptions.subscription_detail, name="subscription_detail"),
    path(
        "subscriptions/<int:subscription_id>/upgrade/",
        subscription_lifecycle.subscription_upgrade,
        name="subscription_upgrade",
    ),
    path("resellers/", resellers.reseller_list, name="reseller_list"),
    path("resellers/new/", resellers.reseller_onboard_view, name="reseller_onboard"),
    path("resellers/<int:reseller_id>/", resellers.reseller_detail, name="reseller_detail"),
    path("setup/cloud-services/", cloud_services.instance_list, name="cloud_services"),
    path("setup/cloud-services/new/", cloud_services.instance_create_view, name="cloud_services_create"),
    path("setup/cloud-services/<int:instance_id>/", cloud_services.instance_edit_view, name="cloud_services_edit"),
    path(
        "setup/cloud-services/<int:instance_id>/test/",
        cloud_services.instance_test_connection_view,
        name="cloud_services_test",
    ),
    path(
        "setup/marketplaces/<int:marketplace_id>/annual-billing/",
        cloud_services.marketplace_annual_billing_view,
        name="marketplace_annual_billing",
    ),
]
