"""The project's Celery app, routed to one test's private queue (used by the real-worker test only)."""

import os

from config.celery import app

QUEUE = os.environ["PROVISIONING_TEST_QUEUE"]
app.conf.task_default_queue = QUEUE
app.conf.task_routes = {"*": {"queue": QUEUE}}

__all__ = ["app"]
