from __future__ import annotations

import os
import threading
import uuid

import pytest

from partnercenter.ratelimit import Budget, RedisTokenBucketLimiter, TokenBucketLimiter
from tests.clocks import FakeClock


def test_token_bucket_allows_burst_then_paces_at_budget_rate():
    clock = FakeClock()
    # 63 per minute with a burst of 3: refills 60 per minute, one per second
    limiter = TokenBucketLimiter({"customers": Budget(63, 60.0, burst=3)}, clock=clock, sleep=clock.sleep)

    waits = [limiter.acquire(instance_key="p1", family="customers") for _ in range(6)]

    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([1.0, 1.0, 1.0])
    assert clock.now == pytest.approx(1003.0)


def test_token_bucket_never_exceeds_budget_in_any_sliding_window():
    clock = FakeClock()
    limiter = TokenBucketLimiter({"subscriptions": Budget(100, 60.0)}, clock=clock, sleep=clock.sleep)
    sent: list[float] = []
    for _ in range(400):
        limiter.acquire(instance_key="p1", family="subscriptions")
        sent.append(clock.now)

    worst = max(sum(1 for t in sent if start <= t < start + 60.0) for start in sent)
    assert worst <= 100
    per_minute = (len(sent) - 1) / (sent[-1] - sent[0]) * 60
    assert per_minute >= 90


def test_token_bucket_refills_while_idle_up_to_burst():
    clock = FakeClock()
    limiter = TokenBucketLimiter({"orders": Budget(122, 60.0, burst=2)}, clock=clock, sleep=clock.sleep)
    for _ in range(2):
        limiter.acquire(instance_key="p1", family="orders")
    clock.now += 100  # far more than needed to refill 2 tokens

    waits = [limiter.acquire(instance_key="p1", family="orders") for _ in range(3)]

    assert waits == pytest.approx([0.0, 0.0, 0.5])


def test_token_bucket_keys_are_per_instance_and_family():
    clock = FakeClock()
    limiter = TokenBucketLimiter(
        {"customers": Budget(1, 60.0, burst=1)}, default_budget=Budget(1, 60.0, burst=1), clock=clock, sleep=clock.sleep
    )

    assert limiter.acquire(instance_key="p1", family="customers") == 0.0
    assert limiter.acquire(instance_key="p2", family="customers") == 0.0
    assert limiter.acquire(instance_key="p1", family="carts") == 0.0
    assert limiter.acquire(instance_key="p1", family="customers") == pytest.approx(60.0)


def test_token_bucket_is_thread_safe():
    clock = FakeClock()
    limiter = TokenBucketLimiter({"x": Budget(200, 1.0, burst=100)}, clock=lambda: 1000.0, sleep=lambda s: None)
    results: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            w = limiter.acquire(instance_key="i", family="x")
            with lock:
                results.append(w)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sum(1 for w in results if w == 0.0) == 100
    # reservations are handed out one slot (0.01 s) apart
    assert sorted(results)[-1] == pytest.approx(1.0)
    del clock


def _redis_or_skip():  # -> redis.Redis
    redis = pytest.importorskip("redis")
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    try:
        client.ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable at {url}: {exc}")
    return client


def test_redis_bucket_is_shared_between_limiter_objects():
    client = _redis_or_skip()
    prefix = f"test-pc-ratelimit-{uuid.uuid4()}"
    sleeps: list[float] = []
    budgets = {"subscriptions": Budget(8, 60.0, burst=2)}  # refills one token per 10 s
    a = RedisTokenBucketLimiter(client, budgets, key_prefix=prefix, sleep=sleeps.append)
    b = RedisTokenBucketLimiter(client, budgets, key_prefix=prefix, sleep=sleeps.append)
    try:
        waits = [
            a.acquire(instance_key="p1", family="subscriptions"),
            b.acquire(instance_key="p1", family="subscriptions"),
            a.acquire(instance_key="p1", family="subscriptions"),
            b.acquire(instance_key="p1", family="subscriptions"),
            b.acquire(instance_key="p2", family="subscriptions"),
        ]
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)

    assert waits[:2] == [0.0, 0.0]
    assert waits[2] == pytest.approx(10.0, abs=0.2)
    assert waits[3] == pytest.approx(20.0, abs=0.2)
    assert waits[4] == 0.0  # another partner instance has its own bucket
    assert sleeps == waits[2:4]
