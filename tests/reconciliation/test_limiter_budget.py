"""The shared rate limiter never parks a worker: past its max wait it raises a retryable error (taking no token), and
a reconciliation task whose budget is spent is rescheduled by a real Celery worker, which meanwhile serves other
work."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import pytest
import redis

from partnercenter.errors import PartnerCenterError, RateBudgetExhaustedError
from partnercenter.ratelimit import Budget, RedisTokenBucketLimiter, TokenBucketLimiter, wait_cap
from reconciliation.choices import RunScope, RunStatus
from reconciliation.models import ReconciliationCustomerCheck, ReconciliationRun
from reconciliation.services import runs
from tests.clocks import FakeClock
from tests.conftest import producer_on, redis_url_for_tests
from tests.reconciliation.conftest import change

ROOT = Path(__file__).resolve().parents[2]


def _redis() -> redis.Redis:
    url = redis_url_for_tests()
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"Redis is not reachable at {url}; CI always provides it")
    return client


def test_past_the_max_wait_acquire_raises_with_the_wait_and_takes_no_token():
    clock = FakeClock()
    # 13/min with a burst of 1: one token every 5 s
    limiter = TokenBucketLimiter({"subscriptions": Budget(13)}, clock=clock, sleep=clock.sleep, max_wait=2.0)

    assert limiter.acquire(instance_key="p1", family="subscriptions") == 0.0
    with pytest.raises(RateBudgetExhaustedError) as raised:
        limiter.acquire(instance_key="p1", family="subscriptions")
    with pytest.raises(RateBudgetExhaustedError):
        limiter.acquire(instance_key="p1", family="subscriptions")

    error = raised.value
    assert isinstance(error, PartnerCenterError) and error.retryable
    assert error.wait == error.retry_after == pytest.approx(5.0)
    assert error.family == "subscriptions" and "subscriptions budget" in str(error)
    assert clock.sleeps == []  # nobody slept
    clock.now += 5.0  # the refused callers took nothing: the next token is there after one interval
    assert limiter.acquire(instance_key="p1", family="subscriptions") == 0.0


def test_a_short_wait_is_still_slept_and_wait_cap_overrides_the_limiter():
    clock = FakeClock()
    limiter = TokenBucketLimiter({"orders": Budget(61, burst=1)}, clock=clock, sleep=clock.sleep)  # 1 token/s

    limiter.acquire(instance_key="p1", family="orders")
    assert limiter.acquire(instance_key="p1", family="orders") == pytest.approx(1.0)  # no cap: sleeps
    with wait_cap(0.5), pytest.raises(RateBudgetExhaustedError) as raised:
        limiter.acquire(instance_key="p1", family="orders")
    assert raised.value.wait == pytest.approx(1.0)
    with wait_cap(3.0):
        assert limiter.acquire(instance_key="p1", family="orders") == pytest.approx(1.0)
    assert clock.sleeps == pytest.approx([1.0, 1.0])


def test_the_redis_bucket_refuses_without_taking_a_token():
    client = _redis()
    prefix = f"test-pc-budget-{uuid.uuid4()}"
    budgets = {"subscriptions": Budget(13)}  # one token every 5 s
    sleeps: list[float] = []
    a = RedisTokenBucketLimiter(client, budgets, key_prefix=prefix, sleep=sleeps.append, max_wait=2.0)
    b = RedisTokenBucketLimiter(client, budgets, key_prefix=prefix, sleep=sleeps.append)
    try:
        assert a.acquire(instance_key="p1", family="subscriptions") == 0.0
        for _ in range(3):
            with pytest.raises(RateBudgetExhaustedError) as raised:
                a.acquire(instance_key="p1", family="subscriptions")
            assert 4.0 < raised.value.wait <= 5.0
        # The refusals reserved nothing: a patient caller (no cap) waits one interval, not four.
        assert 4.0 < b.acquire(instance_key="p1", family="subscriptions") <= 5.0
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
    assert len(sleeps) == 1


def _health(url: str, queue: str, *, timeout: float) -> object:
    """The health task's answer from the worker on `queue`, through a Celery app of its own (producer_on resets
    the process's broker pools; shared tasks stay bound to the project's app)."""
    from celery import Celery

    prober = Celery("test-prober", broker=url, backend=url, set_as_current=False)
    try:
        return prober.send_task("config.tasks.health_check", queue=queue).get(timeout=timeout)
    finally:
        prober.close()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_check_whose_budget_is_spent_is_rescheduled_and_the_worker_stays_free(
    shared_database, sim, estate, tmp_path
):
    # shared_database first: on SQLite the estate must be written to the file database the worker reads.
    _redis()
    # A Redis database of this test's own: the worker also consumes the "sweeps" queue (the customer tasks the
    # sweep enqueues are routed there), which no other test's worker may share.
    url = urlunsplit(urlsplit(redis_url_for_tests())._replace(path="/15"))
    client = redis.Redis.from_url(url)
    client.flushdb()
    change(estate.bss["m365_e3_old"], quantity=estate.bss["m365_e3_old"].quantity + 2)
    # The worker's budget: 13 subscription reads a minute, one token every 5 s. The test spends the next 10 s of
    # it just before the run, through the same Redis bucket the worker uses (same database name and instance key).
    database = dj_database_url.parse(shared_database)["NAME"]
    prefix = f"cspbss:{database}:pc-ratelimit"
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    spender = RedisTokenBucketLimiter(client, {"subscriptions": Budget(13)}, key_prefix=prefix, sleep=lambda s: None)

    queue = f"test-recon-budget-{os.getpid()}-{int(time.time())}"
    log = tmp_path / "worker.log"
    env = {**os.environ, "REDIS_URL": url, "DATABASE_URL": shared_database,
           "PARTNER_CENTER_CA_BUNDLE": sim.ca_bundle or "", "PARTNER_CENTER_MAX_RETRIES": "0",
           "PARTNER_CENTER_RATE_LIMITS": "subscriptions=13", "PARTNER_CENTER_RATE_LIMIT_MAX_WAIT_SECONDS": "2"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1",
         "-Q", f"{queue},sweeps", "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )
    try:
        assert _health(url, queue, timeout=60) == {"ok": True}
        sim.control.clear_requests()
        for _ in range(2):  # the token there now and the next one, due in 5 s: the worker's read waits ~10 s
            spender.acquire(instance_key=f"instance-{estate.instance.pk}", family="subscriptions")
        started = time.monotonic()
        with producer_on(queue, url):
            run = runs.reconciliation_run_start(actor=None, scope=RunScope.CUSTOMER, customer=estate.tenant.customer)
        time.sleep(2.0)  # the sweep and the check have run into the spent budget

        # The one worker process (solo pool) is free: another task is served while the check waits for budget.
        probe_started = time.monotonic()
        assert _health(url, queue, timeout=20) == {"ok": True}
        probe_seconds = time.monotonic() - probe_started
        check = ReconciliationCustomerCheck.objects.get(run=run)
        assert check.status == "running" and check.finished_at is None  # claimed, not failed, not done
        assert sim.control.requests(method="GET", path="/v1/customers/*/subscriptions") == []

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and ReconciliationRun.objects.get(pk=run.pk).status != RunStatus.COMPLETED:
            time.sleep(0.3)
        elapsed = time.monotonic() - started
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)

    output = log.read_text()
    run = ReconciliationRun.objects.get(pk=run.pk)
    assert run.status == RunStatus.COMPLETED, output[-3000:]
    assert (run.customers_done, run.customers_failed, run.findings_count) == (1, 0, 1)
    assert probe_seconds < 5.0, output[-3000:]
    assert elapsed >= 7.0  # it waited for the budget (about 10 s) rather than reading at once
    assert "Retry in" in output  # Celery rescheduled the task
    calls = sim.control.requests(method="GET", path="/v1/customers/*/subscriptions")
    assert [c["status"] for c in calls] == [200]  # one read, when a token existed: no 429
