"""Statuses of an import run and of its rows, with the allowed run transitions."""

from django.db import models


class RunStatus(models.TextChoices):
    PREVIEWING = "previewing", "Building preview"
    PREVIEW_FAILED = "preview_failed", "Preview failed"
    READY = "ready", "Preview ready"
    IMPORTING = "importing", "Importing"
    IMPORT_FAILED = "import_failed", "Import interrupted"
    COMPLETED = "completed", "Completed"


ACTIVE_RUN_STATUSES = (RunStatus.PREVIEWING, RunStatus.IMPORTING)

RUN_TRANSITIONS: dict[str, set[str]] = {
    RunStatus.PREVIEWING: {RunStatus.READY, RunStatus.PREVIEW_FAILED},
    # A failed preview is retried on the same run (rows are upserted, nothing is duplicated).
    RunStatus.PREVIEW_FAILED: {RunStatus.PREVIEWING},
    RunStatus.READY: {RunStatus.IMPORTING},
    RunStatus.IMPORTING: {RunStatus.COMPLETED, RunStatus.IMPORT_FAILED},
    # An interrupted import resumes with the customers it has not finished.
    RunStatus.IMPORT_FAILED: {RunStatus.IMPORTING},
    RunStatus.COMPLETED: set(),
}


class Classification(models.TextChoices):
    NEW = "new", "New to the BSS"
    LINKED = "linked", "Already in the BSS"
    CONFLICT = "conflict", "Conflict"


class Outcome(models.TextChoices):
    PENDING = "", "Not processed yet"
    CREATED = "created", "Created"
    LINKED = "linked", "Linked"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class ResellerAction(models.TextChoices):
    MATCHED = "matched", "Matched by partner id"
    CREATE = "create", "Create a light reseller"
    MAPPED = "mapped", "Mapped by hand"
    PROVIDER = "provider", "Sold by the provider itself"


class RowObject(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    TENANT = "tenant", "Microsoft tenant"
    SUBSCRIPTION = "subscription", "Subscription"
    RESELLER = "reseller", "Reseller"
