"""Client-side request budgets per Partner Center instance and resource family.

Partner Center throttles per partner tenant and resource (500 requests/minute for customers, orders and
subscriptions). We stay under it ourselves instead of collecting 429s. Both limiters are token buckets in
"reservation" form: every ``acquire`` takes a token at once and is told how long to wait until that token
exists, so waiting callers are served in arrival order without polling.

* :class:`TokenBucketLimiter` — in-process (threads of one process).
* :class:`RedisTokenBucketLimiter` — one bucket in Redis shared by every process that uses the same Redis,
  key prefix and instance key (an atomic Lua script using the Redis server clock).

A worker must not sleep long waiting for budget. With ``max_wait`` set (on the limiter, or for a block of code with
:func:`wait_cap`), a caller whose token would only exist more than ``max_wait`` seconds from now does **not** take
it and gets :class:`~partnercenter.errors.RateBudgetExhaustedError` carrying the wait: a job runner reschedules
the work that far ahead instead of parking a worker (the budget it did not take stays for the callers that can use
it now).
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import RateBudgetExhaustedError

__all__ = [
    "DEFAULT_BUDGETS",
    "Budget",
    "NullRateLimiter",
    "RateLimiter",
    "RedisTokenBucketLimiter",
    "TokenBucketLimiter",
    "wait_cap",
]


@dataclass(frozen=True, slots=True)
class Budget:
    """At most ``requests`` per ``per_seconds``, in *any* window of that length (Partner Center counts in a
    sliding window). ``burst`` is the bucket size (default 1/20 of the budget); the refill rate leaves room for
    it, so a full burst followed by steady pacing still fits the window."""

    requests: int
    per_seconds: float = 60.0
    burst: int | None = None

    @property
    def capacity(self) -> float:
        return float(self.burst if self.burst is not None else max(1, self.requests // 20))

    @property
    def rate(self) -> float:
        return max(self.requests - self.capacity, 1.0) / self.per_seconds


# Published: 500/min per tenant for customers, orders and subscriptions; the rest is our own guess.
DEFAULT_BUDGETS: dict[str, Budget] = {
    "customers": Budget(500),
    "orders": Budget(500),
    "subscriptions": Budget(500),
    "carts": Budget(300),
    "catalog": Budget(300),
    "agreements": Budget(300),
    "relationships": Budget(300),
    "pricesheets": Budget(30),
}
_FALLBACK = Budget(300)


_WAIT_CAP: contextvars.ContextVar[float | None] = contextvars.ContextVar("partnercenter_rate_wait_cap", default=None)


@contextlib.contextmanager
def wait_cap(seconds: float | None) -> Iterator[None]:
    """Inside the block, ``acquire`` waits at most ``seconds`` (``None``: the limiter's own ``max_wait``) and raises
    :class:`RateBudgetExhaustedError` past it. For work that can be rescheduled (one Celery task per call or
    customer); a long job that cannot resume half-way keeps pacing itself by sleeping."""
    token = _WAIT_CAP.set(seconds)
    try:
        yield
    finally:
        _WAIT_CAP.reset(token)


class RateLimiter(Protocol):
    def acquire(self, *, instance_key: str, family: str) -> float:
        """Block until one request of ``family`` may be sent for ``instance_key``; return seconds waited. Raises
        :class:`RateBudgetExhaustedError` instead when the wait would exceed the caller's cap."""
        ...


class NullRateLimiter:
    def acquire(self, *, instance_key: str, family: str) -> float:
        return 0.0


class _BudgetedLimiter:
    def __init__(
        self,
        budgets: Mapping[str, Budget] | None,
        default_budget: Budget | None,
        sleep: Callable[[float], None],
        max_wait: float | None = None,
    ) -> None:
        self._budgets = dict(DEFAULT_BUDGETS if budgets is None else budgets)
        self._default = default_budget or _FALLBACK
        self._sleep = sleep
        self.max_wait = max_wait
        """Longest sleep in ``acquire`` before it raises instead (``None``: no limit); :func:`wait_cap` overrides."""

    def budget_for(self, family: str) -> Budget:
        return self._budgets.get(family, self._default)

    def acquire(self, *, instance_key: str, family: str) -> float:
        cap = _WAIT_CAP.get()
        if cap is None:
            cap = self.max_wait
        budget = self.budget_for(family)
        wait = self._reserve(f"{instance_key}:{family}", budget, cap)
        if cap is not None and wait > cap:
            raise RateBudgetExhaustedError(
                f"Partner Center's {family} budget ({budget.requests} requests per {budget.per_seconds:g} s) is "
                f"spent for the next {wait:.1f} s",
                wait=wait,
                family=family,
            )
        if wait > 0:
            self._sleep(wait)
        return wait

    def _reserve(self, key: str, budget: Budget, max_wait: float | None) -> float:
        """Take a token and return the wait until it exists; when that wait exceeds ``max_wait`` take nothing and
        return the wait a caller would have had."""
        raise NotImplementedError


class TokenBucketLimiter(_BudgetedLimiter):
    """In-process buckets keyed by ``instance_key:family``. ``clock``/``sleep`` are injectable for tests."""

    def __init__(
        self,
        budgets: Mapping[str, Budget] | None = None,
        *,
        default_budget: Budget | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float | None = None,
    ) -> None:
        super().__init__(budgets, default_budget, sleep, max_wait)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill time)

    def _reserve(self, key: str, budget: Budget, max_wait: float | None) -> float:
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(key, (budget.capacity, now))
            if now > last:
                tokens = min(budget.capacity, tokens + (now - last) * budget.rate)
                last = now
            wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / budget.rate
            if max_wait is None or wait <= max_wait:
                tokens -= 1.0
            self._buckets[key] = (tokens, last)
        return wait


# KEYS[1] bucket; ARGV: rate (tokens/s), capacity, ttl (ms), max wait (s; negative = none). Takes a token unless
# the wait for it exceeds the max wait. Returns the wait in seconds as a string (Lua numbers would be truncated to
# integers in the reply).
_RESERVE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = cap
  ts = now
end
if now > ts then
  tokens = math.min(cap, tokens + (now - ts) * rate)
  ts = now
end
local wait = 0
if tokens < 1 then
  wait = (1 - tokens) / rate
end
local max_wait = tonumber(ARGV[4])
if max_wait < 0 or wait <= max_wait then
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return tostring(wait)
"""


class RedisTokenBucketLimiter(_BudgetedLimiter):
    """Buckets in Redis, shared across processes. ``redis_client`` is a ``redis.Redis``."""

    def __init__(
        self,
        redis_client: Any,
        budgets: Mapping[str, Budget] | None = None,
        *,
        default_budget: Budget | None = None,
        key_prefix: str = "partnercenter:ratelimit",
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float | None = None,
    ) -> None:
        super().__init__(budgets, default_budget, sleep, max_wait)
        self._redis = redis_client
        self._prefix = key_prefix
        self._script = redis_client.register_script(_RESERVE_LUA)

    def _reserve(self, key: str, budget: Budget, max_wait: float | None) -> float:
        # Keep idle buckets around long enough to refill completely, then let Redis drop them.
        ttl_ms = int(max(budget.capacity / budget.rate, 1.0) * 1000) + 60_000
        cap = -1.0 if max_wait is None else max(max_wait, 0.0)
        raw = self._script(
            keys=[f"{self._prefix}:{key}"], args=[repr(budget.rate), repr(budget.capacity), ttl_ms, repr(cap)]
        )
        return float(raw.decode() if isinstance(raw, bytes) else raw)
