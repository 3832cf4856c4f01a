"""A real Celery worker process, consuming from Redis, is killed in the middle of a checkout and replaced: the order
still completes with one customer, one Partner Center order and the right subscriptions."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.utils import timezone

from bss.choices import OrderStatus
from bss.models import Order, Subscription
from provisioning.choices import OperationKind, OperationStatus
from provisioning.models import ProvisioningOperation
from provisioning.services import engine, orders, sweep
from tests.conftest import producer_on, redis_url_for_tests
from tests.factories.bss import (
    MarketplaceFactory,
    ProviderFactory,
    ResellerFactory,
    ResellerUserFactory,
    SimInstanceFactory,
)
from tests.provisioning.conftest import line, mca, new_customer

ROOT = Path(__file__).resolve().parents[2]
TEST_DEADLINE_SECONDS = 150


def _redis_reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tests.provisioning.worker_app", "worker", "--pool=solo",
         "--concurrency=1", "-Q", env["PROVISIONING_TEST_QUEUE"], "--without-heartbeat", "--without-gossip",
         "--without-mingle", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )


def stop(worker: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def wait_for(predicate, deadline: float, what: str, log: Path):
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text()[-4000:]}")


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_checkout_is_replaced_and_the_order_completes_once(pc_sim, shared_database, settings,
                                                                            tmp_path):
    url = redis_url_for_tests()
    if not _redis_reachable(url):
        pytest.skip(f"Redis is not reachable at {url}; CI always provides it")
    deadline = time.monotonic() + TEST_DEADLINE_SECONDS
    settings.PARTNER_CENTER_CA_BUNDLE = pc_sim.ca_bundle
    pc_sim.control.configure(order_provisioning_seconds=0)
    # The checkout is slow (the simulator commits it after 4 s); the worker is killed while it waits for the answer.
    pc_sim.control.inject_fault("latency", method="POST", path="/v1/customers/*/carts/*/checkout", count=1, seconds=4)
    queue = f"test-provisioning-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    env = {**os.environ, "REDIS_URL": url, "DATABASE_URL": shared_database, "PROVISIONING_TEST_QUEUE": queue,
           "PARTNER_CENTER_CA_BUNDLE": pc_sim.ca_bundle, "PARTNER_CENTER_TIMEOUT_SECONDS": "20",
           "PARTNER_CENTER_MAX_RETRIES": "0", "CELERY_TASK_ALWAYS_EAGER": "0", "PYTHONUNBUFFERED": "1"}
    provider = ProviderFactory()
    marketplace = MarketplaceFactory(owner=provider, instance=SimInstanceFactory(sim=pc_sim))
    reseller = ResellerFactory(parent=provider)
    user = ResellerUserFactory(reseller=reseller)
    worker = start_worker(env, log)
    replacement = None
    try:
        with producer_on(queue, url):
            order = orders.order_submit(actor=user, marketplace=marketplace, reseller=reseller,
                                         lines=[line(quantity=6)], new_customer=new_customer(), mca=mca(),
                                         submission_key=uuid.uuid4().hex)

            def checkout_running():
                return ProvisioningOperation.objects.filter(
                    order=order, kind=OperationKind.CHECKOUT, status=OperationStatus.RUNNING
                ).exists()

            wait_for(checkout_running, deadline, "the checkout to start", log)
            stop(worker, signal.SIGKILL)  # mid-call: the message is unacknowledged, the step is still "running"
            assert Order.objects.get(pk=order.pk).status == OrderStatus.PROVISIONING

            replacement = start_worker(env, log)
            time.sleep(4.5)  # the simulator finishes the checkout it was given (its injected latency)
            # The periodic sweep, once the dead worker's lease has expired, hands the step to the new worker.
            sweep.operations_enqueue_due(now=timezone.now() + dt.timedelta(seconds=engine.LEASE_SECONDS + 1))

            def completed():
                return Order.objects.filter(pk=order.pk, status=OrderStatus.COMPLETED).exists()

            wait_for(completed, deadline, "the order to complete", log)
    finally:
        stop(worker, signal.SIGKILL)
        if replacement is not None:
            stop(replacement)
        redis.Redis.from_url(url).delete(queue)

    partner = pc_sim.app.state.partner(pc_sim.partners.direct.tenant_id)
    order.refresh_from_db()
    customer_id = order.tenant.pc_customer_id
    assert [c.id for c in partner.customers.values() if c.domain == order.tenant.default_domain] == [customer_id]
    assert len(partner.customer_orders[customer_id]) == 1
    assert [s.quantity for s in partner.subscriptions.values() if s.customer_id == customer_id] == [6]
    assert list(Subscription.objects.filter(tenant=order.tenant).values_list("quantity", "status")) == [(6, "active")]
    checkout = ProvisioningOperation.objects.get(order=order, kind=OperationKind.CHECKOUT)
    assert checkout.status == OperationStatus.SUCCEEDED and checkout.result["settled_by"].startswith("read-back")
