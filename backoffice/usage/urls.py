from django.urls import path

from backoffice.usage import views

app_name = "usage"

urlpatterns = [
    path("", views.home, name="home"),
    path("check/", views.check, name="check"),
    path("instances/<int:instance_id>/import/", views.instance_import, name="instance_import"),
    path("customers/<int:customer_id>/", views.customer, name="customer"),
    path("customers/<int:customer_id>/export.csv", views.customer_export, name="export"),
    path("customers/<int:customer_id>/budgets/", views.budget_save, name="budget_save"),
    path("customers/<int:customer_id>/budgets/<int:budget_id>/delete/", views.budget_remove, name="budget_delete"),
]
