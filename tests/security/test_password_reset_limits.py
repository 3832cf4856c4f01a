"""Password-reset e-mails: limited per address and per IP address, and the page does the same for every address
(it hands the request to a worker), so neither the mail count nor the answer reveals which addresses exist."""

from typing import cast

import pytest
from celery.signals import before_task_publish
from django.core import mail
from django.db import connection
from django.http import HttpResponseRedirect
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bss.security.models import PasswordResetRequest
from tests.conftest import producer_on
from tests.factories.bss import CustomerUserFactory

pytestmark = pytest.mark.django_db


def _ask(client: Client, email: str):
    response = cast(HttpResponseRedirect, client.post(reverse("password_reset"), {"email": email}))
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    return response


def test_twenty_requests_for_one_address_send_at_most_its_limit(client, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 3
    CustomerUserFactory(email="carol@example.com")

    for _ in range(20):
        _ask(client, "carol@example.com")

    assert len(mail.outbox) == 3
    assert {tuple(message.to) for message in mail.outbox} == {("carol@example.com",)}


def test_the_address_limit_counts_whatever_its_case(client, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 2
    CustomerUserFactory(email="carol@example.com")

    for email in ("carol@example.com", "Carol@Example.com", " CAROL@EXAMPLE.COM"):
        _ask(client, email.strip())

    assert len(mail.outbox) == 2


def test_requests_from_one_ip_address_send_at_most_its_limit(settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 3
    settings.PASSWORD_RESET_LIMIT_PER_IP = 5
    users = [CustomerUserFactory(email=f"user{n}@example.com") for n in range(4)]
    attacker = Client(REMOTE_ADDR="203.0.113.9")

    for user in users:
        for _ in range(3):
            _ask(attacker, user.email)

    assert len(mail.outbox) == 5
    # Someone else, from another address, still gets their link.
    _ask(Client(REMOTE_ADDR="198.51.100.7"), users[3].email)
    assert len(mail.outbox) == 6 and mail.outbox[-1].to == [users[3].email]


def test_unknown_addresses_use_up_the_limit_like_known_ones(client, settings):
    settings.PASSWORD_RESET_LIMIT_PER_IP = 3

    for n in range(3):
        _ask(client, f"nobody{n}@example.com")
    CustomerUserFactory(email="carol@example.com")
    _ask(client, "carol@example.com")

    assert mail.outbox == []
    assert PasswordResetRequest.objects.count() == 3


def test_known_and_unknown_addresses_take_the_same_path_through_the_page(client):
    """The page only hands the address to a worker: the same task, the same queries, the same answer."""
    CustomerUserFactory(email="carol@example.com")
    published = []

    def record(sender=None, body=None, **_):
        published.append((sender, sorted(body[1])))

    before_task_publish.connect(record)
    try:
        with producer_on("test-password-reset", "memory://"):
            with CaptureQueriesContext(connection) as known_queries:
                known = _ask(client, "carol@example.com")
            with CaptureQueriesContext(connection) as unknown_queries:
                unknown = _ask(client, "nobody@example.com")
    finally:
        before_task_publish.disconnect(record)

    task = "bss.security.tasks.password_reset_send_task"
    assert published == [(task, ["domain", "email", "ip_address", "use_https"])] * 2
    assert known.url == unknown.url and known.content == unknown.content
    assert [q["sql"] for q in known_queries] == [q["sql"] for q in unknown_queries]
    assert mail.outbox == []  # the page sends nothing itself: the worker does
