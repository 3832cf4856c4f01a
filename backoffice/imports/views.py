"""BSS Setup > Tools > Import Office 365 Customers. Thin views: a form validates, a service acts."""

import csv
from collections.abc import Iterator

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backoffice.access import staff_required
from backoffice.imports.forms import PreviewStartForm, ResellerMapForm
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from reconciliation.imports import selectors
from reconciliation.imports.choices import Classification, Outcome, ResellerAction, RunStatus
from reconciliation.imports.models import ImportRun
from reconciliation.imports.services.report import import_report_rows
from reconciliation.imports.services.resellers import import_reseller_map
from reconciliation.imports.services.runs import (
    import_items_select,
    import_preview_retry,
    import_preview_start,
    import_run_resume,
    import_run_start,
)

PERMISSION = "imports.run_import"
ITEMS_PER_PAGE = 100


@staff_required(PERMISSION)
@require_http_methods(["GET", "POST"])
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PreviewStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = import_preview_start(
                actor=request.user, instance=form.cleaned_data["instance"], page_size=form.cleaned_data["page_size"]
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            return redirect("imports:run_detail", run_id=run.pk)
    runs = selectors.run_list()[:25]
    return render(request, "imports/home.html", {"form": form, "runs": runs})


def _progress(run: ImportRun) -> dict[str, object]:
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": run.get_status_display(),
        "active": run.is_active,
        "stage": run.stage,
        "percent": run.progress_percent,
        "pages_read": run.pages_read,
        "customers_found": run.customers_found,
        "customers_selected": run.customers_selected,
        "customers_done": run.customers_done,
        "created": run.created_count,
        "linked": run.linked_count,
        "skipped": run.skipped_count,
        "failed": run.failed_count,
        "subscriptions_created": run.subscriptions_created,
        "resellers_created": run.resellers_created,
        "error": run.error,
    }


@staff_required(PERMISSION)
@require_GET
def run_detail(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get(run_id=run_id)
    classification = request.GET.get("c", "")
    if classification not in Classification.values:
        classification = ""
    search = request.GET.get("q", "").strip()
    outcome = request.GET.get("o", "")
    if outcome not in Outcome.values:
        outcome = ""
    context: dict[str, object] = {
        "run": run,
        "progress": _progress(run),
        "classification": classification,
        "q": search,
        "o": outcome,
        "classifications": Classification.choices,
        "counts": selectors.run_classification_counts(run=run),
        "provider_marketplace": selectors.provider_marketplace_for(instance=run.instance),
        "is_ready": run.status == RunStatus.READY,
        "can_retry": run.status in (RunStatus.PREVIEW_FAILED, RunStatus.IMPORT_FAILED),
        "has_report": run.status in (RunStatus.IMPORTING, RunStatus.IMPORT_FAILED, RunStatus.COMPLETED),
    }
    if run.preview_finished_at or run.status == RunStatus.PREVIEWING:
        items = selectors.run_items(run=run, classification=classification, search=search)
        context["items_page"] = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
        resellers = selectors.run_resellers(run=run)
        context["resellers"] = [
            (
                r,
                ResellerMapForm(initial={"partner_id": r.partner_id, "reseller": r.reseller_id})
                if r.action != ResellerAction.MATCHED
                else None,
            )
            for r in resellers
        ]
    if context["has_report"]:
        counts = selectors.run_outcome_counts(run=run)
        context["outcome_counts"] = [(v, label, counts.get(v, 0)) for v, label in Outcome.choices if v]
        context["rows"] = selectors.run_rows(run=run, outcome=outcome)[:500]
    return render(request, "imports/run_detail.html", context)


@staff_required(PERMISSION)
@require_GET
def run_progress(request: AuthenticatedHttpRequest, run_id: int) -> JsonResponse:
    return JsonResponse(_progress(selectors.run_get(run_id=run_id)))


def _back(run: ImportRun, request: HttpRequest) -> HttpResponse:
    suffix = request.POST.get("return_query", "")
    response = redirect("imports:run_detail", run_id=run.pk)
    if suffix and suffix.startswith("?") and "\n" not in suffix and "\r" not in suffix:
        response["Location"] += suffix
    return response


@staff_required(PERMISSION)
@require_POST
def run_select(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get(run_id=run_id)
    action = request.POST.get("action", "")
    try:
        if action == "all":
            import_items_select(actor=request.user, run=run, selected=True)
        elif action == "none":
            import_items_select(actor=request.user, run=run, selected=False)
        elif action == "page":
            shown = {int(v) for v in request.POST.getlist("shown") if v.isdigit()}
            checked = {int(v) for v in request.POST.getlist("item") if v.isdigit()} & shown
            import_items_select(actor=request.user, run=run, selected=True, item_ids=checked)
            import_items_select(actor=request.user, run=run, selected=False, item_ids=shown - checked)
        else:
            messages.error(request, "Unknown selection action.")
            return _back(run, request)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Selection saved.")
    return _back(run, request)


@staff_required(PERMISSION)
@require_POST
def run_resellers_map(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get(run_id=run_id)
    form = ResellerMapForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a reseller from the list.")
        return _back(run, request)
    try:
        row = import_reseller_map(
            actor=request.user,
            run=run,
            partner_id=form.cleaned_data["partner_id"],
            reseller=form.cleaned_data["reseller"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    except run.resellers.model.DoesNotExist:
        messages.error(request, "This reseller is not part of the preview.")
    else:
        target = row.reseller or "a new light reseller"
        messages.success(request, f"Partner ID {row.partner_id} will be imported as {target}.")
    return _back(run, request)


@staff_required(PERMISSION)
@require_POST
def run_start(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get(run_id=run_id)
    try:
        import_run_start(actor=request.user, run=run)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("imports:run_detail", run_id=run.pk)


@staff_required(PERMISSION)
@require_POST
def run_retry(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get(run_id=run_id)
    try:
        if run.status == RunStatus.PREVIEW_FAILED:
            import_preview_retry(actor=request.user, run=run)
        else:
            import_run_resume(actor=request.user, run=run)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("imports:run_detail", run_id=run.pk)


class _Echo:
    def write(self, value: str) -> str:
        return value


@staff_required(PERMISSION)
@require_GET
def run_report_csv(request: AuthenticatedHttpRequest, run_id: int) -> StreamingHttpResponse:
    run = selectors.run_get(run_id=run_id)
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        for row in import_report_rows(run=run):
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-run-{run.pk}-report.csv"'
    return response
