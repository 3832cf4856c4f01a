from celery import shared_task
from django.db import connection


@shared_task(name="config.tasks.health_check")
def health_check() -> dict[str, object]:
    """No-op health task: answers only if a worker is consuming and can reach the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return {"ok": one == 1}
