"""Factories for storefront.workspace: renewal reminders sent for a subscription's term end."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from storefront.workspace.models import RenewalReminder
from tests.factories.base import ModelFactory
from tests.factories.bss import SubscriptionFactory


class RenewalReminderFactory(ModelFactory[RenewalReminder]):
    class Meta:
        model = RenewalReminder

    subscription = factory.SubFactory(
        SubscriptionFactory, commitment_end_date=factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(30))
    )
    term_end = factory.SelfAttribute("subscription.commitment_end_date")
    recipients = "admin@example.com"
