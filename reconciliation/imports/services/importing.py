"""The import phase of a run: batches of selected customers, then the run's completion.

A Partner Center failure that is not about one customer (transport, throttling, authentication...) stops the run
with what is done committed; resuming (or a new run) picks up exactly what is missing.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from bss.exceptions import ApplicationError
from bss.partner_center import get_client, pc_error_message
from bss.services.audit import audit_record
from partnercenter import errors as pc_errors
from reconciliation.imports.choices import Classification, Outcome, RunStatus
from reconciliation.imports.models import ImportItem, ImportRun
from reconciliation.imports.services.customers import CustomerSkipped, customer_fetch, customer_import
from reconciliation.imports.services.report import item_finish, item_set_outcome
from reconciliation.imports.services.runs import import_run_fail, run_lock, run_transition

logger = logging.getLogger(__name__)

IMPORT_BATCH_SIZE = 25

# Errors that say "Partner Center (or our access to it) is failing", not "this customer has a problem": the run
# stops and is resumed later. Anything else is recorded against the one customer and the run goes on.
RUN_LEVEL_ERRORS: tuple[type[pc_errors.PartnerCenterError], ...] = (
    pc_errors.TransportError,
    pc_errors.ServerError,
    pc_errors.ThrottledError,
    pc_errors.AuthenticationError,
    pc_errors.TokenAcquisitionError,
    pc_errors.ConfigurationError,
    pc_errors.ResponseValidationError,
)


def import_run_execute(*, run_id: int, batch_size: int = IMPORT_BATCH_SIZE) -> bool:
    """Import the next batch of selected customers of a run. True when more remain (the task chains itself)."""
    run = ImportRun.objects.select_related("instance", "started_by").get(pk=run_id)
    if run.status != RunStatus.IMPORTING:
        return False
    pending = list(
        run.items.filter(selected=True, outcome=Outcome.PENDING)
        .exclude(classification=Classification.CONFLICT)
        .order_by("position", "pk")[:batch_size]
    )
    if not pending:
        _finish(run)
        return False
    try:
        client = get_client(run.instance)
    except pc_errors.PartnerCenterError as exc:
        import_run_fail(run_id=run.pk, message=f"Partner Center client unavailable: {pc_error_message(exc)}")
        return False
    for item in pending:
        ImportRun.objects.filter(pk=run.pk).update(stage=f"Importing {item.company_name} ({item.domain})")
        try:
            fetched = customer_fetch(client, run, item)
        except RUN_LEVEL_ERRORS as exc:
            import_run_fail(
                run_id=run.pk,
                message=f"Partner Center failed while importing {item.company_name} ({item.pc_customer_id}): "
                f"{pc_error_message(exc)}. What was imported is kept; resume to continue.",
            )
            return False
        except pc_errors.PartnerCenterError as exc:
            item_finish(run, item, Outcome.FAILED, f"Partner Center: {pc_error_message(exc)}")
            continue
        try:
            customer_import(run, item, fetched)
        except CustomerSkipped as exc:
            item_finish(run, item, Outcome.SKIPPED, str(exc))
        except (ApplicationError, IntegrityError) as exc:
            logger.warning("import run %s: customer %s failed: %s", run.pk, item.pc_customer_id, exc)
            item_finish(run, item, Outcome.FAILED, getattr(exc, "message", None) or str(exc))
    return True


def _finish(run: ImportRun) -> None:
    """Report the customers the run did not import (not selected, conflicts) and close the run."""
    with transaction.atomic():
        locked = run_lock(run.pk)
        if locked.status != RunStatus.IMPORTING:
            return
        leftovers = locked.items.filter(outcome=Outcome.PENDING).order_by("position", "pk")
        for item in leftovers.iterator(chunk_size=500):
            if item.classification == Classification.CONFLICT:
                reason = f"conflict: {item.note}"
            elif item.classification == Classification.LINKED and item.tenant_linked and not _has_new(item):
                reason = "already in the BSS: nothing new"
            else:
                reason = "not selected for import"
            item_set_outcome(locked, item, Outcome.SKIPPED, reason, item.linked_customer, counts_as_done=False)
        locked.refresh_from_db()
        run_transition(locked, RunStatus.COMPLETED)
        locked.finished_at = timezone.now()
        locked.stage = (
            f"Done: {locked.created_count} created, {locked.linked_count} linked, "
            f"{locked.skipped_count} skipped, {locked.failed_count} failed"
        )
        locked.save(update_fields=["status", "finished_at", "stage"])
        audit_record(
            actor=locked.started_by,
            action="import_run.complete",
            obj=locked,
            after={
                "created": locked.created_count,
                "linked": locked.linked_count,
                "skipped": locked.skipped_count,
                "failed": locked.failed_count,
                "subscriptions_created": locked.subscriptions_created,
            },
        )


def _has_new(item: ImportItem) -> bool:
    return any(not s.get("in_bss") and not s.get("skip_reason") for s in item.subscriptions or [])
