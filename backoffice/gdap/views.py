"""BSS Setup > Tools > GDAP relationships: every customer's delegated admin relationship with its status, end date
and template; filters (status, expiring within N days, template, search) and a CSV export of the same rows."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from backoffice.access import staff_required
from bss import selectors_gdap as selectors
from bss.http import AuthenticatedHttpRequest
from bss.models.gdap import GdapStatus

VIEW_GDAP = "bss.view_gdaprelationship"
CSV_COLUMNS = [
    "customer", "reseller", "tenant_domain", "instance", "display_name", "relationship_id", "status", "template",
    "roles", "auto_extend", "activated_at", "end_at", "access_assignments", "approval_url", "last_synced_at",
]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _filters(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    status = request.GET.get("status", "")
    return {
        "status": status if status in GdapStatus.values else "",
        "expiring_within_days": _int(request.GET.get("expiring")),
        "template_id": _int(request.GET.get("template")),
        "search": request.GET.get("q", "").strip(),
    }


@staff_required(VIEW_GDAP)
def gdap_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = _filters(request)
    page = Paginator(selectors.gdap_relationships(**filters), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "gdap/relationship_list.html", {
        "page": page, "filters": filters, "query": query.urlencode(), "statuses": GdapStatus.choices,
        "templates": selectors.gdap_templates(),
    })


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_safe(value: object) -> str:
    """Spreadsheet formula injection guard: a cell starting with = + - @ is prefixed with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@staff_required(VIEW_GDAP)
def gdap_csv_view(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    rows = selectors.gdap_relationships(**_filters(request)).iterator(chunk_size=500)
    writer = csv.writer(_Echo())

    def stream() -> Iterator[str]:
        yield writer.writerow(CSV_COLUMNS)
        for r in rows:
            yield writer.writerow([_csv_safe(v) for v in (
                r.tenant.customer.company_name, r.tenant.customer.reseller.name, r.tenant.default_domain,
                r.tenant.instance.name, r.display_name, r.pc_relationship_id, r.status,
                r.template.name if r.template else "", " ".join(r.role_ids), "yes" if r.auto_extend else "no",
                r.activated_at.isoformat() if r.activated_at else "", r.end_at.isoformat() if r.end_at else "",
                " ".join(f"{a.get('security_group_id')}:{a.get('status')}" for a in r.access_assignments),
                r.approval_url, r.last_synced_at.isoformat() if r.last_synced_at else "",
            )])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="gdap-relationships.csv"'
    return response
