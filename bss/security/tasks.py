"""Thin tasks: password-reset e-mails (the page hands every request over, known address or not)."""

from celery import shared_task


@shared_task(name="bss.security.tasks.password_reset_send_task", acks_late=True)
def password_reset_send_task(*, email: str, ip_address: str | None, domain: str, use_https: bool) -> bool:
    """Send a reset link to the accounts with this address, within the per-address and per-IP limits."""
    from bss.security import services

    return services.password_reset_request(email=email, ip_address=ip_address, domain=domain, use_https=use_https)
