"""BSS Setup > Tools > Microsoft's bill: the invoices Microsoft sent each Partner Center instance (import status and
live progress), the reconciliation of each one (totals, variances by cause, drill-down reseller → customer →
subscription → line, filters, CSV/Excel), a chart of margin and leakage per month, and the unbilled preview of the
open month. Reads come from `reconciliation.money.selectors`/`reports`; actions are in `backoffice.money.actions`."""

from __future__ import annotations

from decimal import Decimal

from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render

from backoffice.access import staff_required
from backoffice.charts import Point, column_chart
from backoffice.exports import rows_export_response
from backoffice.lists import PAGE_SIZE
from backoffice.money.forms import MatchFilterForm, ReasonForm
from bss.http import AuthenticatedHttpRequest
from bss.models import PartnerCenterInstance
from reconciliation.money import reports, selectors
from reconciliation.money.choices import ImportStatus
from reconciliation.money.models import ChargeMatch, MicrosoftInvoice

VIEW = "money.view_microsoftinvoice"
IMPORT = "money.change_microsoftinvoice"
MATCH = "money.add_matchrun"
SETTLE = "money.change_chargematch"

EXPORT_HEADER = (
    "id", "outcome", "cause", "resolution", "reseller", "customer", "customer_tenant_id", "subscription",
    "pc_subscription_id", "charge_type", "charge_start", "charge_end", "quantity", "microsoft_amount", "our_cost",
    "our_revenue", "difference", "currency", "microsoft_invoice", "our_invoice", "reason",
)


def _instances() -> list[PartnerCenterInstance]:
    return list(PartnerCenterInstance.objects.filter(is_retired=False).order_by("name"))


def _instance(request: AuthenticatedHttpRequest, instances: list[PartnerCenterInstance]
              ) -> PartnerCenterInstance | None:
    wanted = request.GET.get("instance", "")
    return next((i for i in instances if str(i.pk) == wanted), instances[0] if instances else None)


def _positive(value: Decimal) -> Decimal:
    return value if value > 0 else Decimal(0)


def _trend_charts(instance: PartnerCenterInstance) -> tuple[object, object, list[reports.Month]]:
    """Margin and leakage per month, one column chart each (a loss shows as an empty column; the table has it)."""
    months = reports.monthly_trend(instance)
    margin = column_chart([Point(m.label, _positive(m.margin), title=f"{m.label}: margin {m.margin}")
                           for m in months], label="Margin per month (our revenue minus Microsoft's cost)")
    leakage = column_chart([Point(m.label, _positive(m.leakage), title=f"{m.label}: leakage {m.leakage}")
                            for m in months], label="Leakage found per month (charged by Microsoft, not invoiced)")
    return margin, leakage, months


@staff_required(VIEW)
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    instances = _instances()
    instance = _instance(request, instances)
    context: dict[str, object] = {"instances": instances, "instance": instance,
                                  "can_import": request.user.has_perm(IMPORT)}
    if instance is not None:
        invoices = list(selectors.invoices_of(instance))
        margin_chart, leakage_chart, months = _trend_charts(instance)
        running = [i for i in invoices if i.status in (ImportStatus.EXPORTING, ImportStatus.IMPORTING)]
        context.update(invoices=invoices, margin_chart=margin_chart, leakage_chart=leakage_chart, months=months,
                       running=running[0] if running else None)
    return render(request, "money/home.html", context)


def _row_values(m: ChargeMatch) -> tuple[object, ...]:
    customer = m.customer
    revenue = (m.invoice_line.amount if m.invoice_line is not None
               else -abs(m.credit_note_line.amount) if m.credit_note_line is not None else None)
    return (
        m.pk, m.get_outcome_display(), m.get_cause_display() if m.cause else "", m.get_resolution_display(),
        customer.reseller.name if customer else "", customer.company_name if customer else "",
        m.customer_tenant_id, m.subscription.name if m.subscription else "", m.pc_subscription_id, m.charge_type,
        m.charge_start, m.charge_end, m.quantity, m.microsoft_amount, m.our_amount, revenue, m.difference,
        m.currency, m.microsoft_line.invoice.invoice_id if m.microsoft_line else "",
        str(m.invoice_line.invoice) if m.invoice_line else "", m.reason,
    )


@staff_required(VIEW)
def invoice_detail(request: AuthenticatedHttpRequest, invoice_id: int
                   ) -> HttpResponse | StreamingHttpResponse | FileResponse:
    invoice = get_object_or_404(MicrosoftInvoice.objects.select_related("instance"), pk=invoice_id)
    form = MatchFilterForm(request.GET or None, invoice=invoice)
    filters = form.filters()
    lines = selectors.invoice_lines(invoice, filters)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        rows = (_row_values(m) for m in lines.select_related("microsoft_line__invoice", "invoice_line__invoice")
                .iterator(chunk_size=2000))
        return rows_export_response(fmt, f"reconciliation-{invoice.invoice_id}", EXPORT_HEADER, rows)
    level = form.drill_level()
    query = request.GET.copy()
    for name in ("format", "page"):
        query.pop(name, None)
    drill_query = query.copy()
    drill_query.pop("level", None)
    page = Paginator(lines, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "money/invoice.html", {
        "invoice": invoice, "form": form, "summary": selectors.invoice_summary(invoice),
        "filtered": selectors.invoice_summary(invoice, filters) if filters != selectors.MatchFilters() else None,
        "level": level, "groups": selectors.invoice_drill(invoice, level, filters) if level != "line" else [],
        "page": page, "query": query.urlencode(), "drill_query": drill_query.urlencode(),
        "progress": selectors.import_progress(invoice), "run": selectors.last_run(
            invoice.instance_id, invoice.year, invoice.month),
        "can_import": request.user.has_perm(IMPORT), "can_match": request.user.has_perm(MATCH),
        "can_settle": request.user.has_perm(SETTLE), "reason_form": ReasonForm(),
    })


@staff_required(VIEW)
def invoice_progress(request: AuthenticatedHttpRequest, invoice_id: int) -> JsonResponse:
    return JsonResponse(selectors.import_progress(get_object_or_404(MicrosoftInvoice, pk=invoice_id)))


@staff_required(VIEW)
def unbilled(request: AuthenticatedHttpRequest) -> HttpResponse:
    instances = _instances()
    instance = _instance(request, instances)
    preview = reports.unbilled_preview(instance) if instance is not None else None
    return render(request, "money/unbilled.html", {
        "instances": instances, "instance": instance, "preview": preview,
        "can_import": request.user.has_perm(IMPORT),
    })
