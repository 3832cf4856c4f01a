"""Client-side request budgets per Partner Center instance and resource family.

Partner Center throttles per partner tenant and resource (500 requests/minute for customers, orders and
subscriptions). We stay under it ourselves instead of collecting 429s. Both limiters are token buckets in
"reservation" form: every ``acquire`` takes a token at once and is told how long to wait until that token
exists, so waiting callers are served in arrival order without polling.

* :class:`TokenBucketLimiter` — in-process (threads of one process).
* :class:`RedisTokenBucketLimiter` — one bucket in Redis shared by every process that uses the same Redis,
  key prefix and instance key (an atomic Lua script using the Redis server clock).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "DEFAULT_BUDGETS",
    "Budget",
    "NullRateLimiter",
    "RateLimiter",
    "RedisTokenBucketLimiter",
    "TokenBucketLimiter",
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


class RateLimiter(Protocol):
    def acquire(self, *, instance_key: str, family: str) -> float:
        """Block until one request of ``family`` may be sent for ``instance_key``; return seconds waited."""
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
    ) -> None:
        self._budgets = dict(DEFAULT_BUDGETS if budgets is None else budgets)
        self._default = default_budget or _FALLBACK
        self._sleep = sleep

    def budget_for(self, family: str) -> Budget:
        return self._budgets.get(family, self._default)

    def acquire(self, *, instance_key: str, family: str) -> float:
        wait = self._reserve(f"{instance_key}:{family}", self.budget_for(family))
        if wait > 0:
            self._sleep(wait)
        return wait

    def _reserve(self, key: str, budget: Budget) -> float:
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
    ) -> None:
        super().__init__(budgets, default_budget, sleep)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill time)

    def _reserve(self, key: str, budget: Budget) -> float:
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(key, (budget.capacity, now))
            if now > last:
                tokens = min(budget.capacity, tokens + (now - last) * budget.rate)
                last = now
            tokens -= 1.0
            self._buckets[key] = (tokens, last)
        return 0.0 if tokens >= 0 else -tokens / budget.rate


# KEYS[1] bucket; ARGV: rate (tokens/s), capacity, ttl (ms). Returns the wait in seconds as a string
# (Lua numbers would be truncated to integers in the reply).
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
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if tokens >= 0 then
  return '0'
end
return tostring(-tokens / rate)
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
    ) -> None:
        super().__init__(budgets, default_budget, sleep)
        self._redis = redis_client
        self._prefix = key_prefix
        self._script = redis_client.register_script(_RESERVE_LUA)

    def _reserve(self, key: str, budget: Budget) -> float:
        # Keep idle buckets around long enough to refill completely, then let Redis drop them.
        ttl_ms = int(max(budget.capacity / budget.rate, 1.0) * 1000) + 60_000
        raw = self._script(keys=[f"{self._prefix}:{key}"], args=[repr(budget.rate), repr(budget.capacity), ttl_ms])
        return float(raw.decode() if isinstance(raw, bytes) else raw)
