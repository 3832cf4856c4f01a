from django.urls import path

from backoffice.tier2 import views

app_name = "backoffice_tier2"

urlpatterns = [
    path("resellers/<int:reseller_id>/wholesale/", views.wholesale, name="wholesale"),
]
