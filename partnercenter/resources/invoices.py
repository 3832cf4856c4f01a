"""Invoices on Partner Center REST v1 (billing facts sheet §1): the list (App or App+User), one invoice and the
per-currency summaries (App+User only), and the invoice PDF."""

from __future__ import annotations

import builtins
from urllib.parse import quote

from .. import _parse
from .._transport import Transport
from ..billing_types import Invoice, InvoiceSummary
from ..pagination import iter_items, iter_pages


class InvoicesResource:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self) -> builtins.list[Invoice]:
        """Every invoice, newest first as Partner Center sends them (``size``/``offset`` paging only applies
        to legacy invoices; links are followed if present)."""
        pages = iter_pages(self._t, "/v1/invoices", params=None, parser=_parse.invoice, what="invoices",
                           auth="user_preferred")
        return builtins.list(iter_items(pages))

    def get(self, invoice_id: str) -> Invoice:
        """One invoice with its ``pdf_download_link`` (App+User only)."""
        return _parse.invoice(self._t.request_json("GET", f"/v1/invoices/{quote(invoice_id)}", auth="user",
                                                   operation="get invoice"))

    def summaries(self) -> builtins.list[InvoiceSummary]:
        """One summary per billing currency: the unpaid balance and the latest invoice (App+User only)."""
        pages = iter_pages(self._t, "/v1/invoices/summaries", params=None, parser=_parse.invoice_summary,
                           what="invoice summaries", auth="user")
        return builtins.list(iter_items(pages))

    def statement_pdf(self, invoice_id: str) -> bytes:
        """The invoice PDF (App+User only)."""
        response = self._t.request("GET", f"/v1/invoices/{quote(invoice_id)}/documents/statement", auth="user",
                                   headers={"Accept": "application/pdf"}, operation="get invoice statement")
        return response.content
