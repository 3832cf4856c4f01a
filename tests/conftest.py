import os
from pathlib import Path

import pytest

from bss.celery import app as celery_app
from tests.factories.simulator import sim_instance, use_simulator

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
def pc_instance(pc_sim, settings):
    """A Partner Center instance record bound to the simulator's direct partner (global cloud), with App+User."""
    use_simulator(settings, pc_sim)
    return sim_instance(pc_sim)


def redis_url_for_tests() -> str:
    return os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
