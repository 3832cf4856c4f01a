"""Reconciliation at Partner Center's rate floor: a nightly run over a large estate through real Celery workers.

Usage:
    .venv/bin/python bench/reconciliation.py [--customers 10000] [--subscriptions 10] [--workers 4]
        [--rate-limit L] [--drift 0.1] [--redis-url redis://127.0.0.1:6379/13] [--database-url postgresql:///cspbss]

What it does (it starts everything it needs, and stops it):
1. The HTTPS Partner Center simulator in its own process, enforcing L requests/minute per partner and resource
   family (429 + Retry-After past it). By default L = customers / 2 (a 2-minute floor: each customer costs one
   subscription read).
2. N customers x K subscriptions seeded in the simulator in one control call (`POST /_sim/bulk-seed`), and
   mirrored in bulk into a fresh PostgreSQL database (`<name>_bench_recon`, migrated), with every
   `1/drift`-th subscription's quantity changed on our side (the differences to find).
3. `--workers` real Celery worker processes (`celery -A config worker`) on a Redis database of the bench's own
   (flushed first), with the shared Redis rate limiter on: its subscriptions budget is L minus `--margin` (3 %),
   so a correct client never collects a 429. A task whose budget is spent for more than
   PARTNER_CENTER_RATE_LIMIT_MAX_WAIT_SECONDS retries itself later instead of sleeping.
4. One instance-wide run, timed from `reconciliation_run_start` to the run's completion.

The last lines print the wall time against the floor (calls / L; goal <= 1.15), the 429s the simulator sent
(goal 0), Partner Center calls per customer, and the findings found against the differences planted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, suppress
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

GOAL_RATIO = 1.15
BATCH = 5000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--subscriptions", type=int, default=10, help="subscriptions per customer")
    parser.add_argument("--workers", type=int, default=4, help="Celery worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process (Celery threads pool)")
    parser.add_argument("--lanes", type=int, default=0, help="RECONCILIATION_CONCURRENCY (default workers x threads)")
    parser.add_argument("--rate-limit", type=int, default=0, help="the simulator's L per minute (default N / 2)")
    parser.add_argument("--margin", type=float, default=0.03, help="our budget = L x (1 - margin)")
    parser.add_argument("--drift", type=float, default=0.1, help="share of subscriptions changed on our side")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", "postgresql:///cspbss"))
    parser.add_argument("--keep-database", action="store_true")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    n, k = args.customers, args.subscriptions
    limit = args.rate_limit or max(1, n // 2)
    budget = max(1, int(limit * (1 - args.margin)))
    lanes = args.lanes or args.workers * args.threads
    workdir = Path(tempfile.mkdtemp(prefix="bench-recon-"))
    database_url = fresh_database(args.database_url)
    redis_url = ensure_redis(args.redis_url, workdir)
    os.environ.update({
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "PARTNER_CENTER_RATE_LIMITS": f"subscriptions={budget}",
        "RECONCILIATION_CONCURRENCY": str(lanes), "PARTNER_CENTER_MAX_RETRIES": "0",
    })
    import django

    django.setup()
    from django.core.management import call_command

    print(f"database {urlsplit(database_url).path.lstrip('/')}: migrating", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    try:
        with simulator(workdir, limit) as sim:
            os.environ["PARTNER_CENTER_CA_BUNDLE"] = sim.ca_bundle or ""
            from django.conf import settings

            settings.PARTNER_CENTER_CA_BUNDLE = sim.ca_bundle or ""
            planted = seed(sim, n, k, args.drift)
            with workers(args.workers, args.threads, workdir):
                result = run(sim)
            report(result, n=n, k=k, limit=limit, budget=budget, planted=planted, args=args, lanes=lanes)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_database:
            drop_database(database_url)
        shutil.rmtree(workdir, ignore_errors=True)


# -- what the bench starts -----------------------------------------------------------------------------------------
def _admin(url: str) -> tuple[Any, str]:
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'cspbss'}_bench_recon"
    admin = f"postgresql://{parts.netloc}/postgres"
    return psycopg.connect(admin, autocommit=True), name


def fresh_database(url: str) -> str:
    """An empty database of the bench's own next to `url`'s (dropped first if a previous run left it)."""
    connection, name = _admin(url)
    with connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://{urlsplit(url).netloc}/{name}"


def drop_database(url: str) -> None:
    connection, name = _admin(url.rsplit("_bench_recon", 1)[0])
    with connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ensure_redis(url: str, workdir: Path) -> str:
    """`url`'s Redis database, flushed (it is the bench's own); a redis-server of our own if none answers."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        client.flushdb()
        return url
    except redis.RedisError:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit(f"Redis does not answer at {url} and redis-server is not installed") from None
    port = _free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(workdir)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _STARTED.append(process)
    own = f"redis://127.0.0.1:{port}/0"
    for _ in range(50):
        with suppress(redis.RedisError):
            redis.Redis.from_url(own).ping()
            return own
        time.sleep(0.1)
    raise SystemExit("could not start redis-server")


