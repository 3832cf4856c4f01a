"""Audit records: the partner's activity log (what the core records), read by date range and filter."""

from __future__ import annotations

import datetime as dt
import json

from ..body import CIDict
from ..errors import PCError
from .core import MAX_PAGE, BackendCore, Caller, Page


class AuditRecords:
    def __init__(self, core: BackendCore) -> None:
        self.core = core

    def search(self, caller: Caller, *, start: str | None, end: str | None, size: int | None,
               token: str | None, filter_text: str | None) -> Page:
        partner = caller.partner
        if token:
            offset, extra = self.core.read_token(partner, "audit", token)
            start, end, size, filter_text = extra.get("s"), extra.get("e"), extra.get("n"), extra.get("f")
        else:
            offset = 0
        now = self.core.now
        try:
            start_day = dt.date.fromisoformat(start) if start else (now - dt.timedelta(days=30)).date()
            end_day = dt.date.fromisoformat(end) if end else now.date()
        except ValueError:
            raise PCError(400, 800002, description="Invalid request input: dates must be YYYY-MM-DD") from None
        if start_day < (now - dt.timedelta(days=90)).date():
            raise PCError(400, 800002, description="Invalid request input: startDate must be within the last "
                          "90 days")
        page_size = min(size or MAX_PAGE, MAX_PAGE)
        key, value = None, ""
        if filter_text:
            spec = CIDict(json.loads(filter_text))
            key, value = (spec.text("Field") or "").lower(), (spec.text("Value") or "").lower()
        records = []
        for record in partner.audit:
            day = dt.date.fromisoformat(record["operationDate"][:10])
            if not start_day <= day <= end_day:
                continue
            if key == "companyname" and value not in (record.get("customerName") or "").lower():
                continue
            if key == "customerid" and (record.get("customerId") or "").lower() != value:
                continue
            if key == "resourcetype" and record["resourceType"].lower() != value:
                continue
            records.append(record)
        chunk = records[offset:offset + page_size]
        following = None
        if offset + page_size < len(records):
            following = self.core.make_token(partner, "audit", offset + page_size,
                                             {"s": start, "e": end, "n": page_size, "f": filter_text})
        return Page(chunk, following, page_size)
