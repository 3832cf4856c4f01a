"""Enumerations of Microsoft's bill: import states, match outcomes and their causes, resolutions."""

from django.db import models


class InvoiceKind(models.TextChoices):
    BILLED = "billed", "Billed invoice"
    UNBILLED = "unbilled", "Unbilled (open period)"


class ImportStatus(models.TextChoices):
    PENDING = "pending", "Not imported yet"
    EXPORTING = "exporting", "Microsoft is preparing the export"
    IMPORTING = "importing", "Importing lines"
    IMPORTED = "imported", "Imported"
    FAILED = "failed", "Failed"


class Outcome(models.TextChoices):
    MATCHED = "matched", "Matched"
    VARIANCE = "variance", "Amount variance"
    LEAKAGE = "leakage", "Microsoft charged, we did not invoice"
    NOT_CHARGED = "not_charged", "We invoiced, Microsoft did not charge"
    UNKNOWN_SUBSCRIPTION = "unknown_subscription", "Subscription not in the BSS"


#: Outcomes that are findings (something to look at); `matched` is not.
FINDING_OUTCOMES = (Outcome.VARIANCE, Outcome.LEAKAGE, Outcome.NOT_CHARGED, Outcome.UNKNOWN_SUBSCRIPTION)


class Cause(models.TextChoices):
    NONE = "", "—"
    TIMING = "timing", "Timing (charged in another period)"
    PROMOTION = "promotion", "Promotion"
    PRICE = "price", "Price change"
    FX = "fx", "Exchange rate"
    ROUNDING = "rounding", "Rounding"
    OTHER = "other", "Other"


class Resolution(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    BILLED = "billed", "Billed to the customer"


class MatchedBy(models.TextChoices):
    NONE = "", "—"
    SUBSCRIPTION_ID = "subscription_id", "Partner Center subscription id"
    TENANT_ORDER = "tenant_order", "Customer tenant and order"
