"""The Celery application and the one place where periodic work is declared."""

import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("cspbss")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["config"])  # the shell's own health task (config is not an installed app)

# Stable dotted names; each entry says why it runs at that cadence. Later issues add their entries here.
app.conf.beat_schedule = {
    # Cheap liveness probe: proves beat -> broker -> worker works end to end; monitoring watches its result.
    "bss.health": {"task": "config.tasks.health_check", "schedule": crontab(minute="*/5")},
    # Nightly, after the day's changes settle and before business hours: compare every instance with Partner Center.
    "reconciliation.nightly": {
        "task": "reconciliation.tasks.reconciliation_nightly_task",
        "schedule": crontab(hour=2, minute=30),
    },
    # Every 30 s: provisioning steps that are due (order/relationship polls, retries, read-backs, dead workers).
    "provisioning.due": {"task": "provisioning.tasks.operations_due_task", "schedule": 30.0},
    # Daily in the morning: renewal reminders are date-based (RENEWAL_REMINDER_DAYS before the term end), sent once.
    "workspace.renewal_reminders": {
        "task": "storefront.workspace.tasks.renewal_reminders_task",
        "schedule": crontab(hour=7, minute=0),
    },
    # Monthly: Microsoft publishes the new catalog and price list on the 1st; sync the day after (setting), at night.
    "catalog.sync_monthly": {
        "task": "catalog.tasks.catalog_sync_monthly",
        "schedule": crontab(day_of_month=settings.CATALOG_SYNC_DAY, hour=3, minute=0),
    },
    # Daily, early: an issuer's invoice run starts on its billing day (in its own time zone); the task is idempotent.
    "billing.invoice_runs_due": {"task": "billing.tasks.invoice_runs_due_task", "schedule": crontab(hour=1, minute=15)},
    # Every 10 min: list Microsoft's invoices and step every bill import that is due (a running export is looked at
    # again after its Retry-After; tasks never wait). Microsoft issues invoices from the 6th to the 8th.
    "money.imports_sweep": {"task": "money.imports_sweep", "schedule": crontab(minute="*/10")},
    # Daily, early: each instance's Azure usage (unbilled this month, last month until invoiced, billed invoices);
    # budgets are checked and billed months charged when an import is published. The sweep steps running exports.
    "usage.daily": {"task": "usage.daily", "schedule": crontab(hour=5, minute=30)},
    "usage.sweep": {"task": "usage.sweep", "schedule": crontab(minute="5-59/10")},
    # Hourly: GDAP relationships waiting for the customer's approval become active when the customer approves;
    # access for the template's security groups is assigned on the first read that finds them active.
    "bss.gdap_sync": {"task": "bss.tasks.gdap_sync_task", "schedule": crontab(minute=20)},
    # Daily in the morning: GDAP expiry (Microsoft's status) and the 30/7/1-day notices to resellers and staff.
    "bss.gdap_daily": {"task": "bss.tasks.gdap_daily_task", "schedule": crontab(hour=6, minute=40)},
}
