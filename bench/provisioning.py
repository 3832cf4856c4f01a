"""Provisioning throughput against the Partner Center simulator.

Starts the HTTPS simulator answering every API call after `--latency` seconds, places `--orders` new-customer orders
through provisioning's `order_submit` from `--workers` threads (each thread runs the whole pipeline of its
orders, as a Celery worker process would: tasks are eager here), and prints orders/minute and the ratio against the
critical-path minimum: calls per order x latency x N / K (the time K perfectly parallel workers would need if only
Partner Center's latency counted). Goal: ratio >= 0.8.

    .venv/bin/python bench/provisioning.py --orders 200 --workers 8 --latency 0.5

Workers are processes (like Celery's prefork pool); the simulator runs in its own process. It serves one call in
about 30 ms of its own CPU, serially, so below ~0.3 s of latency the simulator, not the pipeline, is the limit
(measured: latency 0.5 s -> ratio 0.87; 0.2 s -> 0.56, where 0 s latency shows the simulator's ceiling of ~30
calls/s whatever the number of workers).

Partner Center's rate limits (500 requests/minute per resource family) are off by default here: with them on, the
limit, not the pipeline, sets the pace (`--rate-limit 500` shows it). The database is a fresh SQLite file unless
`--database-url` names another (e.g. a PostgreSQL database to be migrated and filled).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds the simulator waits before each answer")
    parser.add_argument("--rate-limit", type=int, default=0, help="requests/minute per family (0 = off)")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--threads", action="store_true", help="worker threads in one process instead of processes")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-provisioning-"))
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["BSS_VAR_DIR"] = str(workdir)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    os.environ["PARTNER_CENTER_MAX_RETRIES"] = "2"
    os.environ["PARTNER_CENTER_RATE_LIMIT_REDIS_URL"] = ""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    with simulator(workdir, args.rate_limit) as sim:
        os.environ["PARTNER_CENTER_CA_BUNDLE"] = sim.ca_bundle or ""
        import django

        django.setup()
        return run(sim, args)


@contextmanager
def simulator(workdir: Path, rate_limit: int):
    """The simulator in its own process (python -m partnercenter.simulator), as in production: a separate server
    whose CPU does not compete with the workers'."""
    from partnercenter.simulator.testing import SEEDED_PARTNERS, Control

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "partnercenter.simulator", "--port", str(port), "--cert-dir", str(workdir / "certs"),
         "--order-delay", "0", "--rate-limit", str(rate_limit)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        lines = []
        assert process.stdout is not None  # stdout=PIPE
        for text in process.stdout:  # the first JSON document it prints describes the running server
            lines.append(text)
            if text.startswith("}"):
                break
        info = json.loads("".join(lines))
        yield SimpleNamespace(
            base_url=info["base_url"], login_url=info["login_url"], ca_bundle=info["ca_bundle"],
            partners=SEEDED_PARTNERS, control=Control(info["base_url"], verify=info["ca_bundle"] or True),
        )
    finally:
        process.terminate()
        process.wait(timeout=20)


_CTX: dict = {}


def _worker_init() -> None:
    """A forked worker: its own database connection and Partner Center client (sockets are not shared)."""
    from django.db import connections

    import bss.partner_center as partner_center

    connections.close_all()
    partner_center._clients.clear()


def _place(n: int) -> str:
    from decimal import Decimal as D

    from django.db import connection
    from django.utils import timezone

    from bss.choices import AcceptanceRole
    from bss.inputs import MCAAcceptanceInput, NewCustomerInput, OrderLineInput
    from provisioning.services import orders as services

    run_id = _CTX["run_id"]
    try:
        order = services.order_submit(
            actor=_CTX["user"], marketplace=_CTX["marketplace"], reseller=_CTX["reseller"],
            submission_key=f"bench-{run_id}-{n}",
            lines=[OrderLineInput("CFQ7TTC0LH18", "0001", "CFQ7TTC0K971", "Microsoft 365 Business Basic",
                                  5 + n % 20, "P1Y", "monthly", D("6.00"), "USD", max_quantity=300)],
            new_customer=NewCustomerInput(
                company_name=f"Bench customer {n}", domain_prefix=f"bench{run_id}{n}",
                contact_first_name="Ana", contact_last_name="Ruiz", contact_email=f"it{n}@bench.example",
                contact_phone="2065550133", address_line1="400 Pine St", city="Seattle", state="WA",
                postal_code="98101", country="US"),
            mca=MCAAcceptanceInput("Ana", "Ruiz", f"it{n}@bench.example", "", timezone.now(),
                                   AcceptanceRole.RESELLER, "198.51.100.1", "bench"),
        )
        order.refresh_from_db()
        return str(order.status)
    finally:
        connection.close()


