"""Enumerations of Azure plan usage: import kinds and states, alert kinds, how usage is priced."""

from django.db import models


class UsageImportKind(models.TextChoices):
    BILLED = "billed", "Billed (a closed month's invoice)"
    UNBILLED = "unbilled", "Unbilled (the open month so far)"


class UsageImportStatus(models.TextChoices):
    PENDING = "pending", "Not imported yet"
    EXPORTING = "exporting", "Microsoft is preparing the export"
    IMPORTED = "imported", "Imported"
    FAILED = "failed", "Failed"


class AlertKind(models.TextChoices):
    THRESHOLD = "threshold", "Budget threshold reached"
    FORECAST = "forecast", "Forecast over budget"
    SPIKE = "spike", "Daily spike"


class PricingMethod(models.TextChoices):
    MARKUP = "markup", "Microsoft's price plus a markup"
    DISCOUNT = "discount", "List price less a fixed discount"
