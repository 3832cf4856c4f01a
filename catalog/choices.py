"""Enumerations of the catalog app."""

from django.db import models


class Lifecycle(models.TextChoices):
    ACTIVE = "active", "Active"
    DISCONTINUED = "discontinued", "Discontinued"


class ProductType(models.TextChoices):
    ONLINE_SERVICES_NCE = "OnlineServicesNCE", "Licence-based (new commerce)"
    AZURE = "Azure", "Azure"
    OTHER = "Other", "Other"


class CatalogBillingCycle(models.TextChoices):
    """Billing cycles as Partner Center spells them on subscriptions (lower case)."""

    MONTHLY = "monthly", "Monthly"
    ANNUAL = "annual", "Annual"
    TRIENNIAL = "triennial", "Triennial"
    BIENNIAL = "biennial", "Biennial"
    ONE_TIME = "one_time", "One-time"
    NONE = "none", "None"


#: Price-sheet ``BillingPlan`` values -> billing cycle.
BILLING_PLAN_TO_CYCLE: dict[str, str] = {
    "monthly": "monthly",
    "annual": "annual",
    "yearly": "annual",
    "triennial": "triennial",
    "biennial": "biennial",
    "onetime": "one_time",
    "one_time": "one_time",
    "none": "none",
}

#: Months in one billing period.
CYCLE_MONTHS: dict[str, int] = {"monthly": 1, "annual": 12, "triennial": 36, "biennial": 24}

#: Term durations accepted in the price sheet.
TERM_DURATIONS = ("P1M", "P1Y", "P2Y", "P3Y", "P5Y")


class RunSource(models.TextChoices):
    PARTNER_CENTER = "partner_center", "Partner Center (API)"
    FILE = "file", "Price list file"


class RunStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


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


#: ISO 4217 codes Microsoft's price lists use (a row with another code is rejected).
KNOWN_CURRENCIES: frozenset[str] = frozenset(
    {
        "USD", "EUR", "GBP", "CHF", "DKK", "NOK", "SEK", "ISK", "PLN", "CZK", "HUF", "RON", "BGN", "CAD", "AUD",
        "NZD", "JPY", "CNY", "KRW", "TWD", "HKD", "SGD", "INR", "IDR", "MYR", "THB", "PHP", "VND", "BRL", "MXN",
        "ARS", "CLP", "COP", "PEN", "ZAR", "AED", "SAR", "QAR", "ILS", "TRY", "EGP", "NGN", "KES", "UAH",
    }
)


#: Display family of a product by its title: first needle contained in the title wins (API sync and price sheets).
PRODUCT_FAMILIES: tuple[tuple[str, str], ...] = (
    ("Dynamics 365", "Dynamics 365"), ("Office 365", "Office 365"), ("Microsoft Teams", "Teams"),
    ("Copilot", "Copilot"), ("Azure", "Azure"), ("Windows 365", "Windows 365"), ("Power ", "Power Platform"),
    ("Visio", "Visio"), ("Exchange", "Exchange"), ("Entra", "Security & Identity"),
    ("Defender", "Security & Identity"), ("Project", "Project"), ("Microsoft 365", "Microsoft 365"),
)


def family_for_title(title: str) -> str:
    for needle, family in PRODUCT_FAMILIES:
        if needle in title:
            return family
    return "Other"


def family_sql(expression: str) -> str:
    """``family_for_title`` as a SQL CASE over ``expression`` (needles are plain words: no LIKE wildcards)."""
    whens = " ".join(f"WHEN {expression} LIKE '%%{needle}%%' THEN '{family}'" for needle, family in PRODUCT_FAMILIES)
    return f"CASE {whens} ELSE 'Other' END"
