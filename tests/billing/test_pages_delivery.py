"""Delivery of finalised invoices: the PDF is mailed to the billing contact once the finalising run commits (and
never twice); a PDF that cannot render keeps the invoice and records why; a mail server that refuses is retried,
then the failure is recorded. The back office shows the outcome on the invoice."""

from __future__ import annotations

import io

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from pypdf import PdfReader

from billing.delivery_tasks import invoice_deliver_task
from billing.models import Invoice
from billing.services.delivery import DELIVERED, DELIVERY_FAILED
from bss.models import AuditEvent, Customer
from tests.billing.doors import CUSTOMER_VAT_ID, estate, staff

pytestmark = pytest.mark.django_db

ATTEMPTS: list[int] = []


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        ATTEMPTS.append(1)
        raise ConnectionRefusedError("mail server down")


def _events(invoice: Invoice, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_id=str(invoice.pk), object_type="billing.Invoice"))


def test_a_finalised_invoice_is_mailed_with_its_pdf_to_the_billing_contact(django_capture_on_commit_callbacks, client):
    with django_capture_on_commit_callbacks(execute=True):
        world = estate()

    to_northwind = [m for m in mail.outbox if m.to == ["billing@northwind.example"]]
    assert len(to_northwind) == 1
    message = to_northwind[0]
    name, content, mimetype = message.attachments[0]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert name == f"{world.invoice.number}.pdf" and mimetype == "application/pdf"
    assert world.invoice.number in message.subject and "120.96" in text and CUSTOMER_VAT_ID in text
    assert _events(world.invoice, DELIVERED)[0].after["to"] == "billing@northwind.example"

    sent = len(mail.outbox)
    assert invoice_deliver_task.apply(args=[world.invoice.pk]).get() == "already_delivered"
    assert len(mail.outbox) == sent

    client.force_login(staff("view_invoice"))
    page = client.get(reverse("billing:invoice_detail", args=[world.invoice.pk])).content.decode()
    assert "mailed</span> to billing@northwind.example" in page


def test_a_party_without_a_billing_address_is_recorded():
    world = estate()
    Customer.objects.filter(pk=world.other_customer.pk).update(contact_email="")

    assert invoice_deliver_task.apply(args=[world.other_invoice.pk]).get() == "no_recipient"
    assert "no billing e-mail address" in _events(world.other_invoice, DELIVERY_FAILED)[0].after["reason"]


def test_a_pdf_that_cannot_render_keeps_the_invoice_and_records_why():
    world = estate()
    Invoice.objects.filter(pk=world.invoice.pk).update(currency="E1R")  # a snapshot the renderer refuses

    assert invoice_deliver_task.apply(args=[world.invoice.pk]).get() == "render_failed"

    invoice = Invoice.objects.get(pk=world.invoice.pk)
    assert invoice.is_final and invoice.number == world.invoice.number and invoice.total == world.invoice.total
    assert "could not be rendered" in _events(invoice, DELIVERY_FAILED)[0].after["reason"]
    assert not mail.outbox


def test_a_refusing_mail_server_is_retried_then_the_failure_recorded(settings):
    world = estate()
    settings.EMAIL_BACKEND = "tests.billing.test_pages_delivery.RefusingBackend"
    ATTEMPTS.clear()

    with pytest.raises(Retry):  # the first attempt asks the worker to try again later
        invoice_deliver_task.apply(args=[world.invoice.pk])
    assert not _events(world.invoice, DELIVERY_FAILED)

    last = invoice_deliver_task.apply(args=[world.invoice.pk], retries=invoice_deliver_task.max_retries)

    assert last.get() == "mail_failed" and len(ATTEMPTS) == 2
    assert "mail server down" in _events(world.invoice, DELIVERY_FAILED)[0].after["reason"]
    assert not _events(world.invoice, DELIVERED)
