from django.urls import path

from backoffice.gdap import actions, views

app_name = "gdap"

urlpatterns = [
    path("", views.gdap_list_view, name="list"),
    path("relationships.csv", views.gdap_csv_view, name="csv"),
    path("<int:relationship_id>/", actions.relationship_detail, name="detail"),
    path("<int:relationship_id>/extend/", actions.relationship_extend, name="extend"),
    path("<int:relationship_id>/terminate/", actions.relationship_terminate, name="terminate"),
    path("customers/<int:customer_id>/request/", actions.relationship_request, name="request"),
]
