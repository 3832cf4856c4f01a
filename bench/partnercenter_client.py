"""Partner Center client benchmark against a locally started simulator (HTTPS, real MSAL tokens).

Prints:
1. sequential throughput (one client, one thread);
2. concurrent throughput (one shared client, N threads);
3. how closely the shared Redis rate limiter holds a budget across 4 processes: the simulator is set to throttle
   the same budget (sliding 60 s window per partner and resource family), every process sends as fast as the
   limiter lets it, and we report requests sent per minute / budget (goal >= 0.9) and 429s received (goal 0).

    .venv/bin/python bench/partnercenter_client.py                 # ~1.5 minutes
    .venv/bin/python bench/partnercenter_client.py --duration 20   # quicker, less exact

The simulator's throttling window is fixed at 60 s, so phase 3 runs one full window by default; the budget is kept
small (600/min = 10 requests/s) so the run stays cheap.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import os
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from partnercenter import PartnerCenterClient, ThrottledError, clouds
from partnercenter.ratelimit import Budget, RedisTokenBucketLimiter


@dataclass(frozen=True)
class Target:
    base_url: str
    ca_bundle: str | None
    tenant_id: str
    client_id: str
    client_secret: str
    customer_id: str


def make_client(target: Target, **kwargs: Any) -> PartnerCenterClient:
    cloud = clouds.custom(api_base_url=target.base_url, authority_host=target.base_url)
    return PartnerCenterClient.for_cloud(
        cloud,
        tenant_id=target.tenant_id,
        client_id=target.client_id,
        client_secret=target.client_secret,
        ca_bundle=target.ca_bundle,
        **kwargs,
    )


def sequential(target: Target, count: int) -> tuple[float, list[float]]:
    client = make_client(target)
    client.test_connection()  # token + TLS session outside the measurement
    latencies: list[float] = []
    started = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        client.customers.get(customer_id=target.customer_id)
        latencies.append(time.perf_counter() - t0)
    return count / (time.perf_counter() - started), latencies


def concurrent(target: Target, count: int, threads: int) -> float:
    client = make_client(target)
    client.test_connection()
    # requests' default pool keeps 10 connections per host; size it to the thread count.
    import requests.adapters

    adapter = requests.adapters.HTTPAdapter(pool_connections=threads, pool_maxsize=threads)
    client._transport.session.mount("https://", adapter)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(lambda _: client.customers.get(customer_id=target.customer_id), range(count)))
    return count / (time.perf_counter() - started)


def limited_worker(
    target: Target,
    redis_url: str,
    key_prefix: str,
    budget_per_minute: int,
    threads: int,
    start_at: float,
    duration: float,
    results: Any,
) -> None:
    import redis

    logging.disable(logging.WARNING)
    limiter = RedisTokenBucketLimiter(
        redis.Redis.from_url(redis_url), {"customers": Budget(budget_per_minute, 60.0)}, key_prefix=key_prefix
    )
    client = make_client(target, rate_limiter=limiter, max_retries=0, instance_key="bench-partner")
    client._transport._providers["app"].get_token()  # type: ignore[union-attr]
    sent = 0
    throttled = 0
    lock = threading.Lock()
    stop_at = start_at + duration

    def loop() -> None:
        nonlocal sent, throttled
        while True:
            try:
                # The limiter decides when the request goes out; count it only if that is inside the window.
                client.customers.get(customer_id=target.customer_id)
                outcome = "ok"
            except ThrottledError:
                outcome = "429"
            if time.time() > stop_at:
                return
            with lock:
                sent += 1
                throttled += outcome == "429"

    time.sleep(max(0.0, start_at - time.time()))
    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    results.put((os.getpid(), sent, throttled))


def shared_limit(target: Target, args: argparse.Namespace, control: Any) -> None:
    try:
        import redis

        redis.Redis.from_url(args.redis_url, socket_connect_timeout=1).ping()
    except Exception as exc:
        print(f"3. shared Redis limiter: SKIPPED, Redis not reachable at {args.redis_url}: {exc}")
        return
    control.set_rate_limit(args.budget, tenant_id=target.tenant_id, family="customers")
    key_prefix = f"bench-pc-ratelimit-{uuid.uuid4()}"
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    start_at = time.time() + 8.0  # spawned interpreters import and fetch tokens before the start
    processes = [
        ctx.Process(
            target=limited_worker,
            args=(
                target,
                args.redis_url,
                key_prefix,
                args.budget,
                args.threads_per_process,
                start_at,
                args.duration,
                results,
            ),
        )
        for _ in range(args.processes)
    ]
    for p in processes:
        p.start()
    rows = [results.get(timeout=args.duration + 120) for _ in processes]
    for p in processes:
        p.join()
    sent = sum(r[1] for r in rows)
    throttled = sum(r[2] for r in rows)
    per_minute = sent / args.duration * 60
    ratio = per_minute / args.budget
    verdict = "OK" if ratio >= 0.9 and throttled == 0 else "MISSED"
    print(
        f"3. shared Redis limiter: budget {args.budget}/min for 'customers', simulator throttling at the same "
        f"budget; {args.processes} processes x {args.threads_per_process} threads for {args.duration:.0f}s"
    )
    print(f"   per process sent: {[r[1] for r in rows]}")
    print(f"   sent {sent} = {per_minute:.0f}/min -> {ratio:.3f} of budget; 429s received: {throttled}  [{verdict}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400, help="requests per throughput phase")
    parser.add_argument("--threads", type=int, default=8, help="threads in the concurrent phase")
    parser.add_argument("--budget", type=int, default=600, help="requests per minute for the limiter phase")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of the limiter phase")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads-per-process", type=int, default=2)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    from partnercenter.simulator.testing import run_simulator

    with run_simulator(rate_limit_per_minute=0) as sim:
        partner = sim.partners.direct
        target = Target(
            sim.base_url,
            sim.ca_bundle,
            partner.tenant_id,
            partner.client_id,
            partner.client_secret,
            sim.control.seeded["customer_mca"],
        )
        print(f"simulator at {sim.base_url} (HTTPS, local CA); request: GET /v1/customers/{{id}}, app-only token")
        rps, latencies = sequential(target, args.requests)
        p50 = statistics.median(latencies) * 1000
        p95 = statistics.quantiles(latencies, n=20)[18] * 1000
        print(f"1. sequential: {args.requests} requests, {rps:.0f} req/s (p50 {p50:.1f} ms, p95 {p95:.1f} ms)")
        rps_c = concurrent(target, args.requests, args.threads)
        print(
            f"2. concurrent: {args.requests} requests over {args.threads} threads, one shared client: {rps_c:.0f} req/s"
        )
        shared_limit(target, args, sim.control)


if __name__ == "__main__":
    main()
