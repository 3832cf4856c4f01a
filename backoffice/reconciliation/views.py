"""BSS Setup > Tools > Subscriptions Validation/Reconciliation (back office, provider staff with this app's
permissions; everyone else gets 404 and nothing changes). Views validate, call one service, render."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from backoffice.access import staff_required
from backoffice.reconciliation.forms import BulkActionForm, FindingActionForm, FindingFilterForm, RunStartForm
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from bss.models import AuditEvent, Subscription
from reconciliation import selectors
from reconciliation.choices import (
    ACTIONS_BY_KIND,
    AUTO_APPLICABLE_KINDS,
    CorrectiveAction,
    FindingKind,
    FindingStatus,
)
from reconciliation.models import ReconciliationRun
from reconciliation.services.actions import BULK_LIMIT, finding_apply, findings_bulk_apply
from reconciliation.services.auto_apply import auto_apply_policy_set
from reconciliation.services.runs import reconciliation_run_cancel, reconciliation_run_start

VIEW_PERMISSION = "reconciliation.view_reconciliationrun"
RUN_PERMISSION = "reconciliation.run_reconciliation"
APPLY_PERMISSION = "reconciliation.apply_corrective_action"
POLICY_PERMISSION = "reconciliation.change_autoapplypolicy"


@staff_required(VIEW_PERMISSION)
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    runs = selectors.run_list(user=request.user)[:25]
    open_counts = dict(
        selectors.finding_list(user=request.user)
        .filter(status=FindingStatus.OPEN)
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    policies = selectors.auto_apply_policies()
    context = {
        "runs": runs,
        "form": RunStartForm(),
        "open_counts": [(kind, label, open_counts.get(kind, 0)) for kind, label in FindingKind.choices],
        "policies": [(kind, FindingKind(kind).label, policies.get(kind, False)) for kind in AUTO_APPLICABLE_KINDS],
        "can_run": request.user.has_perm(RUN_PERMISSION),
        "can_edit_policies": request.user.has_perm(POLICY_PERMISSION),
    }
    return render(request, "reconciliation/home.html", context)


@require_POST
@staff_required(RUN_PERMISSION)
def run_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = RunStartForm(request.POST)
    if form.is_valid():
        try:
            run = reconciliation_run_start(actor=request.user, **form.service_kwargs())
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Run #{run.pk} started over {run.customers_total} customer tenant(s).")
            return redirect("reconciliation:run_detail", run_id=run.pk)
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("reconciliation:home")


def _progress(run: ReconciliationRun) -> dict[str, object]:
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": run.get_status_display(),
        "active": run.is_active,
        "cancel_requested": run.cancel_requested,
        "customers_total": run.customers_total,
        "customers_finished": run.customers_finished,
        "customers_done": run.customers_done,
        "customers_failed": run.customers_failed,
        "customers_cancelled": run.customers_cancelled,
        "findings": run.findings_count,
        "pending": run.pending_count,
        "auto_applied": run.auto_applied_count,
        "percent": run.percent,
    }


@staff_required(VIEW_PERMISSION)
def run_detail(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get(user=request.user, run_id=run_id)
    by_kind = dict(run.findings.values_list("kind").annotate(n=Count("id")).order_by())
    context = {
        "run": run,
        "progress": _progress(run),
        "by_kind": [(kind, label, by_kind[kind]) for kind, label in FindingKind.choices if by_kind.get(kind)],
        "problem_checks": selectors.run_checks_unfinished(run=run).filter(status="failed")[:100],
        "can_run": request.user.has_perm(RUN_PERMISSION),
    }
    return render(request, "reconciliation/run_detail.html", context)


@staff_required(VIEW_PERMISSION)
def run_progress(request: AuthenticatedHttpRequest, run_id: int) -> JsonResponse:
    run = selectors.run_get(user=request.user, run_id=run_id)
    return JsonResponse(_progress(run))


@require_POST
@staff_required(RUN_PERMISSION)
def run_cancel(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get(user=request.user, run_id=run_id)
    try:
        reconciliation_run_cancel(actor=request.user, run=run)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Run #{run.pk} is being cancelled.")
    return redirect("reconciliation:run_detail", run_id=run.pk)


@staff_required(VIEW_PERMISSION)
def finding_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = FindingStatus.OPEN
    filters = FindingFilterForm(data)
    q = selectors.finding_filter_q(**filters.selector_kwargs())
    findings = selectors.finding_list(user=request.user, filters=q)
    page = Paginator(findings, 100).get_page(request.GET.get("page"))
    query = {k: v for k, v in data.items() if k != "page" and v}
    context = {
        "filters": filters,
        "page": page,
        "query": urlencode(query),
        "bulk_form": BulkActionForm(),
        "can_apply": request.user.has_perm(APPLY_PERMISSION),
    }
    return render(request, "reconciliation/finding_list.html", context)


@require_POST
@staff_required(APPLY_PERMISSION)
def findings_bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = FindingFilterForm(request.GET)
    back = f"{reverse('reconciliation:finding_list')}?{request.GET.urlencode()}"
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(back)
    visible = selectors.finding_list(user=request.user)
    if form.cleaned_data["target"] == BulkActionForm.MATCHING:
        kwargs = {**filters.selector_kwargs(), "status": FindingStatus.OPEN}
        ids = visible.filter(selectors.finding_filter_q(**kwargs)).values_list("pk", flat=True)
    else:
        ids = visible.filter(pk__in=form.cleaned_data["ids"]).values_list("pk", flat=True)
    try:
        result = findings_bulk_apply(
            actor=request.user,
            finding_ids=list(ids[: BULK_LIMIT + 1]),
            action=form.cleaned_data["action"],
            reason=form.cleaned_data["reason"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    label = CorrectiveAction(form.cleaned_data["action"]).label
    messages.success(request, f"{label}: applied to {len(result.applied)} finding(s).")
    if result.skipped:
        shown = "; ".join(f"#{fid}: {why}" for fid, why in result.skipped[:10])
        more = f" (and {len(result.skipped) - 10} more)" if len(result.skipped) > 10 else ""
        messages.warning(request, f"Skipped {len(result.skipped)}: {shown}{more}")
    return redirect(back)


@staff_required(VIEW_PERMISSION)
def finding_detail(request: AuthenticatedHttpRequest, finding_id: int) -> HttpResponse:
    finding = selectors.finding_get(user=request.user, finding_id=finding_id)
    fields = sorted(set(finding.bss_values) | set(finding.pc_values))
    comparison = [(name, finding.bss_values.get(name, "—"), finding.pc_values.get(name, "—")) for name in fields]
    link_candidates = (
        Subscription.objects.filter(tenant=finding.tenant).order_by("name")
        if finding.kind == FindingKind.MISSING_IN_BSS
        else Subscription.objects.none()
    )
    context = {
        "finding": finding,
        "comparison": comparison,
        "actions": [(a, CorrectiveAction(a).label) for a in ACTIONS_BY_KIND.get(finding.kind, ())],
        "link_candidates": link_candidates,
        "form": FindingActionForm(),
        "can_apply": request.user.has_perm(APPLY_PERMISSION),
        "history": AuditEvent.objects.filter(object_type=finding._meta.label, object_id=str(finding.pk))[:50],
    }
    return render(request, "reconciliation/finding_detail.html", context)


@require_POST
@staff_required(APPLY_PERMISSION)
def finding_action(request: AuthenticatedHttpRequest, finding_id: int) -> HttpResponse:
    finding = selectors.finding_get(user=request.user, finding_id=finding_id)
    form = FindingActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("reconciliation:finding_detail", finding_id=finding.pk)
    target = None
    if form.cleaned_data["subscription"]:
        target = Subscription.objects.filter(pk=form.cleaned_data["subscription"], tenant=finding.tenant).first()
    try:
        finding_apply(
            actor=request.user,
            finding=finding,
            action=form.cleaned_data["action"],
            reason=form.cleaned_data["reason"],
            subscription=target,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{CorrectiveAction(form.cleaned_data['action']).label}: done.")
    return redirect("reconciliation:finding_detail", finding_id=finding.pk)


@require_POST
@staff_required(POLICY_PERMISSION)
def policies_update(request: AuthenticatedHttpRequest) -> HttpResponse:
    current = selectors.auto_apply_policies()
    for kind in AUTO_APPLICABLE_KINDS:
        wanted = request.POST.get(f"auto_{kind}") == "on"
        if wanted != current.get(kind, False):
            auto_apply_policy_set(actor=request.user, kind=kind, enabled=wanted)
    messages.success(request, "Auto-apply policies saved.")
    return redirect("reconciliation:home")
