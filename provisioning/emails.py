"""Order confirmation and failure emails (plain text, rendered from templates/provisioning/email/). A failure also
goes to the provider's team (settings.ORDER_FAILURE_NOTIFY and the staff in ORDER_FAILURE_NOTIFY_GROUP), in a
message of its own: the reseller is told "our team has been notified", and it is."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from bss.choices import UserRole
from bss.models import Order, User

KINDS = {"confirmation", "failure"}


def order_email_recipients(order: Order) -> list[str]:
    addresses = [
        order.placed_by.email if order.placed_by else "",
        order.reseller.email,
        order.customer.contact_email if order.placed_by is None else "",
    ]
    return sorted({a for a in addresses if a})


def order_failure_staff_recipients() -> list[str]:
    """The provider's team for failed orders: the configured addresses and the active staff users in the group."""
    staff = User.objects.filter(
        is_active=True, role=UserRole.PROVIDER_STAFF, groups__name=settings.ORDER_FAILURE_NOTIFY_GROUP
    ).exclude(email="")
    configured = (address.strip() for address in settings.ORDER_FAILURE_NOTIFY)
    return sorted({*(a for a in configured if a), *staff.values_list("email", flat=True)})


def _send_failure_to_staff(order: Order, context: dict[str, object]) -> int:
    recipients = order_failure_staff_recipients()
    if not recipients:
        return 0
    subject = render_to_string("provisioning/email/order_failure_staff_subject.txt", context).strip()
    body = render_to_string("provisioning/email/order_failure_staff.txt", context)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def order_send_email(*, order_id: int, kind: str) -> int:
    """Send the order's confirmation (completed) or failure email; returns the number of messages sent."""
    if kind not in KINDS:
        raise ValueError(f"unknown order email {kind!r}")
    order = (
        Order.objects.select_related("customer", "tenant", "reseller", "placed_by", "marketplace")
        .prefetch_related("lines", "lines__subscriptions")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        return 0
    context = {"order": order, "lines": list(order.lines.all()), "short_number": str(order.number)[:8]}
    sent = _send_failure_to_staff(order, context) if kind == "failure" else 0
    recipients = order_email_recipients(order)
    if not recipients:
        return sent
    subject = render_to_string(f"provisioning/email/order_{kind}_subject.txt", context).strip()
    body = render_to_string(f"provisioning/email/order_{kind}.txt", context)
    return sent + send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
