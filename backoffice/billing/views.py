"""BSS Setup > Tools > Billing: issuers (settings, billing day), tax rules, invoice runs (preview, finalise, progress).

Staff only, gated per page by the billing permissions; every change goes through `billing.services`, whose refusal
is shown as it is."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from backoffice.access import staff_required
from backoffice.billing.forms import IssuerForm, RunForm, TaxRuleEndForm, TaxRuleForm
from billing import selectors
from billing.models import Invoice, InvoiceRun, Issuer, TaxRule
from billing.services.runs import invoice_run_create
from billing.services.setup import issuer_update, tax_rule_create, tax_rule_end
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest

VIEW_INVOICE = "billing.view_invoice"
VIEW_ISSUER = "billing.view_issuer"
CHANGE_ISSUER = "billing.change_issuer"
VIEW_TAX_RULE = "billing.view_taxrule"
ADD_TAX_RULE = "billing.add_taxrule"
CHANGE_TAX_RULE = "billing.change_taxrule"
VIEW_RUN = "billing.view_invoicerun"
ADD_RUN = "billing.add_invoicerun"
VIEW_CREDIT_NOTE = "billing.view_creditnote"
ADD_CREDIT_NOTE = "billing.add_creditnote"
EXPORT_ACCOUNTING = "billing.export_accounting"
VIEW_MARGIN = "billing.view_margin_report"


@staff_required(VIEW_INVOICE)
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    perms = {name: request.user.has_perm(perm) for name, perm in (
        ("issuers", VIEW_ISSUER), ("tax_rules", VIEW_TAX_RULE), ("runs", VIEW_RUN), ("credit_notes", VIEW_CREDIT_NOTE),
        ("accounting", EXPORT_ACCOUNTING), ("margin", VIEW_MARGIN),
    )}
    return render(request, "billing/home.html", {
        "perms_billing": perms,
        "runs": selectors.run_list(limit=5) if perms["runs"] else [],
        "issuers": Issuer.objects.all(),
    })


# -- issuers ---------------------------------------------------------------------------------------------------------


@staff_required(VIEW_ISSUER)
def issuer_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "billing/issuers.html", {
        "issuers": Issuer.objects.select_related("reseller"), "can_change": request.user.has_perm(CHANGE_ISSUER),
    })


@staff_required(CHANGE_ISSUER)
def issuer_edit(request: AuthenticatedHttpRequest, issuer_id: int) -> HttpResponse:
    issuer = get_object_or_404(Issuer, pk=issuer_id)
    form = IssuerForm(request.POST or None, instance=Issuer.objects.get(pk=issuer.pk))
    if request.method == "POST" and form.is_valid():
        try:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            issuer_update(issuer=issuer, actor=request.user, **changes)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{issuer.name}: settings saved.")
            return redirect("billing:issuers")
    return render(request, "billing/issuer_edit.html", {"issuer": issuer, "form": form})


# -- tax rules -------------------------------------------------------------------------------------------------------


@staff_required(VIEW_TAX_RULE)
def tax_rules(request: AuthenticatedHttpRequest) -> HttpResponse:
    can_add = request.user.has_perm(ADD_TAX_RULE)
    form = TaxRuleForm(request.POST or None)
    if request.method == "POST":
        if not can_add:
            raise Http404("Not found")
        if form.is_valid():
            try:
                rule = tax_rule_create(actor=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Tax rule {rule} added.")
                return redirect("billing:tax_rules")
    return render(request, "billing/tax_rules.html", {
        "rules": TaxRule.objects.all(), "form": form, "can_add": can_add,
        "can_change": request.user.has_perm(CHANGE_TAX_RULE), "end_form": TaxRuleEndForm(),
    })


@require_POST
@staff_required(CHANGE_TAX_RULE)
def tax_rule_end_view(request: AuthenticatedHttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(TaxRule, pk=rule_id)
    form = TaxRuleEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the date the rule is no longer in force.")
        return redirect("billing:tax_rules")
    try:
        tax_rule_end(rule=rule, on=form.cleaned_data["on"], actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{rule} ends on {form.cleaned_data['on']}.")
    return redirect("billing:tax_rules")


# -- runs ------------------------------------------------------------------------------------------------------------


def _percent(run: InvoiceRun) -> int:
    return int(run.done * 100 / run.total) if run.total else (100 if run.finished_at else 0)


@staff_required(VIEW_RUN)
def run_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    can_start = request.user.has_perm(ADD_RUN)
    form = RunForm(request.POST or None)
    if request.method == "POST":
        if not can_start:
            raise Http404("Not found")
        if form.is_valid():
            year, month = form.cleaned_data["period"]
            try:
                run = invoice_run_create(year=year, month=month, finalise=form.cleaned_data["finalise"],
                                         issuer=form.cleaned_data["issuer"], actor=request.user)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("billing:run_detail", run_id=run.pk)
    runs = selectors.run_list(limit=100)
    return render(request, "billing/runs.html", {
        "runs": [(run, _percent(run)) for run in runs], "form": form, "can_start": can_start,
    })


@staff_required(VIEW_RUN)
def run_detail(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(InvoiceRun.objects.select_related("issuer", "requested_by"), pk=run_id)
    invoices = Invoice.objects.filter(run=run).select_related("issuer").order_by("party_name")
    return render(request, "billing/run_detail.html", {
        "run": run, "invoices": invoices,
        "active": run.finished_at is None and run.status in ("draft", "finalising"),
        "can_finalise": request.user.has_perm(ADD_RUN) and not run.finalise and run.status == "previewed",
        "can_view_invoices": request.user.has_perm(VIEW_INVOICE),
    })


@staff_required(VIEW_RUN)
def run_progress(request: AuthenticatedHttpRequest, run_id: int) -> JsonResponse:
    run = get_object_or_404(InvoiceRun, pk=run_id)
    progress = selectors.run_progress(run)
    run.refresh_from_db()
    return JsonResponse({**progress, "percent": _percent(run), "active": run.finished_at is None
                         and run.status in ("draft", "finalising"), "status_label": run.get_status_display()})


@require_POST
@staff_required(ADD_RUN)
def run_finalise(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    """Finalise the period a preview showed: a new finalising run for the same period and issuer."""
    preview = get_object_or_404(InvoiceRun, pk=run_id)
    try:
        run = invoice_run_create(year=preview.year, month=preview.month, finalise=True, issuer=preview.issuer,
                                 actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("billing:run_detail", run_id=preview.pk)
    return redirect("billing:run_detail", run_id=run.pk)
