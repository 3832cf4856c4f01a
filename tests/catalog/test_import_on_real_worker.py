"""A price-list import queued to a real Celery worker with the production pool (prefork): the first import starts
its price-sheet reader process from the pool's worker process (a daemon, which may not use multiprocessing)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection

from catalog.choices import RunSource, RunStatus
from catalog.models import CatalogSyncRun, Price, Product
from catalog.tasks import catalog_run_task
from tests.conftest import producer_on, redis_url_for_tests
from tests.factories.bss import PartnerCenterInstanceFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the reader process serves the PostgreSQL load only")
def test_first_import_runs_on_a_prefork_worker(shared_database, sheet_file, tmp_path):
    url = redis_url_for_tests()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"Redis is not reachable at {url}; CI always provides it")
    instance = PartnerCenterInstanceFactory(name="prefork")
    run = CatalogSyncRun.objects.create(instance=instance, market="US", source=RunSource.FILE,
                                        file_name="sheet.csv", file_path=str(sheet_file(rows=3000)))
    queue = f"test-catalog-{os.getpid()}-{int(time.time())}"
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork", "--concurrency=1", "-Q", queue,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=ROOT, env={**os.environ, "REDIS_URL": url, "DATABASE_URL": shared_database},
        stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        with producer_on(queue, url):
            catalog_run_task.delay(run.pk)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not run.is_finished:
            time.sleep(0.5)
            run.refresh_from_db()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, (run.error, log.read_text()[-2000:])
    assert run.rows_read == run.prices_written == 3000
    assert Price.objects.filter(sku__product__instance=instance).count() == 3000
    assert run.added_count == Product.objects.filter(instance=instance).count() > 0
