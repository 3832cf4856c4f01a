from django.urls import path

from storefront.workspace import views

app_name = "workspace"

urlpatterns = [
    path("", views.workspace_list, name="list"),
    path("renewals/", views.renewal_list, name="renewals"),
    path("customers/<int:customer_id>/", views.workspace_panel, name="panel"),
    path("tenants/<int:tenant_id>/portal/<str:portal>/", views.tenant_portal, name="tenant_portal"),
    path("subscriptions/<int:subscription_id>/", views.subscription_detail, name="subscription"),
    path(
        "subscriptions/<int:subscription_id>/<str:action>/",
        views.subscription_action,
        name="subscription_action",
    ),
]
