"""Renewal reminders: one row per subscription and term end, so each reminder goes out exactly once."""

from django.db import models


class RenewalReminder(models.Model):
    """A reminder that a subscription will auto-renew at `term_end`, sent once (the unique constraint is the guard
    against a second send, also when two workers run the sweep at once)."""

    subscription = models.ForeignKey("bss.Subscription", on_delete=models.CASCADE, related_name="renewal_reminders")
    term_end = models.DateField(help_text="The commitment end date the reminder was sent for")
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.TextField(blank=True, help_text="Comma-separated addresses it was sent to")

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "term_end"], name="workspace_renewalreminder_once"),
        ]

    def __str__(self) -> str:
        return f"Renewal reminder for subscription {self.subscription_id} ending {self.term_end}"
