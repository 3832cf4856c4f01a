from django.urls import path

from storefront.workspace import lifecycle_views, renewal_views, views

app_name = "workspace"

urlpatterns = [
    path("", views.workspace_list, name="list"),
    path("renewals/", views.renewal_list, name="renewals"),
    path("renewals/planner/", renewal_views.renewal_planner, name="renewal_planner"),
    path("renewals/planner/bulk/", renewal_views.renewal_planner_bulk, name="renewal_planner_bulk"),
    path("customers/<int:customer_id>/", views.workspace_panel, name="panel"),
    path("tenants/<int:tenant_id>/portal/<str:portal>/", views.tenant_portal, name="tenant_portal"),
    path("subscriptions/<int:subscription_id>/", views.subscription_detail, name="subscription"),
    path("subscriptions/<int:subscription_id>/upgrade/", lifecycle_views.subscription_upgrade, name="upgrade"),
    path("subscriptions/<int:subscription_id>/add-ons/", lifecycle_views.subscription_addons, name="addons"),
    path("subscriptions/<int:subscription_id>/renewal/", renewal_views.subscription_renewal, name="renewal"),
    path(
        "subscriptions/<int:subscription_id>/<str:action>/",
        views.subscription_action,
        name="subscription_action",
    ),
]
