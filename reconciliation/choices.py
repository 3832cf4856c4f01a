"""Enumerations of the reconciliation app, with the allowed status transitions."""

from django.db import models


class RunScope(models.TextChoices):
    INSTANCE = "instance", "Partner Center instance"
    RESELLER = "reseller", "Reseller"
    CUSTOMER = "customer", "Customer"


class RunTrigger(models.TextChoices):
    MANUAL = "manual", "On demand"
    NIGHTLY = "nightly", "Nightly schedule"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"


RUN_TRANSITIONS: dict[str, set[str]] = {
    RunStatus.QUEUED: {RunStatus.RUNNING, RunStatus.CANCELLED, RunStatus.FAILED},
    RunStatus.RUNNING: {RunStatus.COMPLETED, RunStatus.CANCELLED, RunStatus.FAILED},
    RunStatus.COMPLETED: set(),
    RunStatus.CANCELLED: set(),
    RunStatus.FAILED: set(),
}

RUN_ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class CustomerCheckStatus(models.TextChoices):
    """One customer (tenant) inside a run."""

    PENDING = "pending", "Waiting"
    RUNNING = "running", "Checking"
    DONE = "done", "Checked"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


CUSTOMER_CHECK_FINISHED = (CustomerCheckStatus.DONE, CustomerCheckStatus.FAILED, CustomerCheckStatus.CANCELLED)


class FindingKind(models.TextChoices):
    MISSING_IN_PARTNER_CENTER = "missing_in_pc", "Missing in Partner Center"
    MISSING_IN_BSS = "missing_in_bss", "Missing in the BSS (unknown to us)"
    QUANTITY = "quantity", "Quantity mismatch"
    STATUS = "status", "Status mismatch"
    AUTO_RENEW = "auto_renew", "Auto-renew mismatch"
    TERM = "term", "Term mismatch"
    BILLING_CYCLE = "billing_cycle", "Billing cycle mismatch"
    SKU = "sku", "SKU mismatch"
    COMMITMENT_END_DATE = "commitment_end_date", "Commitment end date mismatch"
    ORPHAN = "orphan", "Orphan (customer no longer related)"
    GDAP_MISSING = "gdap_missing", "No active GDAP relationship"
    GDAP_EXPIRING = "gdap_expiring", "GDAP relationship ends within 30 days"
    NEXT_TERM_MISSING = "next_term_missing", "Change at renewal missing in Partner Center"


class FindingStatus(models.TextChoices):
    PENDING = "pending", "Pending (inside Partner Center's listing delay)"
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
    IGNORED = "ignored", "Accepted / ignored"


FINDING_LIVE_STATUSES = (FindingStatus.PENDING, FindingStatus.OPEN)

FINDING_TRANSITIONS: dict[str, set[str]] = {
    # A later run turns pending into open (still different after the delay) or resolved (cleared).
    FindingStatus.PENDING: {FindingStatus.OPEN, FindingStatus.RESOLVED, FindingStatus.IGNORED},
    FindingStatus.OPEN: {FindingStatus.PENDING, FindingStatus.RESOLVED, FindingStatus.IGNORED},
    # An ignored difference whose values change is raised again.
    FindingStatus.IGNORED: {FindingStatus.OPEN, FindingStatus.PENDING, FindingStatus.RESOLVED},
    FindingStatus.RESOLVED: set(),
}


class Resolution(models.TextChoices):
    ADOPTED_PARTNER_CENTER = "adopted_pc", "Adopted Partner Center's value"
    AUTO_ADOPTED = "auto_adopted", "Adopted Partner Center's value (auto-apply policy)"
    PUSHED_BSS = "pushed_bss", "Pushed the BSS value to Partner Center"
    LINKED = "linked", "Linked to a BSS subscription"
    IMPORTED = "imported", "Imported into the BSS"
    IGNORED = "ignored", "Accepted / ignored"
    CLEARED = "cleared", "No longer differs"
    GDAP_REQUESTED = "gdap_requested", "GDAP relationship requested"
    GDAP_EXTENDED = "gdap_extended", "GDAP relationship set to auto-extend"
    REAPPLIED = "reapplied", "Re-applied the change at renewal"


