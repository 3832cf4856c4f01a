"""Workspace operations: new-commerce seat windows, the subscription actions of the details page, renewal reminders.

Every change of a subscription goes through `provisioning.services.subscription_change_request`: it enforces the
rules (who may do what, the 168-hour windows, the SKU's quantity bounds; see `bss.rules`), creates one persisted
Partner Center operation, and the BSS record changes only when Partner Center has confirmed it. The API calls the
same service, so both doors refuse the same things with the same message. This module adds what the workspace
needs on top: the seat windows to show, which buttons to offer, and the "buy extra licences" action (a quantity
increase of that very subscription, never a new subscription).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from bss.choices import SubscriptionStatus
from bss.exceptions import ApplicationError
from bss.models import Subscription, User
from bss.rules.permissions import SubscriptionAction, actor_facts, allowed_subscription_actions
from bss.rules.quantities import is_azure_plan
from bss.rules.windows import NCE_WINDOW, window_is_open
from bss.services import subscriptions as subscription_services
from bss.services.audit import audit_record
from partnercenter.types import RefundableQuantity
from provisioning import services as provisioning_services
from provisioning.models import ProvisioningOperation
from storefront.workspace.models import RenewalReminder

logger = logging.getLogger(__name__)

__all__ = ["NCE_WINDOW"]  # re-exported: the seat-window display and its tests use the one constant

DYNAMICS_FAMILY = "Dynamics 365"


class WorkspaceActionRefused(ApplicationError):
    code = "workspace_action_refused"


# --- what a subscription is ---------------------------------------------------------------------------------------


def subscription_is_azure_plan(subscription: Subscription) -> bool:
    """An Azure plan (usage-based: no licence quantity, its Azure subscriptions open in the Azure portal)."""
    return is_azure_plan(subscription.pc_product_id, subscription.pc_offer_id)


def subscription_is_dynamics(subscription: Subscription, *, family: str = "") -> bool:
    """A Dynamics 365 subscription (an instance: extra licences raise its quantity). `family` is the catalog
    product family when the caller has it; the name is the fallback."""
    return family == DYNAMICS_FAMILY or subscription.name.lower().startswith("dynamics 365")


# --- new-commerce seat windows (for display; the core service enforces them) ------------------------------------


@dataclass(frozen=True)
class SeatWindow:
    """One addition of licences still (partly) refundable: `quantity` of its `added` seats can be removed until
    `allowed_until`."""

    quantity: int
    added: int
    added_at: datetime | None
    allowed_until: datetime


@dataclass(frozen=True)
class SeatWindows:
    windows: tuple[SeatWindow, ...]
    refundable: int
    lowest_quantity: int
    # When the most recent addition's window closes (or closed): shown when nothing is refundable any more.
    last_deadline: datetime | None
    source: str  # "partner_center" (its refundableQuantity) or "ledger" (the BSS licence ledger)

    @property
    def next_deadline(self) -> datetime | None:
        return min((w.allowed_until for w in self.windows), default=None)


def subscription_seat_windows(
    subscription: Subscription, *, now: datetime | None = None, pc_refundable: RefundableQuantity | None = None
) -> SeatWindows:
    """Which licences may still be removed, per addition, and until when.

    Each addition of seats has its own 168-hour window. With Partner Center's `refundableQuantity` (read live) its
    batches are authoritative; without it the BSS licence ledger is replayed (`bss.rules.windows.seat_batches`).
    """
    now = now or timezone.now()
    last_deadline = subscription_services.subscription_last_addition_deadline(subscription=subscription)
    if pc_refundable is not None:
        windows = tuple(
            SeatWindow(quantity=d.quantity, added=d.quantity, added_at=d.allowed_until - NCE_WINDOW,
                       allowed_until=d.allowed_until)
            for d in sorted(pc_refundable.details, key=lambda d: d.allowed_until or now)
            if d.quantity > 0 and d.allowed_until is not None and window_is_open(d.allowed_until, now)
        )
        source = "partner_center"
        if windows:
            last_deadline = max(w.allowed_until for w in windows)
    else:
        windows = tuple(
            SeatWindow(quantity=b.remaining, added=b.added, added_at=b.added_at, allowed_until=b.allowed_until)
            for b in subscription_services.subscription_seat_batches(subscription=subscription, now=now)
        )
        source = "ledger"
    refundable = min(sum(w.quantity for w in windows), subscription.quantity)
    return SeatWindows(
        windows=windows,
        refundable=refundable,
        lowest_quantity=subscription.quantity - refundable,
        last_deadline=last_deadline,
        source=source,
    )


# --- which actions to offer -----------------------------------------------------------------------------------------


def actions_for_user(user: User) -> frozenset[str]:
    """The buttons to show this user (`bss.rules.permissions`; the core service refuses the others anyway).
    "extra_licences" is an increase of the same subscription."""
    allowed: frozenset[str] = allowed_subscription_actions(actor_facts(user))
    if SubscriptionAction.INCREASE in allowed:
        allowed = allowed | {"extra_licences"}
    return allowed


# --- the actions (each one provisioning operation) -----------------------------------------------------------------


def subscription_quantity_change(*, actor: User, subscription: Subscription, quantity: int) -> ProvisioningOperation:
    """Set the number of licences: up at any time, down only by licences added in the last 168 hours."""
    return provisioning_services.subscription_change_request(actor=actor, subscription=subscription, quantity=quantity)


def subscription_extra_licences_buy(
    *, actor: User, subscription: Subscription, additional: int
) -> ProvisioningOperation:
    """Buy `additional` licences for this subscription: its quantity goes up (for Dynamics 365 the licences belong
    to this instance; no new subscription, no new instance)."""
    if additional < 1:
        raise WorkspaceActionRefused("Enter how many licences to add (at least 1).")
    return provisioning_services.subscription_change_request(
        actor=actor, subscription=subscription, quantity=subscription.quantity + additional
    )


def subscription_suspend(*, actor: User, subscription: Subscription) -> ProvisioningOperation:
    """Suspend: the customer loses access; in new commerce billing continues until the term ends or it is
    cancelled."""
    return provisioning_services.subscription_change_request(actor=actor, subscription=subscription, suspend=True)


def subscription_reactivate(*, actor: User, subscription: Subscription) -> ProvisioningOperation:
    return provisioning_services.subscription_change_request(actor=actor, subscription=subscription, suspend=False)


def subscription_auto_renew_set(*, actor: User, subscription: Subscription, enabled: bool) -> ProvisioningOperation:
    return provisioning_services.subscription_change_request(
        actor=actor, subscription=subscription, auto_renew=enabled
    )


def subscription_cancel(*, actor: User, subscription: Subscription) -> ProvisioningOperation:
    """Cancel (new commerce: only until `cancellation_allowed_until`, 168 hours after purchase or renewal)."""
    return provisioning_services.subscription_change_request(actor=actor, subscription=subscription, cancel=True)


# --- renewal reminders --------------------------------------------------------------------------------------------


def renewal_reminders_due(*, today: date, days: int | None = None) -> QuerySet[Subscription]:
    """Active subscriptions that auto-renew within `days` (RENEWAL_REMINDER_DAYS) and have had no reminder for
    their current term end."""
    days = settings.RENEWAL_REMINDER_DAYS if days is None else days
    already = RenewalReminder.objects.filter(subscription=OuterRef("pk"), term_end=OuterRef("commitment_end_date"))
    return (
        Subscription.objects.select_related("customer", "customer__reseller", "tenant", "customer__marketplace")
        .filter(
            status=SubscriptionStatus.ACTIVE,
            auto_renew=True,
            commitment_end_date__gte=today,
            commitment_end_date__lte=today + timedelta(days=days),
        )
        .exclude(Exists(already))
        .order_by("commitment_end_date", "id")
    )


def renewal_reminder_recipients(subscription: Subscription) -> list[str]:
    customer = subscription.customer
    addresses = {customer.contact_email, customer.reseller.email}
    addresses.update(customer.users.filter(is_active=True).values_list("email", flat=True))
    return sorted(a for a in addresses if a)


def renewal_reminders_send(*, today: date, days: int | None = None) -> int:
    """Send the reminders due today; returns how many were sent. Each goes out once per subscription and term end:
    the reminder row and the email share a transaction (a failed send is retried on the next run), and the unique
    constraint stops a second worker."""
    sent = 0
    for subscription in renewal_reminders_due(today=today, days=days).iterator(chunk_size=200):
        try:
            with transaction.atomic():
                sent += _renewal_reminder_send(subscription)
        except IntegrityError:
            logger.info("renewal reminder for subscription %s already sent by another run", subscription.pk)
    return sent


def _renewal_reminder_send(subscription: Subscription) -> int:
    term_end = subscription.commitment_end_date
    if term_end is None:  # renewal_reminders_due selects only subscriptions with a term end
        return 0
    recipients = renewal_reminder_recipients(subscription)
    reminder = RenewalReminder.objects.create(
        subscription=subscription, term_end=term_end, recipients=", ".join(recipients)
    )
    audit_record(
        actor=None,
        actor_label="renewal reminders",
        action="subscription.renewal_reminder_sent",
        obj=subscription,
        after={"term_end": reminder.term_end, "recipients": reminder.recipients},
    )
    if not recipients:
        logger.warning("renewal reminder for subscription %s: no recipient address", subscription.pk)
        return 0
    context = {
        "subscription": subscription,
        "customer": subscription.customer,
        "renews_on": term_end + timedelta(days=1),
        "marketplace": subscription.customer.marketplace,
    }
    subject = render_to_string("workspace/email/renewal_reminder_subject.txt", context).strip()
    body = render_to_string("workspace/email/renewal_reminder.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return 1
