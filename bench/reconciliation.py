"""Reconciliation benchmark: an instance-wide run over a large estate in the HTTPS simulator.

Usage:
    .venv/bin/python bench/reconciliation.py [--customers N] [--subscriptions K] [--drift 0.1]

Builds N simulator customers with K subscriptions each (one cart per customer), mirrors them into a fresh test
database with a fraction `--drift` of BSS subscriptions changed, runs `reconciliation_run_start` over the
instance (Celery eager: the checks run one after the other in this process) and prints customers/s, the
Partner Center calls per customer (from the simulator's request log) and the findings found against the
differences planted. Our own throughput is measured with the client's rate limiter off; the line after it
gives the ceiling Partner Center's published budget (500 subscription reads/minute per partner) puts on it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

SKUS = ("CFQ7TTC0LH18:0001:CFQ7TTC0K971",)  # Business Basic, bought k times per customer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--subscriptions", type=int, default=3)
    parser.add_argument("--drift", type=float, default=0.1)
    args = parser.parse_args()

    import django

    django.setup()
    logging.disable(logging.INFO)
    from django.test.utils import setup_databases, teardown_databases

    from partnercenter.simulator.testing import run_simulator

    old = setup_databases(verbosity=0, interactive=False)
    try:
        with tempfile.TemporaryDirectory() as certs, run_simulator(cert_dir=certs, seed_data=False) as sim:
            run_bench(sim, args.customers, args.subscriptions, args.drift)
    finally:
        teardown_databases(old, verbosity=0)


def seed_partner_center(sim, n: int, k: int) -> list[str]:
    partner = sim.partners.direct
    session = sim.session(partner.tenant_id)
    # Buy "yesterday" so the subscriptions are outside Partner Center's 15-minute listing delay (not pending).
    today = sim.control.now()
    sim.control.set_clock((dt.datetime.fromisoformat(today.replace("Z", "+00:00")) - dt.timedelta(days=1)).isoformat())
    ids = []
    for i in range(n):
        customer = sim.control.accept_relationship(
            partner.tenant_id, domain=f"bench{i}x{uuid.uuid4().hex[:6]}.onmicrosoft.com", companyName=f"Bench {i}",
            address={"country": "US", "city": "Seattle", "state": "WA", "postalCode": "98101",
                     "addressLine1": "1 Main St"},
        )
        sim.control.direct_sign_mca(partner.tenant_id, customer["id"])
        base = f"{sim.base_url}/v1/customers/{customer['id']}/carts"
        for j in range(k):  # one cart per subscription
            line = {"id": 0, "catalogItemId": SKUS[j % len(SKUS)], "quantity": 3 + j, "billingCycle": "monthly",
                    "termDuration": "P1Y"}
            cart = session.post(base, json={"lineItems": [line]}, timeout=30)
            cart.raise_for_status()
            session.post(f"{base}/{cart.json()['id']}/checkout", timeout=30).raise_for_status()
        ids.append(customer["id"])
    sim.control.complete_orders()
    sim.control.set_clock(today)
    return ids


def run_bench(sim, n: int, k: int, drift: float) -> None:
    from django.conf import settings

    import bss.partner_center as glue
    from bss.models import Subscription
    from bss.partner_center import get_client
    from config.celery import app as celery_app
    from partnercenter.ratelimit import NullRateLimiter
    from reconciliation.choices import RunScope
    from reconciliation.models import Finding
    from reconciliation.services import runs
    from tests.factories.bss import (
        CustomerFactory,
        MarketplaceFactory,
        MicrosoftTenantFactory,
        PartnerCenterInstanceFactory,
        ProviderFactory,
        ResellerFactory,
    )
    from tests.reconciliation.conftest import mirror

    celery_app.conf.task_always_eager = True
    settings.PARTNER_CENTER_CA_BUNDLE = sim.ca_bundle
    settings.PARTNER_CENTER_MAX_RETRIES = 0
    glue._shared_rate_limiter.cache_clear()
    # Our own throughput; the budget's ceiling is printed.
    mock.patch.object(glue, "_shared_rate_limiter", NullRateLimiter).start()
    sim.control.configure(order_provisioning_seconds=0)
    sim.control.set_rate_limit(1_000_000)  # measure the BSS, not the simulator's throttle

    started = time.perf_counter()
    customer_ids = seed_partner_center(sim, n, k)
    partner = sim.partners.direct
    instance = PartnerCenterInstanceFactory(
        api_base_url=sim.base_url, login_authority_url=sim.login_url, partner_tenant_id=partner.tenant_id,
        application_id=partner.client_id, application_secret=partner.client_secret,
    )
    provider = ProviderFactory()
    reseller = ResellerFactory(parent=provider)
    marketplace = MarketplaceFactory(owner=provider, instance=instance)
    client = get_client(instance)
    every = max(1, round(1 / drift)) if drift > 0 else 0
    planted = seen = 0
    for customer_id in customer_ids:
        tenant = MicrosoftTenantFactory(
            customer=CustomerFactory(reseller=reseller, marketplace=marketplace), instance=instance,
            pc_customer_id=customer_id,
        )
        for sub in client.subscriptions.list(customer_id=customer_id):
            row = mirror(tenant, sub)
            seen += 1
            if every and seen % every == 0:
                Subscription.objects.filter(pk=row.pk).update(quantity=row.quantity + 1)
                planted += 1
    print(f"estate: {n} customers x {k} subscriptions, {planted} quantity differences planted "
          f"(setup {time.perf_counter() - started:.1f} s)")

    sim.control.clear_requests()
    began = time.perf_counter()
    run = runs.reconciliation_run_start(actor=None, scope=RunScope.INSTANCE, instance=instance)
    runs.reconciliation_run_fan_out(run_id=run.pk)
    elapsed = time.perf_counter() - began
    run.refresh_from_db()
    api_calls = [r for r in sim.control.requests() if r["path"].startswith("/v1/")]
    token_calls = [r for r in sim.control.requests() if "token" in r["path"]]
    per_customer = len(api_calls) / n
    rate = n / elapsed
    budget_ceiling = 500 / 60 / max(per_customer, 1e-9)
    print(f"run #{run.pk}: {run.status}, {run.customers_done} done / {run.customers_failed} failed, "
          f"{run.findings_count} findings (planted {planted}), {run.pending_count} pending, "
          f"{Finding.objects.count()} finding rows")
    print(f"{'customers':>10} {'seconds':>8} {'customers/s':>12} {'PC calls/customer':>18} {'token calls':>12}")
    print(f"{n:>10} {elapsed:>8.2f} {rate:>12.1f} {per_customer:>18.2f} {len(token_calls):>12}")
    bound = "Partner Center's budget" if rate >= budget_ceiling else "this process (checks run one after another)"
    print(f"Partner Center's budget (500 subscription reads/min per partner) caps a run at {budget_ceiling:.1f} "
          f"customers/s ({n / budget_ceiling / 60:.1f} min for this estate); measured {rate / budget_ceiling:.2f}x "
          f"that ceiling: the bound here is {bound}.")

if __name__ == "__main__":
    main()
