"""Back office: the audit log (search, one event with its before/after, CSV export)."""

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from backoffice.access import staff_required
from backoffice.audit.forms import AuditFilterForm
from bss.http import AuthenticatedHttpRequest
from bss.models import AuditEvent
from bss.security import selectors

# --- Back office: audit log ---------------------------------------------------------------------------------------


@staff_required("bss.view_auditevent")
@require_GET
def audit_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    events = selectors.audit_event_list(filters=form.to_filters())
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "can_export": request.user.has_perm("security.export_auditlog"),
    }
    return render(request, "security/audit_log.html", context)


@staff_required("bss.view_auditevent")
@require_GET
def audit_event(request: AuthenticatedHttpRequest, event_id: int) -> HttpResponse:
    event = selectors.audit_event_get(event_id=event_id)
    keys = sorted(set(event.before or {}) | set(event.after or {}))
    changes = [
        {
            "field": key,
            "before": (event.before or {}).get(key),
            "after": (event.after or {}).get(key),
            "changed": (event.before or {}).get(key) != (event.after or {}).get(key),
        }
        for key in keys
    ]
    related = selectors.audit_event_list(filters=selectors.AuditFilters()).filter(
        object_type=event.object_type, object_id=event.object_id
    )[:20]
    return render(request, "security/audit_event.html", {"event": event, "changes": changes, "related": related})


class _Echo:
    def write(self, value: str) -> str:
        return value


_CSV_HEADER = [
    "created_at",
    "actor",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "object",
    "before",
    "after",
    "ip_address",
    "request_id",
]


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # Spreadsheet formula injection: a cell must not start with a formula trigger.
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def _csv_rows(events: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(_CSV_HEADER)
    event: AuditEvent
    for event in events.iterator(chunk_size=1000):
        yield writer.writerow(
            _csv_cell(value)
            for value in (
                event.created_at.isoformat(),
                event.actor_label,
                event.actor_id,
                event.action,
                event.object_type,
                event.object_id,
                event.object_repr,
                json.dumps(event.before, sort_keys=True) if event.before is not None else "",
                json.dumps(event.after, sort_keys=True) if event.after is not None else "",
                event.ip_address,
                event.request_id,
            )
        )


@staff_required("bss.view_auditevent")
@staff_required("security.export_auditlog")
@require_GET
def audit_export(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    form = AuditFilterForm(request.GET or None)
    events = selectors.audit_event_list(filters=form.to_filters()).select_related(None)
    response = StreamingHttpResponse(_csv_rows(events), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{timezone.now():%Y%m%d-%H%M%S}.csv"'
    response["Cache-Control"] = "no-store"
    return response


