"""A real Celery worker process, consuming from Redis, runs a task end to end."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests.conftest import redis_url_for_tests

ROOT = Path(__file__).resolve().parents[2]


def _redis_reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.celery_worker
def test_real_worker_runs_the_health_task():
    url = redis_url_for_tests()
    if not _redis_reachable(url):
        pytest.skip(f"Redis is not reachable at {url}; CI always provides it")
    queue = f"test-health-{os.getpid()}-{int(time.time())}"
    env = {**os.environ, "REDIS_URL": url}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        from celery import Celery

        producer = Celery("test-producer", broker=url, backend=url)
        result = producer.send_task("config.tasks.health_check", queue=queue)
        assert result.get(timeout=60) == {"ok": True}
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
