"""Renewal awareness: the reseller's list of terms ending soon, and the reminder email before auto-renewal, sent
once per subscription and term end at the configured lead time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from bss.models import AuditEvent
from config.celery import app as celery_app
from storefront.workspace import services
from storefront.workspace.models import RenewalReminder
from storefront.workspace.tasks import renewal_reminders_task
from tests.factories.bss import CustomerUserFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def lead(settings):
    settings.RENEWAL_REMINDER_DAYS = 14
    return 14


def sub_ending(world, today, days, **fields):
    return SubscriptionFactory(tenant=world.tenant, commitment_end_date=today + dt.timedelta(days=days), **fields)


def test_reminder_goes_out_once_at_the_configured_lead_time(world, today, lead):
    sub = sub_ending(world, today, lead + 1, name="Microsoft 365 Business Basic")
    CustomerUserFactory(customer=world.customer, email="second@northwind.test")

    assert services.renewal_reminders_send(today=today) == 0  # 15 days ahead: not yet
    assert services.renewal_reminders_send(today=today + dt.timedelta(days=1)) == 1  # 14 days ahead: now
    assert services.renewal_reminders_send(today=today + dt.timedelta(days=2)) == 0  # once
    assert services.renewal_reminders_send(today=today + dt.timedelta(days=1)) == 0

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    renews_on = sub.commitment_end_date + dt.timedelta(days=1)
    assert message.subject == f"Microsoft 365 Business Basic for Northwind Traders renews on {renews_on:%Y-%m-%d}"
    assert "turn auto-renew off" in message.body
    assert set(message.to) == {"it@northwind.test", "sales@fabrikam.test", "carla@northwind.test",
                               "second@northwind.test"}
    reminder = RenewalReminder.objects.get()
    assert (reminder.subscription, reminder.term_end) == (sub, sub.commitment_end_date)
    assert AuditEvent.objects.filter(action="subscription.renewal_reminder_sent", object_id=str(sub.pk)).exists()


def test_no_reminder_without_auto_renew_or_when_not_active(world, today, lead):
    sub_ending(world, today, 3, auto_renew=False)
    sub_ending(world, today, 3, status="suspended")
    sub_ending(world, today, 3, status="deleted")
    sub_ending(world, today, -1)  # already past its term end

    assert services.renewal_reminders_send(today=today) == 0
    assert mail.outbox == []


def test_the_next_term_gets_its_own_reminder(world, today, lead):
    sub = sub_ending(world, today, 5)
    assert services.renewal_reminders_send(today=today) == 1

    sub.commitment_end_date = sub.commitment_end_date + dt.timedelta(days=365)  # renewed
    sub.save(update_fields=["commitment_end_date"])
    later = sub.commitment_end_date - dt.timedelta(days=lead)

    assert services.renewal_reminders_send(today=later) == 1
    assert services.renewal_reminders_send(today=later) == 0
    assert RenewalReminder.objects.filter(subscription=sub).count() == 2


def test_a_failed_send_is_retried_on_the_next_run(world, today, lead, monkeypatch):
    sub_ending(world, today, 2)

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(services, "send_mail", broken)
    with pytest.raises(ConnectionRefusedError):
        services.renewal_reminders_send(today=today)
    assert not RenewalReminder.objects.exists()

    monkeypatch.undo()
    assert services.renewal_reminders_send(today=today) == 1


def test_the_daily_task_and_its_beat_entry(world, today, settings):
    settings.RENEWAL_REMINDER_DAYS = 30
    sub_ending(world, today, 30)

    assert renewal_reminders_task.delay().get() == 1
    assert len(mail.outbox) == 1
    entry = celery_app.conf.beat_schedule["workspace.renewal_reminders"]
    assert entry["task"] == renewal_reminders_task.name


def test_reseller_renewals_list(client, world, today, lead):
    soon = sub_ending(world, today, 10, name="Microsoft 365 E3", quantity=25)
    ending = sub_ending(world, today, 12, name="Visio Plan 1", auto_renew=False)
    sub_ending(world, today, 60, name="Exchange Online (Plan 1)")
    services.renewal_reminders_send(today=today)
    client.force_login(world.reseller_user)

    page = client.get(reverse("workspace:renewals")).content.decode()
    wider = client.get(reverse("workspace:renewals"), {"days": 90}).content.decode()

    assert "Terms ending within 14 days" in page
    assert reverse("workspace:subscription", args=[soon.pk]) in page
    assert reverse("workspace:subscription", args=[ending.pk]) in page
    assert "Exchange Online" not in page and "Exchange Online" in wider
    assert f"Sent {today:%Y-%m-%d}" in page
    assert page.index("Microsoft 365 E3") < page.index("Visio Plan 1")  # soonest first
