from django.urls import path

from backoffice.money import actions, views

app_name = "money"

urlpatterns = [
    path("", views.home, name="home"),
    path("unbilled/", views.unbilled, name="unbilled"),
    path("instances/<int:instance_id>/import/", actions.instance_import, name="instance_import"),
    path("instances/<int:instance_id>/unbilled/", actions.instance_unbilled, name="instance_unbilled"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:invoice_id>/progress/", views.invoice_progress, name="invoice_progress"),
    path("invoices/<int:invoice_id>/import/", actions.invoice_import, name="invoice_import"),
    path("invoices/<int:invoice_id>/match/", actions.invoice_match, name="invoice_match"),
    path("findings/<int:match_id>/accept/", actions.finding_accept_view, name="finding_accept"),
    path("findings/<int:match_id>/bill/", actions.finding_bill_view, name="finding_bill"),
]
