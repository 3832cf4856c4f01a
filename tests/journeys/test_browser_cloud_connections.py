"""Items 2 and 3 in a real browser: staff open BSS Setup > Microsoft Cloud Services and click "Test connection" on a
simulator-backed instance (connected, naming both tokens it checked) and on a retired German-cloud instance (a
sentence naming the likely cause, no Python exception name; the instance shows as read-only).

Debian's Chromium driven by Playwright against the live server (tests/storefront/test_browser.py)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client

from tests.factories.bss import PartnerCenterInstanceFactory, StaffUserFactory
from tests.storefront.test_browser import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"),
]


def signed_in(page, live_server, user) -> None:
    """The browser carries the session of a user signed in through Django (the sign-in pages have their own tests)."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])


@pytest.fixture
def cloud_admin(transactional_db):
    user = StaffUserFactory()
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="bss",
        codename__in=["view_partnercenterinstance", "change_partnercenterinstance", "add_partnercenterinstance"],
    ))
    return user


def _test_connection_of(page, live_server, name: str) -> str:
    page.goto(f"{live_server.url}/backoffice/setup/cloud-services/")
    row = page.locator("tbody tr", has_text=name)
    row.get_by_role("button", name="Test connection").click()
    page.wait_for_selector(".messages li")
    return page.locator(".messages li", has_text=name).inner_text()


def test_test_connection_on_the_simulator_names_both_tokens(
    transactional_db, live_server, browser_page, cloud_admin, sim_instance
):
    signed_in(browser_page, live_server, cloud_admin)

    message = _test_connection_of(browser_page, live_server, sim_instance.name)

    assert "Connected." in message
    assert "App-only token accepted" in message and "App+User token accepted" in message
    assert "Price-sheet token accepted" in message


def test_test_connection_on_the_retired_german_cloud_reads_as_a_sentence(
    transactional_db, live_server, browser_page, cloud_admin, sim_settings
):
    instance = PartnerCenterInstanceFactory(name="Old German tenant", cloud="germany", is_retired=True,
                                           application_id="app", application_secret="s")
    signed_in(browser_page, live_server, cloud_admin)

    message = _test_connection_of(browser_page, live_server, instance.name)

    assert "login.microsoftonline.de" in message and "retired" in message
    for python_name in ("Error:", "Exception", "NameResolutionError", "gaierror", "Traceback"):
        assert python_name not in message
    row = browser_page.locator("tbody tr", has_text=instance.name)
    assert "retired (read-only)" in row.inner_text()
