"""Workspace operations: new-commerce seat windows, the subscription actions of the details page, renewal reminders.

Every change of a subscription goes through `provisioning.services.subscription_change_request`: it validates the
change, creates one persisted Partner Center operation, and the BSS record changes only when Partner Center has
confirmed it. This module adds what the workspace needs on top: who may do what (customers buy, resellers also
remove, suspend and cancel), plain-language refusals that show the new-commerce deadlines, and the "buy extra
licences" action (a quantity increase of that very subscription, never a new subscription).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from bss.choices import SubscriptionStatus, UserRole
from bss.exceptions import ApplicationError, PermissionDenied
from bss.models import Subscription, User
from bss.selectors import user_is_provider_staff
from bss.services.audit import audit_record
from partnercenter.types import RefundableQuantity
from provisioning import services as provisioning_services
from provisioning.models import ProvisioningOperation
from storefront.workspace.models import RenewalReminder

logger = logging.getLogger(__name__)

# New commerce: licences may be removed (and a subscription cancelled) within 168 hours of being added.
NCE_WINDOW = timedelta(hours=168)
AZURE_PLAN_PRODUCT_ID = "DZH318Z0BPS6"
DYNAMICS_FAMILY = "Dynamics 365"


class WorkspaceActionRefused(ApplicationError):
    code = "workspace_action_refused"


class QuantityDecreaseRefused(WorkspaceActionRefused):
    code = "quantity_decrease_refused"


# --- what a subscription is ---------------------------------------------------------------------------------------


def subscription_is_azure_plan(subscription: Subscription) -> bool:
    """An Azure plan (usage-based: no licence quantity, its Azure subscriptions open in the Azure portal)."""
    return (subscription.pc_product_id or "").upper() == AZURE_PLAN_PRODUCT_ID or (
        subscription.pc_offer_id or ""
    ).upper().startswith(AZURE_PLAN_PRODUCT_ID)


def subscription_is_dynamics(subscription: Subscription, *, family: str = "") -> bool:
    """A Dynamics 365 subscription (an instance: extra licences raise its quantity). `family` is the catalog
    product family when the caller has it; the name is the fallback."""
    return family == DYNAMICS_FAMILY or subscription.name.lower().startswith("dynamics 365")


# --- new-commerce seat windows --------------------------------------------------------------------------------------


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
    batches are authoritative; without it the BSS licence ledger is replayed: additions inside the window open a
    batch, removals take seats from the newest batch first (as Partner Center does).
    """
    now = now or timezone.now()
    last_added_at = (
        subscription.ledger.filter(quantity_after__gt=F("quantity_before")).order_by("-created_at", "-id")
        .values_list("created_at", flat=True).first()
    )
    last_deadline = last_added_at + NCE_WINDOW if last_added_at else None
    if pc_refundable is not None:
        windows = tuple(
            SeatWindow(quantity=d.quantity, added=d.quantity, added_at=d.allowed_until - NCE_WINDOW,
                       allowed_until=d.allowed_until)
            for d in sorted(pc_refundable.details, key=lambda d: d.allowed_until or now)
            if d.quantity > 0 and d.allowed_until is not None and d.allowed_until > now
        )
        source = "partner_center"
        if windows:
            last_deadline = max(w.allowed_until for w in windows)
    else:
        batches: list[list] = []  # [added_at, added, remaining]
        for entry in subscription.ledger.filter(created_at__gt=now - NCE_WINDOW).order_by("created_at", "id"):
            delta = entry.quantity_after - entry.quantity_before
            if delta > 0:
                batches.append([entry.created_at, delta, delta])
                continue
            to_remove = -delta
            for batch in reversed(batches):
                taken = min(batch[2], to_remove)
                batch[2] -= taken
                to_remove -= taken
                if not to_remove:
                    break
        windows = tuple(
            SeatWindow(quantity=remaining, added=added, added_at=added_at, allowed_until=added_at + NCE_WINDOW)
            for added_at, added, remaining in batches
            if remaining > 0
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


def _when(value: datetime | None) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if value else "—"


def quantity_decrease_problem(subscription: Subscription, quantity: int, *, now: datetime | None = None) -> str:
    """Why `quantity` is below what new commerce allows now (with the deadlines), or "" if it is allowed."""
    seats = subscription_seat_windows(subscription, now=now)
    if quantity >= seats.lowest_quantity:
        return ""
    if seats.refundable == 0:
        closed = f" The window for the last licences added closed on {_when(seats.last_deadline)}." if (
            seats.last_deadline) else ""
        return (
            "Licences can be removed only within 7 days (168 hours) of being added; no licences of this "
            f"subscription can be removed now, so its quantity cannot go below {subscription.quantity}.{closed} "
            "Turn auto-renew off (or lower the renewal quantity) instead."
        )
    batches = "; ".join(f"{w.quantity} until {_when(w.allowed_until)}" for w in seats.windows)
    return (
        f"Only licences added in the last 7 days (168 hours) can be removed: {seats.refundable} now ({batches}). "
        f"The lowest possible quantity is {seats.lowest_quantity}."
    )


# --- who may do what ---------------------------------------------------------------------------------------------

# Customer users manage what they use (more licences, auto-renew); their reseller (and provider staff) can also
# remove licences, suspend, reactivate and cancel, which change what the reseller is billed.
CUSTOMER_ACTIONS = frozenset({"increase", "extra_licences", "auto_renew"})
RESELLER_ACTIONS = frozenset({"increase", "decrease", "extra_licences", "auto_renew", "suspend", "reactivate",
                              "cancel"})


def actions_for_user(user: User) -> frozenset[str]:
    if user_is_provider_staff(user) or (user.is_authenticated and user.role == UserRole.RESELLER):
        return RESELLER_ACTIONS
    if user.is_authenticated and user.role == UserRole.CUSTOMER:
        return CUSTOMER_ACTIONS
    return frozenset()


def _require(actor: User, action: str) -> None:
    if action not in actions_for_user(actor):
        raise PermissionDenied("Only the customer's reseller can do this; ask your reseller.", code="reseller_only")


def _linked(subscription: Subscription) -> None:
    if subscription_is_azure_plan(subscription):
        raise WorkspaceActionRefused(
            "An Azure plan is billed by usage and has no licence quantity; manage its Azure subscriptions in the "
            "Azure portal."
        )


# --- the actions (each one provisioning operation) -----------------------------------------------------------------


def subscription_quantity_change(
    *, actor: User, subscription: Subscription, quantity: int, now: datetime | None = None
) -> ProvisioningOperation:
    """Set the number of licences: up at any time, down only by licences added in the last 168 hours."""
    _linked(subscription)
    if quantity < subscription.quantity:
        _require(actor, "decrease")
        problem = quantity_decrease_problem(subscription, quantity, now=now)
        if problem:
            seats = subscription_seat_windows(subscription, now=now)
            raise QuantityDecreaseRefused(
                problem,
                extra={
                    "refundable": seats.refundable,
                    "lowest_quantity": seats.lowest_quantity,
                    "deadlines": [w.allowed_until.isoformat() for w in seats.windows],
                },
            )
    else:
        _require(actor, "increase")
    return provisioning_services.subscription_change_request(actor=actor, subscription=subscription, quantity=quantity)


def subscription_extra_licences_buy(
    *, actor: User, subscription: Subscription, additional: int
) -> ProvisioningOperation:
    """Buy `additional` licences for this subscription: its quantity goes up (for Dynamics 365 the licences belong
    to this instance; no new subscription, no new instance)."""
    _require(actor, "extra_licences")
    _linked(subscription)
    if additional < 1:
        raise WorkspaceActionRefused("Enter how many licences to add (at least 1).")
    if subscription.status != SubscriptionStatus.ACTIVE:
        raise WorkspaceActionRefused(
            f"Licences can be added only to an active subscription; this one is "
            f"{subscription.get_status_display().lower()}."
        )
    return provisioning_services.subscription_change_request(
        actor=actor, subscription=subscription, quantity=subscription.quantity + additional
    )


def subscription_suspend(*, actor: User, subscription: Subscription) -> ProvisioningOperation:
    """Suspend: the customer loses access; in new commerce billing continues until the term ends or it is
    cancelled."""
    _require(actor, "suspend")
    return provisioning_services.subscription_change_request(actor=actor, subscription=subscription, suspend=True)


def subscription_reactivate(*, actor: User, subscription: Subscription) -> ProvisioningOperation:
    _require(actor, "reactivate")
    return provisioning_services.subscription_change_request(actor=actor, subscription=subscription, suspend=False)


def subscription_auto_renew_set(*, actor: User, subscription: Subscription, enabled: bool) -> ProvisioningOperation:
    _require(actor, "auto_renew")
    if subscription_is_azure_plan(subscription):
        raise WorkspaceActionRefused("An Azure plan has no term and does not renew.")
    return provisioning_services.subscription_change_request(
        actor=actor, subscription=subscription, auto_renew=enabled
    )


def subscription_cancel(*, actor: User, subscription: Subscription) -> ProvisioningOperation:
    """Cancel (new commerce: only until `cancellation_allowed_until`, 168 hours after purchase or renewal)."""
    _require(actor, "cancel")
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
    recipients = renewal_reminder_recipients(subscription)
    reminder = RenewalReminder.objects.create(
        subscription=subscription, term_end=subscription.commitment_end_date, recipients=", ".join(recipients)
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
        "renews_on": subscription.commitment_end_date + timedelta(days=1),
        "marketplace": subscription.customer.marketplace,
    }
    subject = render_to_string("workspace/email/renewal_reminder_subject.txt", context).strip()
    body = render_to_string("workspace/email/renewal_reminder.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return 1
