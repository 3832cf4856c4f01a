"""BSS Setup > Tools > Provisioning operations and MCA log (staff only, permission-gated)."""

import csv
from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from backoffice.access import staff_required
from bss.choices import AcceptanceRole
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from bss.models import PartnerCenterInstance, Reseller
from bss.rules.permissions import Resource
from provisioning import selectors
from provisioning.choices import OperationKind, OperationStatus
from provisioning.models import ProvisioningOperation
from provisioning.services import lifecycle as services

# Seeing operations and the MCA log: the same check as the API's (bss.rules.permissions.STAFF_VIEW_PERMISSIONS).
VIEW_OPERATIONS = Resource.PROVISIONING_OPERATION
RETRY_OPERATIONS = "provisioning.change_provisioningoperation"
VIEW_MCA = Resource.MCA_ACCEPTANCE


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@staff_required(VIEW_OPERATIONS)
def operation_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    status, kind, order = (request.GET.get(name, "") for name in ("status", "kind", "order"))
    instance_id, search = _int(request.GET.get("instance")), request.GET.get("q", "").strip()
    filters = {"status": status, "kind": kind, "instance_id": instance_id, "order": order, "search": search}
    operations = selectors.operation_list(
        user=request.user, status=status, kind=kind, instance_id=instance_id, order=order, search=search
    )
    page = Paginator(operations, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "provisioning/operation_list.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "statuses": OperationStatus.choices,
            "kinds": OperationKind.choices,
            "instances": PartnerCenterInstance.objects.all(),
            "can_retry": request.user.has_perm(RETRY_OPERATIONS),
        },
    )


@staff_required(VIEW_OPERATIONS)
def operation_detail_view(request: AuthenticatedHttpRequest, operation_id: int) -> HttpResponse:
    operation = selectors.operation_get(user=request.user, operation_id=operation_id)
    siblings = (
        ProvisioningOperation.objects.filter(order=operation.order).order_by("sequence") if operation.order_id else []
    )
    return render(
        request,
        "provisioning/operation_detail.html",
        {
            "op": operation,
            "attempts": operation.attempts.all(),
            "siblings": siblings,
            "can_retry": request.user.has_perm(RETRY_OPERATIONS),
            "retryable": operation.status
            in (OperationStatus.FAILED, OperationStatus.WAITING, OperationStatus.RETRYING, OperationStatus.UNKNOWN),
        },
    )


@require_POST
@staff_required(RETRY_OPERATIONS)
def operation_retry_view(request: AuthenticatedHttpRequest, operation_id: int) -> HttpResponse:
    operation = selectors.operation_get(user=request.user, operation_id=operation_id)
    try:
        services.operation_retry(actor=request.user, operation=operation)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Operation {operation.pk} queued again (same MS-RequestId).")
    return redirect("provisioning:operation_detail", operation_id=operation.pk)


def _mca_filters(request: HttpRequest) -> dict:
    return {
        "search": request.GET.get("q", "").strip(),
        "role": request.GET.get("role", ""),
        "reseller_id": _int(request.GET.get("reseller")),
        "date_from": _date(request.GET.get("from")),
        "date_to": _date(request.GET.get("to")),
    }


@staff_required(VIEW_MCA)
def mca_log_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = _mca_filters(request)
    page = Paginator(selectors.mca_log(user=request.user, **filters), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "provisioning/mca_log.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "roles": AcceptanceRole.choices,
            "resellers": Reseller.objects.all(),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


MCA_CSV_COLUMNS = [
    "accepted_at", "customer", "reseller", "tenant_domain", "signatory_first_name", "signatory_last_name",
    "signatory_email", "signatory_phone", "role", "recorded_by", "ip_address", "user_agent", "agreement_type",
    "template_id", "agreement_version", "agreement_link", "attested_at",
]


def _csv_safe(value: object) -> str:
    """Spreadsheet formula injection guard: a cell starting with = + - @ is prefixed with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@staff_required(VIEW_MCA)
def mca_log_csv_view(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    rows = selectors.mca_log(user=request.user, **_mca_filters(request)).iterator(chunk_size=500)
    writer = csv.writer(_Echo())

    def stream():
        yield writer.writerow(MCA_CSV_COLUMNS)
        for a in rows:
            yield writer.writerow(
                [
                    _csv_safe(v)
                    for v in (
                        a.accepted_at.isoformat(), a.customer.company_name, a.customer.reseller.name,
                        a.tenant.default_domain if a.tenant else "", a.signatory_first_name, a.signatory_last_name,
                        a.signatory_email, a.signatory_phone, a.role,
                        a.recorded_by.get_username() if a.recorded_by else "", a.ip_address or "", a.user_agent,
                        a.agreement_type, a.template_id, a.agreement_version, a.agreement_link,
                        a.attested_at.isoformat() if a.attested_at else "",
                    )
                ]
            )

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="mca-log.csv"'
    return response
