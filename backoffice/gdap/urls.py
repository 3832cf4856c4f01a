from django.urls import path

from backoffice.gdap import views

app_name = "gdap"

urlpatterns = [
    path("", views.gdap_list_view, name="list"),
    path("relationships.csv", views.gdap_csv_view, name="csv"),
]
