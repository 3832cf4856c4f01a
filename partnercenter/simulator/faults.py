"""Queued fault injection: the next N calls matching method + path pattern misbehave on purpose.

Kinds
- ``429``: throttled, shape-C body and integer ``Retry-After``.
- ``5xx``: a server error (``status`` 500/502/503/504, default 503) with a shape-A body.
- ``error``: any status with a Partner Center error ``code`` (shape A).
- ``latency``: wait ``seconds`` then serve the call normally.
- ``timeout``: hold the connection ``seconds`` (default: config ``timeout_hold_seconds``) without running
  the call, then drop it; the client times out first.
- ``drop``: run the call (the write commits) and drop the connection instead of answering.
- ``accepted``: run the call; a 200 answer becomes **202 Accepted** with ``Location`` = the resource (what
  Microsoft does when a subscription PATCH takes long). Config ``subscription_patch_accepted_rate`` does the same
  for a random share of subscription PATCHes.
- ``http`` (or a bare status like ``503``): the kind above that fits ``status``.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
import threading
from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("429", "5xx", "error", "latency", "timeout", "drop", "accepted")


@dataclass
class FaultRule:
    id: int
    kind: str
    method: str = "*"
    path: str = "*"
    count: int = 1
    status: int | None = None
    code: int | None = None
    description: str | None = None
    retry_after: int = 1
    seconds: float | None = None
    partner_tenant_id: str | None = None
    hits: int = 0

    def matches(self, method: str, path: str, partner_tenant_id: str | None) -> bool:
        if self.count <= 0:
            return False
        if self.method not in ("*", "") and self.method.upper() != method.upper():
            return False
        if self.partner_tenant_id and self.partner_tenant_id.lower() != (partner_tenant_id or "").lower():
            return False
        pattern = self.path or "*"
        if pattern.startswith("^"):
            return re.search(pattern, path, re.IGNORECASE) is not None
        return fnmatch.fnmatchcase(path.lower(), pattern.lower())

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {
            "id": data["id"], "kind": data["kind"], "method": data["method"], "path": data["path"],
            "remaining": data["count"], "hits": data["hits"], "status": data["status"], "code": data["code"],
            "description": data["description"], "retryAfter": data["retry_after"], "seconds": data["seconds"],
            "partnerTenantId": data["partner_tenant_id"],
        }


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)

    def add(self, *, kind: str, method: str = "*", path: str = "*", count: int = 1, status: int | None = None,
            code: int | None = None, description: str | None = None, retry_after: int = 1,
            seconds: float | None = None, partner_tenant_id: str | None = None) -> FaultRule:
        kind = str(kind).lower()
        if kind == "http" or kind.isdigit():
            # "http" (or a bare status such as "503") picks the kind from the status.
            status = status or (int(kind) if kind.isdigit() else None)
            if status is None:
                raise ValueError("an http fault needs a status")
            kind = "429" if status == 429 else "5xx" if status >= 500 else "error"
            if kind == "error" and code is None:
                code = 800002
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        if kind == "5xx" and status is not None and not 500 <= status <= 599:
            raise ValueError("a 5xx fault needs a status between 500 and 599")
        if kind == "error" and (status is None or code is None):
            raise ValueError("an error fault needs status and code")
        rule = FaultRule(
            id=next(self._ids), kind=kind, method=method or "*", path=path or "*", count=max(1, int(count)),
            status=status, code=code, description=description, retry_after=max(0, int(retry_after)),
            seconds=seconds, partner_tenant_id=partner_tenant_id,
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def take(self, method: str, path: str, partner_tenant_id: str | None) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path, partner_tenant_id):
                    rule.count -= 1
                    rule.hits += 1
                    return rule
        return None

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return [r for r in self._rules if r.count > 0]

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
