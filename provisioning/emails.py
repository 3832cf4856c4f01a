"""Order confirmation and failure emails (plain text, rendered from templates/provisioning/email/)."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from bss.models import Order

KINDS = {"confirmation", "failure"}


def order_email_recipients(order: Order) -> list[str]:
    addresses = [
        order.placed_by.email if order.placed_by else "",
        order.reseller.email,
        order.customer.contact_email if order.placed_by is None else "",
    ]
    return sorted({a for a in addresses if a})


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
    recipients = order_email_recipients(order)
    if not recipients:
        return 0
    context = {"order": order, "lines": list(order.lines.all()), "short_number": str(order.number)[:8]}
    subject = render_to_string(f"provisioning/email/order_{kind}_subject.txt", context).strip()
    body = render_to_string(f"provisioning/email/order_{kind}.txt", context)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
