"""BSS Setup > Tools > Billing: the accounting export (one row per invoice line with its revenue account) and the
margin report (revenue, cost, margin by customer, reseller, product family or month, with an SVG chart)."""

from __future__ import annotations

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from backoffice.access import staff_required
from backoffice.billing.chart import margin_chart
from backoffice.billing.forms import MarginForm, ReportForm, default_span
from backoffice.billing.views import EXPORT_ACCOUNTING, VIEW_MARGIN
from backoffice.exports import rows_export_response
from billing.reports import ACCOUNTING_HEADER, DIMENSIONS, accounting_rows, margin_report, revenue_accounts, totals
from bss.http import AuthenticatedHttpRequest


def _span(form: ReportForm) -> tuple[tuple[int, int], tuple[int, int], int | None]:
    start, end = default_span()
    issuer_id = None
    if form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
        issuer = form.cleaned_data["issuer"]
        issuer_id = issuer.pk if issuer else None
    return start, end, issuer_id


@staff_required(EXPORT_ACCOUNTING)
def accounting_export(request: AuthenticatedHttpRequest) -> HttpResponse | StreamingHttpResponse | FileResponse:
    form = ReportForm(request.GET or None)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx") and form.is_valid():
        start, end, issuer_id = _span(form)
        name = f"accounting-{start[0]}-{start[1]:02d}-to-{end[0]}-{end[1]:02d}"
        rows = accounting_rows(start=start, end=end, issuer_id=issuer_id)
        return rows_export_response(fmt, name, ACCOUNTING_HEADER, rows)
    accounts = [(*key.split("|", 1), account) for key, account in sorted(revenue_accounts().items())]
    return render(request, "billing/accounting.html", {"form": form, "header": ACCOUNTING_HEADER, "accounts": accounts})


@staff_required(VIEW_MARGIN)
def margin(request: AuthenticatedHttpRequest) -> HttpResponse | StreamingHttpResponse | FileResponse:
    form = MarginForm(request.GET or None)
    start, end, issuer_id = _span(form)
    dimension = (form.cleaned_data.get("dimension") if form.is_valid() else "") or "customer"
    rows = margin_report(dimension=dimension, start=start, end=end, issuer_id=issuer_id)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        return rows_export_response(
            fmt, f"margin-by-{dimension}", (DIMENSIONS[dimension], "currency", "revenue", "cost", "margin",
                                            "margin_percent", "lines_without_cost"),
            ((r.key, r.currency, r.revenue, r.cost, r.margin, r.margin_percent, r.cost_unknown) for r in rows),
        )
    query = request.GET.copy()
    query.pop("format", None)
    return render(request, "billing/margin.html", {
        "form": form, "rows": rows, "totals": totals(rows).values(), "dimension": DIMENSIONS[dimension],
        "chart": margin_chart(rows), "start": f"{start[0]}-{start[1]:02d}", "end": f"{end[0]}-{end[1]:02d}",
        "query": query.urlencode(),
    })
