from django.urls import path

from backoffice.reconciliation import views

app_name = "reconciliation"

urlpatterns = [
    path("", views.home, name="home"),
    path("runs/", views.run_start, name="run_start"),
    path("runs/<int:run_id>/", views.run_detail, name="run_detail"),
    path("runs/<int:run_id>/progress.json", views.run_progress, name="run_progress"),
    path("runs/<int:run_id>/cancel/", views.run_cancel, name="run_cancel"),
    path("findings/", views.finding_list, name="finding_list"),
    path("findings/bulk/", views.findings_bulk, name="findings_bulk"),
    path("findings/<int:finding_id>/", views.finding_detail, name="finding_detail"),
    path("findings/<int:finding_id>/action/", views.finding_action, name="finding_action"),
    path("policies/", views.policies_update, name="policies_update"),
]
