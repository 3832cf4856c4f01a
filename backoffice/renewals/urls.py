from django.urls import path

from backoffice.renewals import views

app_name = "renewals"

urlpatterns = [
    path("", views.planner, name="planner"),
    path("bulk/", views.planner_bulk, name="bulk"),
    path("subscriptions/<int:subscription_id>/", views.subscription_next_term, name="subscription_next_term"),
]
