"""A real Celery worker process is killed (SIGKILL) in the middle of a checkout that Partner Center commits anyway,
and a second worker takes over, on Redis and on the embedded filesystem transport (which never redelivers the dead
worker's message). The order completes exactly once -- one customer, one Partner Center order, the right
subscriptions -- within two minutes of the kill, with the periodic sweep running at the product's cadence."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.utils import timezone

from bss.choices import OrderStatus
from bss.models import Order, Subscription
from config.celery import app as celery_app
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
from tests.factories.provisioning import ProvisioningOperationFactory
from tests.provisioning.conftest import line, mca, new_customer

ROOT = Path(__file__).resolve().parents[2]
RECOVERY_LIMIT_SECONDS = 120  # from the kill to the completed order
TEST_DEADLINE_SECONDS = 150  # the whole test: it fails instead of waiting out a long lease
CHECKOUT_LATENCY_SECONDS = 3  # the simulator holds the checkout this long, then commits it
CHECKOUT_PATH = "/v1/customers/*/carts/*/checkout"
# The product's beat runs the sweep at this cadence; the test plays beat.
SWEEP_SECONDS = float(celery_app.conf.beat_schedule["provisioning.due"]["schedule"])


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


@contextmanager
def broker(transport: str, queue: str, tmp_path: Path):
    """The worker's environment and this process's producer, on Redis or on the filesystem transport (in a private
    folder: BSS_VAR_DIR is where the embedded settings keep the queue)."""
    if transport == "redis":
        url = redis_url_for_tests()
        if not _redis_reachable(url):
            pytest.skip(f"Redis is not reachable at {url}; CI always provides it")
        with producer_on(queue, url):
            yield {"REDIS_URL": url}
        redis.Redis.from_url(url).delete(queue)
        return
    var = tmp_path / "var"
    options = {
        "data_folder_in": str(var / "celery" / "queue"),
        "data_folder_out": str(var / "celery" / "queue"),
        "control_folder": str(var / "celery" / "control"),
        "store_processed": False,
    }
    for folder in ("queue", "control"):
        (var / "celery" / folder).mkdir(parents=True, exist_ok=True)
    saved = celery_app.conf.broker_transport_options
    celery_app.conf.broker_transport_options = options
    try:
        with producer_on(queue, "filesystem://"):
            yield {"REDIS_URL": "", "BSS_VAR_DIR": str(var), "PARTNER_CENTER_RATE_LIMIT_REDIS_URL": ""}
    finally:
        celery_app.conf.broker_transport_options = saved


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("transport", ["redis", "filesystem"])
def test_a_worker_killed_mid_checkout_is_replaced_and_the_order_completes_once_within_two_minutes(
    transport, pc_sim, shared_database, settings, tmp_path
):
    deadline = time.monotonic() + TEST_DEADLINE_SECONDS
    settings.PARTNER_CENTER_CA_BUNDLE = pc_sim.ca_bundle
    pc_sim.control.configure(order_provisioning_seconds=0)
    # The checkout is slow: the simulator holds it, then commits it; the worker is killed while it waits.
    pc_sim.control.inject_fault("latency", method="POST", path=CHECKOUT_PATH, count=1,
                                seconds=CHECKOUT_LATENCY_SECONDS)
    queue = f"test-provisioning-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    provider = ProviderFactory()
    marketplace = MarketplaceFactory(owner=provider, instance=SimInstanceFactory(sim=pc_sim))
    reseller = ResellerFactory(parent=provider)
    user = ResellerUserFactory(reseller=reseller)
    partner = pc_sim.app.state.partner(pc_sim.partners.direct.tenant_id)
    worker = replacement = None
    with broker(transport, queue, tmp_path) as broker_env:
        env = {**os.environ, **broker_env, "DATABASE_URL": shared_database, "PROVISIONING_TEST_QUEUE": queue,
               "PARTNER_CENTER_CA_BUNDLE": pc_sim.ca_bundle, "PARTNER_CENTER_TIMEOUT_SECONDS": "20",
               "PARTNER_CENTER_MAX_RETRIES": "0", "CELERY_TASK_ALWAYS_EAGER": "0", "PYTHONUNBUFFERED": "1"}
        env.pop("PROVISIONING_LEASE_SECONDS", None)  # the product's lease, not a test's
        worker = start_worker(env, log)
        try:
            order = orders.order_submit(actor=user, marketplace=marketplace, reseller=reseller,
                                        lines=[line(quantity=6)], new_customer=new_customer(), mca=mca(),
                                        submission_key=uuid.uuid4().hex)

            def checkout_in_flight():
                return ProvisioningOperation.objects.filter(
                    order=order, kind=OperationKind.CHECKOUT, status=OperationStatus.RUNNING
                ).exists() and pc_sim.control.requests(method="POST", path=CHECKOUT_PATH)

            wait_for(checkout_in_flight, deadline, "the checkout to reach Partner Center", log)
            stop(worker, signal.SIGKILL)  # mid-call: the message is unacknowledged, the step is still "running"
            killed_at = time.monotonic()
            order.refresh_from_db()
            assert order.status == OrderStatus.PROVISIONING

            def committed_at_partner_center():
                return partner.customer_orders.get(order.tenant.pc_customer_id)

            wait_for(committed_at_partner_center, deadline, "the simulator to commit the checkout", log)
            replacement = start_worker(env, log)

            # Beat: the sweep at the product's cadence, from the kill on; recovery must not rely on redelivery.
            next_sweep = killed_at + SWEEP_SECONDS
            limit = min(deadline, killed_at + RECOVERY_LIMIT_SECONDS)
            while not Order.objects.filter(pk=order.pk, status=OrderStatus.COMPLETED).exists():
                now = time.monotonic()
                if now >= limit:
                    checkout = ProvisioningOperation.objects.get(order=order, kind=OperationKind.CHECKOUT)
                    pytest.fail(
                        f"[{transport}] the order did not complete within {now - killed_at:.0f} s of the kill "
                        f"(checkout {checkout.status}, claimed until {checkout.claimed_until}); "
                        f"worker log:\n{log.read_text()[-3000:]}"
                    )
                if now >= next_sweep:
                    sweep.operations_enqueue_due()
                    next_sweep += SWEEP_SECONDS
                time.sleep(0.25)
            recovery = time.monotonic() - killed_at
            print(f"\n[{transport}] order completed {recovery:.1f} s after the worker was killed")  # noqa: T201 - the figure
        finally:
            for process in (worker, replacement):
                if process is not None:
                    stop(process, signal.SIGKILL)

    assert recovery < RECOVERY_LIMIT_SECONDS
    order.refresh_from_db()
    customer_id = order.tenant.pc_customer_id
    assert [c.id for c in partner.customers.values() if c.domain == order.tenant.default_domain] == [customer_id]
    assert len(partner.customer_orders[customer_id]) == 1  # bought exactly once
    # The read-back found the cart checked out and checked out that same cart again, which Partner Center answers
    # with the first checkout's order: never a second cart, never a second order.
    assert len({r["path"] for r in pc_sim.control.requests(method="POST", path=CHECKOUT_PATH)}) == 1
    assert [s.quantity for s in partner.subscriptions.values() if s.customer_id == customer_id] == [6]
    assert list(Subscription.objects.filter(tenant=order.tenant).values_list("quantity", "status")) == [(6, "active")]
    checkout = ProvisioningOperation.objects.get(order=order, kind=OperationKind.CHECKOUT)
    assert checkout.status == OperationStatus.SUCCEEDED and checkout.result["settled_by"].startswith("read-back")


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_live_worker_keeps_a_checkout_slower_than_its_lease_the_heartbeat_renews_it(
    pc_sim, shared_database, settings, tmp_path
):
    """The other half of a short lease: a worker that is alive is never overtaken, however long Partner Center
    takes. A short lease (6 s, renewed every second) and a checkout that takes more than twice as long, with the
    sweep running every second: the step is run once, checked out once, and completes."""
    lease, latency = 6, 14
    deadline = time.monotonic() + 90
    settings.PARTNER_CENTER_CA_BUNDLE = pc_sim.ca_bundle
    pc_sim.control.configure(order_provisioning_seconds=0)
    pc_sim.control.inject_fault("latency", method="POST", path=CHECKOUT_PATH, count=1, seconds=latency)
    queue = f"test-provisioning-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    provider = ProviderFactory()
    marketplace = MarketplaceFactory(owner=provider, instance=SimInstanceFactory(sim=pc_sim))
    reseller = ResellerFactory(parent=provider)
    user = ResellerUserFactory(reseller=reseller)
    partner = pc_sim.app.state.partner(pc_sim.partners.direct.tenant_id)
    with broker("filesystem", queue, tmp_path) as broker_env:
        env = {**os.environ, **broker_env, "DATABASE_URL": shared_database, "PROVISIONING_TEST_QUEUE": queue,
               "PARTNER_CENTER_CA_BUNDLE": pc_sim.ca_bundle, "PARTNER_CENTER_TIMEOUT_SECONDS": "30",
               "PARTNER_CENTER_MAX_RETRIES": "0", "CELERY_TASK_ALWAYS_EAGER": "0", "PYTHONUNBUFFERED": "1",
               "PROVISIONING_LEASE_SECONDS": str(lease), "PROVISIONING_LEASE_HEARTBEAT_SECONDS": "1"}
        worker = start_worker(env, log)
        try:
            order = orders.order_submit(actor=user, marketplace=marketplace, reseller=reseller,
                                        lines=[line(quantity=2)], new_customer=new_customer(), mca=mca(),
                                        submission_key=uuid.uuid4().hex)
            while not Order.objects.filter(pk=order.pk, status=OrderStatus.COMPLETED).exists():
                if time.monotonic() >= deadline:
                    pytest.fail(f"the order did not complete; worker log:\n{log.read_text()[-3000:]}")
                sweep.operations_enqueue_due()  # as often as it can: a lapsed lease would be taken at once
                time.sleep(1)
        finally:
            stop(worker, signal.SIGKILL)

    checkout = ProvisioningOperation.objects.get(order=order, kind=OperationKind.CHECKOUT)
    assert checkout.attempt_count == 1 and "settled_by" not in checkout.result  # never taken over, never read back
    assert list(checkout.attempts.values_list("outcome", flat=True)) == ["succeeded"]
    assert checkout.attempts.get().duration_ms >= latency * 1000  # it did outlast its lease, twice over
    assert len(pc_sim.control.requests(method="POST", path=CHECKOUT_PATH)) == 1
    order.refresh_from_db()
    assert len(partner.customer_orders[order.tenant.pc_customer_id]) == 1


# --- the lease and its heartbeat, without a worker process ------------------------------------------------------


def _running(claim: str, seconds_left: float) -> ProvisioningOperation:
    return ProvisioningOperationFactory(
        kind=OperationKind.CHECKOUT, status=OperationStatus.RUNNING, claimed_by=claim,
        claimed_until=timezone.now() + dt.timedelta(seconds=seconds_left),
    )


def test_the_lease_is_well_under_two_minutes_and_renewed_several_times_within_it():
    assert engine.LEASE_SECONDS < 120
    assert engine.HEARTBEAT_SECONDS <= engine.LEASE_SECONDS / 3


@pytest.mark.django_db
def test_a_stale_worker_cannot_extend_a_claim_another_worker_holds():
    op = _running("task-b/2222", seconds_left=5)
    before = op.claimed_until
    assert before is not None

    assert engine.lease_renew(operation_id=op.pk, claim="task-a/1111") is False
    op.refresh_from_db()
    assert op.claimed_until == before and op.claimed_by == "task-b/2222"

    assert engine.lease_renew(operation_id=op.pk, claim="task-b/2222") is True
    op.refresh_from_db()
    assert op.claimed_until is not None
    assert op.claimed_until > before + dt.timedelta(seconds=engine.LEASE_SECONDS - 10)


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_a_slow_step_s_lease_alive_and_stops_when_the_step_ends():
    op = _running("task-a/1111", seconds_left=1)
    first = op.claimed_until
    assert first is not None

    with engine.lease_heartbeat(operation_id=op.pk, claim="task-a/1111", every=0.2):
        time.sleep(1.5)  # the Partner Center call, slower than the lease it started with
        op.refresh_from_db()
        assert op.claimed_until is not None
        assert op.claimed_until > timezone.now() + dt.timedelta(seconds=engine.LEASE_SECONDS - 5) > first

    renewed = ProvisioningOperation.objects.get(pk=op.pk).claimed_until
    time.sleep(0.6)
    assert ProvisioningOperation.objects.get(pk=op.pk).claimed_until == renewed  # stopped with the step


@pytest.mark.django_db
def test_a_step_under_a_live_lease_is_neither_taken_over_nor_released_by_the_sweep():
    op = _running("task-a/1111", seconds_left=engine.LEASE_SECONDS)

    assert engine.operation_execute(operation_id=op.pk, worker="task-a").claimed_by == "task-a/1111"
    sweep.operations_enqueue_due()

    op.refresh_from_db()
    assert op.status == OperationStatus.RUNNING and op.claimed_by == "task-a/1111" and op.attempt_count == 0
