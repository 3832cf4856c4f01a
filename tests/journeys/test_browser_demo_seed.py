"""Item 13 in a real browser: the demo's customer user (`seed_demo`'s customer login, with a password set the way
`run_demo` sets one) signs in through the sign-in page and finds its tenant and subscriptions in its workspace, at
desktop width and on a phone (390 x 844).

Debian's Chromium driven by Playwright against the live server (tests/storefront/test_browser.py); `seed_demo`
reads the HTTPS Partner Center simulator as tests/journeys/test_demo_seed.py does."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from bss.models import MicrosoftTenant, Subscription, User
from demo.management.commands.seed_demo import CUSTOMER_USER
from tests.storefront.test_browser import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"),
]

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
PASSWORD = "demo-password-for-relecloud"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_demo_customer_user_signs_in_and_sees_its_tenant_and_subscriptions(
    transactional_db, live_server, browser_page, sim_settings, pc_sim, viewport
):
    call_command("seed_demo", simulator_url=pc_sim.base_url, simulator_ca=pc_sim.ca_bundle)
    user = User.objects.get(username=CUSTOMER_USER)
    user.set_password(PASSWORD)  # as run_demo does on every start
    user.save()
    tenant = MicrosoftTenant.objects.get(customer=user.customer)
    subscription = Subscription.objects.get(customer=user.customer)
    page = browser_page
    page.set_viewport_size(VIEWPORTS[viewport])

    page.goto(f"{live_server.url}/store/workspace/")
    page.fill("input[name=username]", CUSTOMER_USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/store/workspace/.*"))
    if f"/customers/{user.customer_id}/" not in page.url:
        page.get_by_role("link", name=re.compile("Relecloud")).first.click()
        page.wait_for_url(f"**/store/workspace/customers/{user.customer_id}/")

    body = page.inner_text("main")
    assert "Relecloud" in body
    assert tenant.default_domain in body
    assert subscription.name in body
