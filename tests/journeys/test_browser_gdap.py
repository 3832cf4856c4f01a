"""GDAP in a real browser: a reseller signs in and opens a customer's workspace; each tenant shows its delegated
admin (GDAP) status and roles, the approval link while the customer's admin has not approved, and, where no live
relationship grants a role, the reason the admin portal cannot be opened on the customer's behalf (instead of the
link). Debian's Chromium driven by Playwright against the live server (tests/storefront/test_browser.py)."""

from __future__ import annotations

import re

import pytest

from bss.models.gdap import HELPDESK_ADMINISTRATOR, LICENSE_ADMINISTRATOR
from tests.factories.bss import CustomerFactory, GdapRelationshipFactory, MicrosoftTenantFactory
from tests.storefront.test_browser import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"),
]


def test_workspace_shows_gdap_status_roles_and_the_refusal(
    transactional_db, live_server, browser_page, pc_sim, marketplace, reseller, reseller_user
):
    customer = CustomerFactory(reseller=reseller, marketplace=marketplace, company_name="Fourth Coffee")
    active = MicrosoftTenantFactory(customer=customer, instance=marketplace.instance,
                                    default_domain="fourthcoffee.onmicrosoft.com")
    GdapRelationshipFactory(tenant=active, status="active", role_ids=[HELPDESK_ADMINISTRATOR, LICENSE_ADMINISTRATOR])
    waiting = MicrosoftTenantFactory(customer=customer, instance=marketplace.instance,
                                     default_domain="fourthcoffee-eu.onmicrosoft.com")
    pending = GdapRelationshipFactory(tenant=waiting, status="approvalPending", activated_at=None)
    page = browser_page

    page.goto(f"{live_server.url}/store/workspace/customers/{customer.pk}/")
    page.fill("input[name=username]", reseller_user.username)
    page.fill("input[name=password]", "correct-horse-battery-staple")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf".*/store/workspace/customers/{customer.pk}/$"))

    first = page.locator("section.ws-tenant", has_text="fourthcoffee.onmicrosoft.com")
    assert first.locator("[data-gdap-status]").inner_text().startswith("Active")
    assert "Helpdesk Administrator, License Administrator" in first.locator("[data-gdap-roles]").inner_text()
    assert first.locator("a[data-portal=admin]").is_visible()

    second = page.locator("section.ws-tenant", has_text="fourthcoffee-eu.onmicrosoft.com")
    assert "Waiting for the customer's approval" in second.locator("[data-gdap-status]").inner_text()
    assert pending.approval_url in second.locator("[data-gdap-approval]").inner_text()
    assert "has not approved the GDAP" in second.locator("[data-gdap-refusal]").inner_text()
    assert second.locator("a[data-portal=admin]").count() == 0
