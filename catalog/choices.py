"""Enumerations of the catalog app."""

from django.db import models

from bss.choices import BillingCycle
from bss.rules.cycles import CYCLE_MONTHS, TERM_MONTHS

# The price-sheet rules live in the framework-free format module; re-exported here with the other enumerations.
from catalog.pricesheet.format import BILLING_PLAN_TO_CYCLE, KNOWN_CURRENCIES, PRODUCT_FAMILIES, family_for_title

__all__ = [
    "BILLING_PLAN_TO_CYCLE", "CYCLE_MONTHS", "KNOWN_CURRENCIES", "PRODUCT_FAMILIES", "TERM_DURATIONS",
    "CatalogBillingCycle", "family_for_title",
]


class Lifecycle(models.TextChoices):
    ACTIVE = "active", "Active"
    DISCONTINUED = "discontinued", "Discontinued"


class ProductType(models.TextChoices):
    ONLINE_SERVICES_NCE = "OnlineServicesNCE", "Licence-based (new commerce)"
    AZURE = "Azure", "Azure"
    OTHER = "Other", "Other"


#: One billing-cycle vocabulary for the project (`bss.choices.BillingCycle`); months per cycle: `CYCLE_MONTHS`
#: (`bss.rules.cycles`).
CatalogBillingCycle = BillingCycle

#: Term durations accepted in the price sheet (every term of `bss.choices.TermDuration` but "no term").
TERM_DURATIONS = tuple(TERM_MONTHS)


class RunSource(models.TextChoices):
    PARTNER_CENTER = "partner_center", "Partner Center (API)"
    FILE = "file", "Price list file"


class RunStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    #: Read and compared, nothing applied: it would discontinue or reprice more of the catalog than the settings
    #: allow without a person's confirmation (``catalog.services.catalog_run_confirm`` / ``catalog_run_discard``).
    AWAITING_CONFIRMATION = "awaiting", "Awaiting confirmation"
    DISCARDED = "discarded", "Discarded"


class RunStage(models.TextChoices):
    QUEUED = "queued", "Queued"
    READING_CATALOG = "reading_catalog", "Reading products, SKUs and availabilities"
    READING_PRICES = "reading_prices", "Reading the price sheet"
    VALIDATING = "validating", "Validating"
    APPLYING = "applying", "Computing and applying changes"
    DONE = "done", "Done"


class ChangeKind(models.TextChoices):
    ADDED = "added", "Added"
    DISCONTINUED = "discontinued", "Discontinued"
    REPRICED = "repriced", "Repriced"


class MarkupKind(models.TextChoices):
    PERCENT_OVER_COST = "percent", "Percentage over cost"
    FIXED_PRICE = "fixed", "Fixed sale price (per unit per month)"


def family_sql(expression: str) -> str:
    """``family_for_title`` as a SQL CASE over ``expression`` (needles are plain words: no LIKE wildcards)."""
    whens = " ".join(f"WHEN {expression} LIKE '%%{needle}%%' THEN '{family}'" for needle, family in PRODUCT_FAMILIES)
    return f"CASE {whens} ELSE 'Other' END"