_STARTED: list[subprocess.Popen[bytes]] = []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def simulator(workdir: Path, limit: int):
    """The simulator in its own process, as Partner Center is: its CPU is not the workers'."""
    from partnercenter.simulator.testing import SEEDED_PARTNERS, Control

    process = subprocess.Popen(
        [sys.executable, "-m", "partnercenter.simulator", "--port", "0", "--cert-dir", str(workdir / "certs"),
         "--empty", "--order-delay", "0", "--rate-limit", str(limit)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        lines = []
        assert process.stdout is not None
        for text in process.stdout:  # the first JSON document it prints describes the running server
            lines.append(text)
            if text.startswith("}"):
                break
        info = json.loads("".join(lines))
        control = Control(info["base_url"], verify=info["ca_bundle"] or True, timeout=600)
        # The partner's limit L, for every resource family (the control API's per-partner setting).
        control.set_rate_limit(limit, tenant_id=SEEDED_PARTNERS.direct.tenant_id)
        yield SimpleNamespace(base_url=info["base_url"], login_url=info["login_url"], ca_bundle=info["ca_bundle"],
                              partners=SEEDED_PARTNERS, control=control)
    finally:
        process.terminate()
        process.wait(timeout=20)
        for started in _STARTED:
            started.terminate()


@contextmanager
def workers(count: int, threads: int, workdir: Path):
    """`count` Celery worker processes (threads pool) on both queues, each in its own process group."""
    from config.celery import app

    processes = []
    for i in range(count):
        log = (workdir / f"worker{i}.log").open("ab")
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=threads", f"--concurrency={threads}",
             "-Q", "celery,sweeps", "-n", f"bench{i}@%h", "--prefetch-multiplier=1", "--without-gossip",
             "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
            cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        ))
    try:
        deadline = time.monotonic() + 120
        while len(app.control.ping(timeout=1.0) or []) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"workers did not start; see {workdir}/worker*.log")
        yield processes
    finally:
        for process in processes:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


# -- the estate ----------------------------------------------------------------------------------------------------
def seed(sim: SimpleNamespace, n: int, k: int, drift: float) -> int:
    """N x K in the simulator (one call), mirrored in bulk into the database; returns the differences planted."""
    from django.db import transaction
    from django.utils import timezone

    from bss.choices import RelationshipStatus
    from bss.models import Customer, MicrosoftTenant, Subscription
    from partnercenter._parse.subscriptions import subscription as parse_subscription
    from reconciliation import comparators
    from tests.factories.bss import MarketplaceFactory, PartnerCenterInstanceFactory, ProviderFactory, ResellerFactory

    started = time.perf_counter()
    estate = sim.control.bulk_seed(n, k, daysAgo=30)
    seeded = time.perf_counter() - started
    partner = sim.partners.direct
    every = max(1, round(1 / drift)) if drift > 0 else 0
    planted = seen = 0
    with transaction.atomic():
        instance = PartnerCenterInstanceFactory(
            name="Bench (simulator)", api_base_url=sim.base_url, login_authority_url=sim.login_url,
            partner_tenant_id=partner.tenant_id, application_id=partner.client_id,
            application_secret=partner.client_secret,
        )
        provider = ProviderFactory()
        reseller = ResellerFactory(parent=provider)
        marketplace = MarketplaceFactory(owner=provider, instance=instance)
        rows = estate["customers"]
        for start in range(0, len(rows), BATCH):
            chunk = rows[start:start + BATCH]
            customers = Customer.objects.bulk_create(
                [Customer(reseller=reseller, marketplace=marketplace, company_name=c["companyName"],
                          contact_email=f"it@{c['domain']}") for c in chunk])
            tenants = MicrosoftTenant.objects.bulk_create(
                [MicrosoftTenant(customer=customer, instance=instance, pc_customer_id=c["id"],
                                 default_domain=c["domain"], relationship_status=RelationshipStatus.ACTIVE)
                 for customer, c in zip(customers, chunk, strict=True)])
            subscriptions = []
            for tenant, c in zip(tenants, chunk, strict=True):
                for raw in c["subscriptions"]:
                    values = comparators.pc_values(parse_subscription(raw))
                    seen += 1
                    quantity = values["quantity"]
                    if every and seen % every == 0:
                        quantity += 1
                        planted += 1
                    end = values["commitment_end_date"]
                    subscriptions.append(Subscription(
                        customer=tenant.customer, tenant=tenant, pc_subscription_id=raw["id"], name=values["name"],
                        quantity=quantity, status=values["status"], auto_renew=bool(values["auto_renew"]),
                        billing_cycle=values["billing_cycle"], term_duration=values["term_duration"],
                        pc_offer_id=values["pc_offer_id"], pc_product_id=values["pc_product_id"],
                        pc_sku_id=values["pc_sku_id"],
                        commitment_end_date=dt.date.fromisoformat(end) if end else None,
                    ))
            Subscription.objects.bulk_create(subscriptions, batch_size=BATCH)
        # Last changed long ago: outside the listing delay, so every difference is a finding, not "pending".
        long_ago = timezone.now() - dt.timedelta(hours=2)
        Subscription.objects.filter(tenant__instance=instance).update(created_at=long_ago, updated_at=long_ago)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(f"estate: {n} customers x {k} subscriptions = {n * k} (simulator bulk seed {seeded:.1f} s, "
          f"mirrored in {time.perf_counter() - started - seeded:.1f} s); {planted} quantity differences planted",
          flush=True)
    return planted