class CorrectiveAction(models.TextChoices):
    """What staff can do to a finding (single or bulk)."""

    ADOPT_PARTNER_CENTER = "adopt_pc", "Adopt Partner Center's value"
    PUSH_BSS = "push_bss", "Push the BSS value to Partner Center"
    LINK = "link", "Link to a BSS subscription"
    IMPORT = "import", "Import into the BSS"
    IGNORE = "ignore", "Accept / ignore (with a reason)"
    REQUEST_GDAP = "request_gdap", "Request a GDAP relationship (default template)"
    EXTEND_GDAP = "extend_gdap", "Extend the GDAP relationship (auto-extend)"
    REAPPLY = "reapply", "Re-apply the change at renewal to Partner Center"


# Which actions make sense for which kind. Term, billing cycle, SKU and end date cannot be changed with a
# subscription PATCH (new commerce changes them at renewal or by transition), so they are adopt-only.
ACTIONS_BY_KIND: dict[str, tuple[str, ...]] = {
    FindingKind.MISSING_IN_PARTNER_CENTER: (CorrectiveAction.ADOPT_PARTNER_CENTER, CorrectiveAction.IGNORE),
    FindingKind.MISSING_IN_BSS: (CorrectiveAction.IMPORT, CorrectiveAction.LINK, CorrectiveAction.IGNORE),
    FindingKind.QUANTITY: (
        CorrectiveAction.ADOPT_PARTNER_CENTER,
        CorrectiveAction.PUSH_BSS,
        CorrectiveAction.IGNORE,
    ),
    FindingKind.STATUS: (CorrectiveAction.ADOPT_PARTNER_CENTER, CorrectiveAction.PUSH_BSS, CorrectiveAction.IGNORE),
    FindingKind.AUTO_RENEW: (
        CorrectiveAction.ADOPT_PARTNER_CENTER,
        CorrectiveAction.PUSH_BSS,
        CorrectiveAction.IGNORE,
    ),
    FindingKind.TERM: (CorrectiveAction.ADOPT_PARTNER_CENTER, CorrectiveAction.IGNORE),
    FindingKind.BILLING_CYCLE: (CorrectiveAction.ADOPT_PARTNER_CENTER, CorrectiveAction.IGNORE),
    FindingKind.SKU: (CorrectiveAction.ADOPT_PARTNER_CENTER, CorrectiveAction.IGNORE),
    FindingKind.COMMITMENT_END_DATE: (CorrectiveAction.ADOPT_PARTNER_CENTER, CorrectiveAction.IGNORE),
    FindingKind.ORPHAN: (CorrectiveAction.ADOPT_PARTNER_CENTER, CorrectiveAction.IGNORE),
    FindingKind.GDAP_MISSING: (CorrectiveAction.REQUEST_GDAP, CorrectiveAction.IGNORE),
    FindingKind.GDAP_EXPIRING: (CorrectiveAction.EXTEND_GDAP, CorrectiveAction.REQUEST_GDAP, CorrectiveAction.IGNORE),
    # Microsoft deleted the instruction on a mid-term change: send the BSS's again (or accept its loss).
    FindingKind.NEXT_TERM_MISSING: (CorrectiveAction.REAPPLY, CorrectiveAction.IGNORE),
}

# Kinds an auto-apply policy may adopt on nightly runs (adopting is the only unattended action).
AUTO_APPLICABLE_KINDS: tuple[str, ...] = (
    FindingKind.QUANTITY,
    FindingKind.STATUS,
    FindingKind.AUTO_RENEW,
    FindingKind.TERM,
    FindingKind.BILLING_CYCLE,
    FindingKind.SKU,
    FindingKind.COMMITMENT_END_DATE,
)
