"""An import run as staff drive it: start and retry the preview, select customers, start and resume the import.

Also what every phase shares: the run's row lock, its status transitions, stopping it on failure (what is done
stays committed). Partner Center's error is reported with `bss.partner_center.pc_error_message`. The preview itself is
`reconciliation.imports.services.preview`, the import phase `reconciliation.imports.services.importing`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from bss.exceptions import ApplicationError, InvalidTransition
from bss.models import PartnerCenterInstance, User
from bss.services.audit import audit_record
from reconciliation.imports import selectors
from reconciliation.imports.choices import RUN_TRANSITIONS, Classification, RunStatus
from reconciliation.imports.models import ImportRun
from reconciliation.imports.tasks import import_preview_build_task, import_run_execute_task

MAX_PAGE_SIZE = 500


def run_transition(run: ImportRun, to: str) -> None:
    """Move the run to `to` (not saved), refusing a change its status table does not allow."""
    if to not in RUN_TRANSITIONS.get(run.status, set()):
        raise InvalidTransition(
            f"An import run cannot go from {run.get_status_display()!r} to {RunStatus(to).label!r}.",
            extra={"from": run.status, "to": to},
        )
    run.status = to


def run_lock(run_id: int) -> ImportRun:
    """The run's row lock: every change of a run's status goes through it."""
    return ImportRun.objects.select_for_update(of=("self",)).select_related("instance", "started_by").get(pk=run_id)


def run_lock_ready(run_id: int, *, refusal: str) -> ImportRun:
    """Lock a run whose preview staff may still change (selection, reseller mapping): it must be ready."""
    locked = run_lock(run_id)
    if locked.status != RunStatus.READY:
        raise ApplicationError(refusal, code="not_ready")
    return locked


def _run_save_active(run: ImportRun, *, update_fields: list[str]) -> None:
    """Save a run that becomes active again (previewing or importing): one active run per instance (a unique
    constraint), so a concurrent one is refused."""
    try:
        with transaction.atomic():
            run.save(update_fields=update_fields)
    except IntegrityError:
        raise ApplicationError("Another import of this instance is running.", code="import_running") from None


@transaction.atomic
def import_preview_start(
    *, actor: User | None, instance: PartnerCenterInstance, page_size: int = MAX_PAGE_SIZE
) -> ImportRun:
    """Create a run and build its preview in the background."""
    if not instance.is_active:
        raise ApplicationError(f"Partner Center instance {instance.name} is inactive.", code="instance_inactive")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ApplicationError(f"Page size must be between 1 and {MAX_PAGE_SIZE}.", code="invalid_page_size")
    try:
        with transaction.atomic():
            run = ImportRun.objects.create(
                instance=instance,
                status=RunStatus.PREVIEWING,
                stage="Waiting for a worker",
                page_size=page_size,
                started_by=actor if actor is not None and actor.pk else None,
            )
    except IntegrityError:
        raise ApplicationError(
            f"An import of {instance.name} is already running; wait for it to finish.", code="import_running"
        ) from None
    audit_record(
        actor=actor,
        action="import_run.preview_start",
        obj=run,
        after={"instance_id": instance.pk, "page_size": page_size},
    )
    transaction.on_commit(lambda: import_preview_build_task.delay(run.pk))
    return run


@transaction.atomic
def import_preview_retry(*, actor: User | None, run: ImportRun) -> ImportRun:
    """Build the preview again after it failed (the pages already stored are read again and updated)."""
    locked = run_lock(run.pk)
    run_transition(locked, RunStatus.PREVIEWING)
    locked.error = ""
    locked.stage = "Waiting for a worker"
    _run_save_active(locked, update_fields=["status", "error", "stage"])
    audit_record(actor=actor, action="import_run.preview_retry", obj=locked)
    transaction.on_commit(lambda: import_preview_build_task.delay(locked.pk))
    return locked


@transaction.atomic
def import_items_select(
    *, actor: User | None, run: ImportRun, selected: bool, item_ids: Iterable[int] | None = None
) -> int:
    """Select (or unselect) some items, or all of them when `item_ids` is None. Conflicts are never selected."""
    locked = run_lock_ready(run.pk, refusal="The selection can change only while the preview is ready.")
    items = locked.items.exclude(classification=Classification.CONFLICT)
    if item_ids is not None:
        items = items.filter(pk__in=list(item_ids))
    changed = items.exclude(selected=selected).update(selected=selected)
    locked.customers_selected = selectors.run_selected_count(run=locked)
    locked.save(update_fields=["customers_selected"])
    if changed:
        audit_record(
            actor=actor,
            action="import_run.select",
            obj=locked,
            after={"selected": selected, "changed": changed, "all": item_ids is None},
        )
    return changed


@transaction.atomic
def import_run_start(*, actor: User | None, run: ImportRun) -> ImportRun:
    """Start importing the selected customers of a ready preview."""
    locked = run_lock(run.pk)
    if selectors.provider_marketplace_for(instance=locked.instance) is None:
        raise ApplicationError(
            f"{locked.instance.name} has no provider marketplace: imported customers need one. "
            "Create the provider's marketplace for this instance first.",
            code="no_provider_marketplace",
        )
    run_transition(locked, RunStatus.IMPORTING)
    locked.customers_selected = selectors.run_selected_count(run=locked)
    locked.import_started_at = timezone.now()
    locked.stage = "Waiting for a worker"
    _run_save_active(locked, update_fields=["status", "customers_selected", "import_started_at", "stage"])
    audit_record(
        actor=actor, action="import_run.start", obj=locked, after={"customers_selected": locked.customers_selected}
    )
    transaction.on_commit(lambda: import_run_execute_task.delay(locked.pk))
    return locked


@transaction.atomic
def import_run_resume(*, actor: User | None, run: ImportRun) -> ImportRun:
    """Resume an interrupted import: only the customers it has not finished are processed."""
    locked = run_lock(run.pk)
    run_transition(locked, RunStatus.IMPORTING)
    locked.error = ""
    locked.finished_at = None
    locked.stage = "Resuming"
    _run_save_active(locked, update_fields=["status", "error", "finished_at", "stage"])
    audit_record(actor=actor, action="import_run.resume", obj=locked, after={"customers_done": locked.customers_done})
    transaction.on_commit(lambda: import_run_execute_task.delay(locked.pk))
    return locked


def import_run_fail(*, run_id: int, message: str) -> None:
    """Stop a run that is previewing or importing, keeping what is done (also called on unexpected errors)."""
    with transaction.atomic():
        run = run_lock(run_id)
        target: dict[str, str] = {
            RunStatus.PREVIEWING: RunStatus.PREVIEW_FAILED, RunStatus.IMPORTING: RunStatus.IMPORT_FAILED
        }
        if run.status not in target:
            return
        before = run.status
        run.status = target[run.status]
        run.error = message[:4000]
        run.stage = "Stopped: " + message[:240]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "stage", "finished_at"])
        audit_record(
            actor=None,
            actor_label="import worker",
            action="import_run.fail",
            obj=run,
            before={"status": before},
            after={"status": run.status, "error": run.error},
        )
