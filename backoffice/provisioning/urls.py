from django.urls import path

from backoffice.provisioning import views

app_name = "provisioning"

urlpatterns = [
    path("operations/", views.operation_list_view, name="operation_list"),
    path("operations/<int:operation_id>/", views.operation_detail_view, name="operation_detail"),
    path("operations/<int:operation_id>/retry/", views.operation_retry_view, name="operation_retry"),
    path("mca-log/", views.mca_log_view, name="mca_log"),
    path("mca-log.csv", views.mca_log_csv_view, name="mca_log_csv"),
]