def run(sim, args) -> int:
    from django.core.management import call_command
    from django.db import connection

    import bss.partner_center as partner_center
    from bss.choices import OrderStatus, ResellerKind, UserRole
    from bss.models import Marketplace, Order, PartnerCenterInstance, Reseller, User
    from config.celery import app as celery_app
    from partnercenter.ratelimit import NullRateLimiter, TokenBucketLimiter

    celery_app.conf.task_always_eager = True
    if not args.rate_limit:
        mock.patch.object(partner_center, "_shared_rate_limiter", NullRateLimiter).start()
    else:
        partner_center._shared_rate_limiter.cache_clear()
        assert isinstance(partner_center._shared_rate_limiter(), TokenBucketLimiter)
    call_command("migrate", verbosity=0, interactive=False)
    partner = sim.partners.direct
    instance = PartnerCenterInstance.objects.create(
        name=f"Simulator {uuid.uuid4().hex[:6]}", api_base_url=sim.base_url, login_authority_url=sim.login_url,
        price_sheet_base_url=sim.base_url, partner_tenant_id=partner.tenant_id, partner_id=partner.mpn_id,
        application_id=partner.client_id, application_secret=partner.client_secret,
        refresh_token=partner.refresh_token, annual_provisioning_enabled=True,
    )
    provider = Reseller.objects.create(name="Bench provider", kind=ResellerKind.PROVIDER)
    reseller = Reseller.objects.create(name="Bench reseller", kind=ResellerKind.LIGHT, parent=provider)
    marketplace = Marketplace.objects.create(owner=provider, name="Bench", slug=f"bench-{uuid.uuid4().hex[:6]}",
                                             instance=instance)
    user = User.objects.create(username=f"bench-{uuid.uuid4().hex[:6]}", role=UserRole.RESELLER, reseller=reseller)
    connection.close()

    _CTX.update(user=user, marketplace=marketplace, reseller=reseller, run_id=uuid.uuid4().hex[:6])
    sim.control.clear_requests()
    if args.latency > 0:
        sim.control.inject_fault("latency", method="*", path="/v1/*", count=10**9, seconds=args.latency)
    started = time.monotonic()
    if args.threads:
        with ThreadPoolExecutor(max_workers=args.workers, thread_name_prefix="bench") as pool:
            statuses = list(pool.map(_place, range(args.orders)))
    else:
        # Worker processes, like Celery's prefork pool: Python's GIL would otherwise make one process the limit.
        from django.db import connections

        connections.close_all()
        with multiprocessing.get_context("fork").Pool(args.workers, initializer=_worker_init) as pool:
            statuses = pool.map(_place, range(args.orders), chunksize=1)
    elapsed = time.monotonic() - started
    sim.control.clear_faults()

    api_calls = [r for r in sim.control.requests() if r["path"].startswith("/v1/")]
    completed = statuses.count(OrderStatus.COMPLETED)
    calls_per_order = len(api_calls) / max(1, args.orders)
    minimum = calls_per_order * args.latency * args.orders / args.workers
    per_minute = completed / elapsed * 60
    ratio = minimum / elapsed if elapsed else 0.0
    print(f"orders placed          {args.orders} ({completed} completed, "
          f"{Order.objects.exclude(status=OrderStatus.COMPLETED).count()} not)")
    print(f"workers                {args.workers} {'threads' if args.threads else 'processes'}")
    print(f"simulator latency      {args.latency:.3f} s per call")
    print(f"Partner Center calls   {len(api_calls)} ({calls_per_order:.2f} per order)")
    print(f"elapsed                {elapsed:.1f} s")
    print(f"throughput             {per_minute:.0f} orders/minute")
    print(f"critical-path minimum  {minimum:.1f} s = {calls_per_order:.2f} calls x {args.latency} s x "
          f"{args.orders} / {args.workers}")
    print(f"ratio                  {ratio:.2f} (goal >= 0.8){'' if ratio >= 0.8 else '  BELOW GOAL'}")
    print(f"threads alive          {threading.active_count()}")
    return 0 if completed == args.orders else 1


if __name__ == "__main__":
    raise SystemExit(main())
