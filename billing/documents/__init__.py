"""Billing documents: invoices and credit notes as PDF, rendered server-side without any network access.

`document.InvoiceDocument` is the input, a plain typed value (no models: the integrator maps an Invoice or a
CreditNote to it); `pdf.render_pdf` turns it into the bytes of a PDF. Nothing here touches the database, so the
package imports only the standard library and ReportLab (in `pdf`, `fonts` and `layout`).
"""
