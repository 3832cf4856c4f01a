from django.urls import path

from backoffice.billing import documents, reports, views

app_name = "billing"

urlpatterns = [
    path("", views.home, name="home"),
    path("issuers/", views.issuer_list, name="issuers"),
    path("issuers/<int:issuer_id>/", views.issuer_edit, name="issuer_edit"),
    path("tax-rules/", views.tax_rules, name="tax_rules"),
    path("tax-rules/<int:rule_id>/end/", views.tax_rule_end_view, name="tax_rule_end"),
    path("runs/", views.run_list, name="runs"),
    path("runs/<int:run_id>/", views.run_detail, name="run_detail"),
    path("runs/<int:run_id>/progress/", views.run_progress, name="run_progress"),
    path("runs/<int:run_id>/finalise/", views.run_finalise, name="run_finalise"),
    path("invoices/", documents.invoice_list, name="invoices"),
    path("invoices/<int:invoice_id>/", documents.invoice_detail, name="invoice_detail"),
    path("invoices/<int:invoice_id>/pdf/", documents.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:invoice_id>/credit-note/", documents.credit_note_create, name="credit_note_create"),
    path("credit-notes/", documents.credit_note_list, name="credit_notes"),
    path("credit-notes/<int:credit_note_id>/", documents.credit_note_detail, name="credit_note_detail"),
    path("credit-notes/<int:credit_note_id>/pdf/", documents.credit_note_pdf, name="credit_note_pdf"),
    path("unbilled/", documents.unbilled, name="unbilled"),
    path("accounting/", reports.accounting_export, name="accounting"),
    path("margin/", reports.margin, name="margin"),
]
