from django.urls import path

from backoffice.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.home, name="home"),
    path("runs/<int:run_id>/", views.run_detail, name="run_detail"),
    path("runs/<int:run_id>/progress.json", views.run_progress, name="run_progress"),
    path("runs/<int:run_id>/select/", views.run_select, name="run_select"),
    path("runs/<int:run_id>/resellers/", views.run_resellers_map, name="run_resellers_map"),
    path("runs/<int:run_id>/start/", views.run_start, name="run_start"),
    path("runs/<int:run_id>/retry/", views.run_retry, name="run_retry"),
    path("runs/<int:run_id>/report.csv", views.run_report_csv, name="run_report_csv"),
]
