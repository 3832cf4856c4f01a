import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from kombu import pools as kombu_pools

from bss.models import PartnerCenterInstance
from config.celery import app as celery_app
from tests.factories.bss import SimInstanceFactory

# The Partner Center simulator's fixtures (pc_sim, ...) are available to every test.
if (Path(__file__).resolve().parent.parent / "partnercenter" / "simulator" / "pytest_plugin.py").exists():
    pytest_plugins = ["partnercenter.simulator.pytest_plugin"]


@pytest.fixture(autouse=True)
def _celery_eager(settings):
    """Tasks run inline in tests (the real-worker test opts out), so a test sees the whole effect of an action."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def sim_settings(settings, pc_sim):
    """The Partner Center client trusts the simulator's CA and makes one try per call (an injected fault fails at
    once; nobody sleeps through back-offs). A test package may extend this fixture (tests/provisioning does)."""
    settings.PARTNER_CENTER_CA_BUNDLE = pc_sim.ca_bundle
    settings.PARTNER_CENTER_MAX_RETRIES = 0
    return settings


@pytest.fixture
def sim_instance(request, sim_settings, pc_sim, db) -> PartnerCenterInstance:
    """The one Partner Center instance record bound to the simulator: its direct partner, App+User credentials,
    annual provisioning on (tests/factories/bss.py SimInstanceFactory).

    Parametrise it indirectly for another partner or fields, e.g.
    ``@pytest.mark.parametrize("sim_instance", [{"partner": "indirect", "name": "Fabrikam"}], indirect=True)``
    (`partner` names one of `pc_sim.partners`). Tests that need several instances call
    ``SimInstanceFactory(sim=pc_sim, partner=..., csp_model=..., cloud=...)`` after asking for `sim_settings`."""
    fields = dict(getattr(request, "param", None) or {})
    partner = getattr(pc_sim.partners, fields.pop("partner", "direct"))
    return SimInstanceFactory(sim=pc_sim, partner=partner, **fields)


def redis_url_for_tests() -> str:
    return os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def shared_database(django_db_blocker, tmp_path):
    """A database the worker process can see: the test database itself on PostgreSQL (the test is transactional,
    so its data is committed); on SQLite, whose test database lives in this process's memory, a migrated file."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        yield f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"
        return
    path = tmp_path / "worker-test.sqlite3"
    with django_db_blocker.unblock():
        # Park the in-memory test database's connection (closing it would drop that database) and use the file.
        original_name, parked = connection.settings_dict["NAME"], connection.connection
        connection.connection = None
        connection.settings_dict["NAME"] = str(path)
        try:
            call_command("migrate", verbosity=0, interactive=False)
            yield f"sqlite:///{path}"
        finally:
            if connection.connection is not None:
                connection.connection.close()
            connection.settings_dict["NAME"] = original_name
            connection.connection = parked


@contextmanager
def producer_on(queue: str, url: str):
    """This process's Celery app sends to Redis, to the test's queue, instead of running tasks inline."""
    conf = celery_app.conf
    saved = {k: conf.get(k) for k in ("task_always_eager", "broker_url", "task_default_queue", "task_routes")}
    conf.update(task_always_eager=False, broker_url=url, task_default_queue=queue, task_routes={"*": {"queue": queue}})
    _forget_connections()
    try:
        yield
    finally:
        conf.update(saved)
        _forget_connections()


def _forget_connections() -> None:
    # kombu keeps a process-wide registry of connection pools keyed by broker URL; a pool closed here must leave
    # that registry too, or the next producer for the same URL gets "Acquire on closed pool".
    kombu_pools.reset()
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    for cached in ("router", "_rtable", "queues"):
        celery_app.amqp.__dict__.pop(cached, None)


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`make test` runs the suite on several processes), the tests that start real Celery workers
    share Redis queues and worker databases: they run one after the other on one process."""
    for item in items:
        if item.get_closest_marker("celery_worker"):
            item.add_marker(pytest.mark.xdist_group("celery_worker"))
