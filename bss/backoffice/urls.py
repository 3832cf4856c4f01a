from django.urls import path

from bss.backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("setup/tools/", views.tools, name="tools"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer_detail"),
    path("resellers/", views.reseller_list, name="reseller_list"),
]
