from __future__ import annotations

from datetime import date

from .. import _parse
from .._transport import Transport
from ..lifecycle_types import AuditRecord
from ..pagination import iter_items, iter_pages


class AuditRecordsResource:
    """The partner's audit log (seek-paged, up to 30 days a query)."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self, *, start_date: date, end_date: date | None = None, size: int = 500) -> list[AuditRecord]:
        """Records from ``start_date`` (a day, ``YYYY-MM-DD`` as Partner Center takes it) to ``end_date``."""
        params = {"startDate": start_date.strftime("%Y-%m-%d"), "size": str(size)}
        if end_date is not None:
            params["endDate"] = end_date.strftime("%Y-%m-%d")
        pages = iter_pages(self._t, "/v1/auditrecords", params=params, parser=_parse.audit_record, what="audit records")
        return list(iter_items(pages))