# -- the run -------------------------------------------------------------------------------------------------------
def run(sim: SimpleNamespace) -> dict[str, Any]:
    from bss.models import PartnerCenterInstance
    from reconciliation.choices import RUN_ACTIVE_STATUSES, RunScope
    from reconciliation.models import ReconciliationRun
    from reconciliation.services import runs

    def counts() -> tuple[int, int]:
        rows = sim.control.rate_limits()["counts"]
        return sum(r["served"] for r in rows), sum(r["throttled"] for r in rows)

    instance = PartnerCenterInstance.objects.get(name="Bench (simulator)")
    served_before, throttled_before = counts()
    began = time.perf_counter()
    run_row = runs.reconciliation_run_start(actor=None, scope=RunScope.INSTANCE, instance=instance)
    last = -1
    while True:
        time.sleep(0.5)
        current = ReconciliationRun.objects.get(pk=run_row.pk)
        finished = current.customers_done + current.customers_failed + current.customers_cancelled
        if current.status not in RUN_ACTIVE_STATUSES:
            break
        if finished // 1000 != last // 1000:
            print(f"  {time.perf_counter() - began:6.1f} s: {finished}/{current.customers_total} customers checked",
                  flush=True)
            last = finished
    wall = time.perf_counter() - began
    served_after, throttled_after = counts()
    return {"run": current, "wall": wall, "served": served_after - served_before,
            "throttled": throttled_after - throttled_before}


def report(result: dict[str, Any], *, n: int, k: int, limit: int, budget: int, planted: int, args: Any,
           lanes: int) -> None:
    from reconciliation.models import ReconciliationCustomerCheck

    run = result["run"]
    calls = result["served"] + result["throttled"]
    floor = (result["served"] or n) / limit * 60
    ratio = result["wall"] / floor
    retried = ReconciliationCustomerCheck.objects.filter(run=run).exclude(error="").count()
    print(f"run #{run.pk}: {run.status}; {run.customers_done} done, {run.customers_failed} failed "
          f"({retried} with an error), {run.findings_count} findings, {run.pending_count} pending")
    print(f"setup: {args.workers} worker processes x {args.threads} threads, {lanes} lanes; simulator L = {limit}/min "
          f"per family; our subscriptions budget {budget}/min (Redis limiter, max wait "
          f"{os.environ.get('PARTNER_CENTER_RATE_LIMIT_MAX_WAIT_SECONDS', '2')} s)")
    print("figures on a shared 2-core machine (other jobs running): noisy, and an upper bound on our own cost")
    print(f"{'customers':>10} {'subs':>8} {'wall s':>8} {'floor s':>8} {'customers/s':>12} {'PC calls/customer':>18}")
    print(f"{n:>10} {n * k:>8} {result['wall']:>8.1f} {floor:>8.1f} {n / result['wall']:>12.1f} {calls / n:>18.2f}")
    print(f"wall / floor (calls / L): {ratio:.3f} (goal <= {GOAL_RATIO}) {'OK' if ratio <= GOAL_RATIO else 'MISSED'}")
    print(f"429s received: {result['throttled']} (goal 0) {'OK' if result['throttled'] == 0 else 'MISSED'}")
    print(f"findings found vs planted: {run.findings_count} / {planted} "
          f"{'OK' if run.findings_count == planted else 'MISSED'}")


if __name__ == "__main__":
    main()
