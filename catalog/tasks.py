"""Thin Celery entry points of the catalog app."""

from celery import shared_task


@shared_task(name="catalog.tasks.catalog_run_task", acks_late=True)
def catalog_run_task(run_id: int) -> str:
    from catalog.services import catalog_run_execute

    return catalog_run_execute(run_id=run_id).status


@shared_task(name="catalog.tasks.catalog_sync_monthly")
def catalog_sync_monthly() -> int:
    """Beat entry (monthly): queue one sync per active instance and market."""
    from catalog.services import catalog_sync_due_runs

    return len(catalog_sync_due_runs(actor=None))
