from django.urls import path

from storefront.workspace import usage_views

app_name = "workspace_usage"

urlpatterns = [
    path("customers/<int:customer_id>/", usage_views.usage_page, name="usage"),
    path("customers/<int:customer_id>/export.csv", usage_views.usage_export, name="export"),
    path("customers/<int:customer_id>/budgets/", usage_views.budget_save, name="budget_save"),
    path("customers/<int:customer_id>/budgets/<int:budget_id>/delete/", usage_views.budget_remove,
         name="budget_delete"),
]
