"""Microsoft's bill pages, the actions: import an instance's invoices now, import the open month's unbilled lines,
import one invoice again, run the match of its period, accept a finding (with a reason) or bill it. Each calls one
service and shows its refusal."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from backoffice.access import staff_required
from backoffice.money.forms import ReasonForm
from backoffice.money.views import IMPORT, MATCH, SETTLE
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from bss.models import PartnerCenterInstance
from reconciliation.money.models import ChargeMatch, MicrosoftInvoice
from reconciliation.money.services.imports import invoice_reimport, unbilled_import_start
from reconciliation.money.services.matching import match_run
from reconciliation.money.services.resolutions import finding_accept, finding_bill
from reconciliation.money.tasks import money_import_instance_task, money_import_invoice_task


def _back(request: AuthenticatedHttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


@require_POST
@staff_required(IMPORT)
def instance_import(request: AuthenticatedHttpRequest, instance_id: int) -> HttpResponse:
    instance = get_object_or_404(PartnerCenterInstance, pk=instance_id)
    try:
        money_import_instance_task.delay(instance.pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{instance.name}: looking for Microsoft's invoices; new ones are being imported.")
    return redirect(f"{_home()}?instance={instance.pk}")


@require_POST
@staff_required(IMPORT)
def instance_unbilled(request: AuthenticatedHttpRequest, instance_id: int) -> HttpResponse:
    instance = get_object_or_404(PartnerCenterInstance, pk=instance_id)
    try:
        row = unbilled_import_start(instance=instance)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back(request, f"{_home()}?instance={instance.pk}")
    messages.success(request, f"{instance.name}: Microsoft is preparing the unbilled lines of "
                              f"{row.year}-{row.month:02d}.")
    return _back(request, f"{_home()}?instance={instance.pk}")


@require_POST
@staff_required(IMPORT)
def invoice_import(request: AuthenticatedHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = get_object_or_404(MicrosoftInvoice, pk=invoice_id)
    invoice_reimport(invoice=invoice)
    money_import_invoice_task.delay(invoice.pk)
    messages.success(request, f"{invoice.invoice_id}: import started.")
    return redirect("money:invoice", invoice_id=invoice.pk)


@require_POST
@staff_required(MATCH)
def invoice_match(request: AuthenticatedHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = get_object_or_404(MicrosoftInvoice, pk=invoice_id)
    try:
        run = match_run(instance=invoice.instance, year=invoice.year, month=invoice.month, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        counts = run.counts
        messages.success(request, f"{invoice.year}-{invoice.month:02d} matched: {counts.get('findings', 0)} "
                                  f"finding(s), {counts.get('new', 0)} new.")
    return redirect("money:invoice", invoice_id=invoice.pk)


def _settle(request: AuthenticatedHttpRequest, match_id: int, *, bill: bool) -> HttpResponse:
    match = get_object_or_404(ChargeMatch.objects.select_related("microsoft_line"), pk=match_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    fallback = _home()
    if match.microsoft_line is not None:
        fallback = reverse("money:invoice", args=[match.microsoft_line.invoice_id])
    try:
        if bill:
            finding_bill(match_id=match.pk, actor=request.user, reason=reason)
        else:
            finding_accept(match_id=match.pk, actor=request.user, reason=reason)
    except ApplicationError as exc:
        messages.error(request, f"Line {match.pk}: {exc.message}")
    else:
        messages.success(request, f"Line {match.pk}: " + ("billed to the customer's next invoice." if bill
                                                           else "accepted."))
    return _back(request, fallback)


@require_POST
@staff_required(SETTLE)
def finding_accept_view(request: AuthenticatedHttpRequest, match_id: int) -> HttpResponse:
    return _settle(request, match_id, bill=False)


@require_POST
@staff_required(SETTLE)
def finding_bill_view(request: AuthenticatedHttpRequest, match_id: int) -> HttpResponse:
    return _settle(request, match_id, bill=True)


def _home() -> str:
    return reverse("money:home")
