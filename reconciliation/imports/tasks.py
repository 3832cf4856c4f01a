"""Thin task wrappers: take a run id, call one service. Services are imported in the body (rule 14)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="imports.import_preview_build", acks_late=True)
def import_preview_build_task(run_id: int) -> None:
    from reconciliation.imports.services.preview import import_preview_build
    from reconciliation.imports.services.runs import import_run_fail

    try:
        import_preview_build(run_id=run_id)
    except Exception:
        logger.exception("import run %s: preview crashed", run_id)
        import_run_fail(run_id=run_id, message="Internal error while building the preview (see the server log).")
        raise


@shared_task(name="imports.import_run_execute", acks_late=True)
def import_run_execute_task(run_id: int) -> None:
    """Import one batch of customers, then chain the next batch (no unbounded loop in one task)."""
    from reconciliation.imports.services.importing import import_run_execute
    from reconciliation.imports.services.runs import import_run_fail

    try:
        more = import_run_execute(run_id=run_id)
    except Exception:
        logger.exception("import run %s: import crashed", run_id)
        import_run_fail(run_id=run_id, message="Internal error while importing (see the server log).")
        raise
    if more:
        import_run_execute_task.delay(run_id)
