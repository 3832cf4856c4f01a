"""Per-tenant rate limits: a sliding one-minute window per (partner tenant, resource family), plus an
optional bucket per (partner tenant, customer). Exceeding it answers 429 with an integer ``Retry-After``."""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque

WINDOW_SECONDS = 60.0
_CUSTOMER_PATH = re.compile(r"^/v1/customers/([^/]+)(?:/([^/]+))?")


def resource_family(path: str) -> str:
    """Which documented limit a path counts against (customers, orders, subscriptions, carts, ...)."""
    lower = path.lower()
    if lower.startswith("/v1.0/sales/"):
        return "pricesheets"
    match = _CUSTOMER_PATH.match(lower)
    if match:
        sub = match.group(2)
        if sub in ("orders", "subscriptions", "carts"):
            return sub
        if sub in ("products",):
            return "catalog"
        return "customers"
    if lower.startswith("/v1/customers"):
        return "customers"
    if lower.startswith(("/v1/products", "/v1/offers")):
        return "catalog"
    return "other"


def customer_of(path: str) -> str | None:
    match = _CUSTOMER_PATH.match(path.lower())
    if not match or match.group(1) in ("relationshiprequests",):
        return None
    return match.group(1)


class Throttle:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[tuple[str, ...], deque[float]] = {}
        self.limits: dict[tuple[str, str], int] = {}
        """(tenant or '*', family or '*') -> requests per minute; overrides the configured default."""
        self.counts: dict[tuple[str, str], list[int]] = {}
        """(tenant, family) -> [requests served, requests answered 429] since the last reset."""

    def count(self, tenant: str, family: str, *, throttled: bool) -> None:
        with self._lock:
            counts = self.counts.setdefault((tenant, family), [0, 0])
            counts[1 if throttled else 0] += 1

    def limit_for(self, tenant: str, family: str, default: int) -> int:
        for key in ((tenant, family), (tenant, "*"), ("*", family), ("*", "*")):
            if key in self.limits:
                return self.limits[key]
        return default

    def hit(self, key: tuple[str, ...], limit: int) -> int | None:
        """Count one request; return the Retry-After seconds when the bucket is full."""
        if limit <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - WINDOW_SECONDS:
                hits.popleft()
            if len(hits) >= limit:
                return max(1, math.ceil(hits[0] + WINDOW_SECONDS - now))
            hits.append(now)
        return None

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
            self.limits.clear()
            self.counts.clear()
