"""The storefront on a phone: at 390 x 844 (an iPhone 12-14) every page of a reseller's journey (sign-in, catalog,
cart, each checkout step, the order, order history, customers, workspace list, a customer's workspace, a
subscription, renewals) fits the screen without sideways scrolling: tables scroll inside their own container and
forms stack. Debian's Chromium driven by Playwright against the live server (layout needs a real browser)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from bss.models import Order, Subscription
from provisioning.services import sweep as provisioning_services
from tests.storefront.conftest import BUSINESS_BASIC, BUSINESS_STANDARD
from tests.storefront.test_browser import CHROMIUM, shots  # noqa: F401  (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"),
]

PHONE = {"width": 390, "height": 844}


def fits(page, name: str, shoot, problems: list[str]) -> None:
    """Records (rather than raises) a page that scrolls sideways, so one run names every such page."""
    page.wait_for_load_state("load")
    shoot(page, f"phone-{name}")
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 391 && !e.closest('.table-scroll'))
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""
    )
    if width > 390:
        problems.append(f"{name}: the page is {width} px wide on a 390 px screen; too wide: {wide}")


def test_a_reseller_can_order_and_follow_up_on_a_phone(
    transactional_db, live_server, browser_page, shots, pc_sim, publish, reseller_user  # noqa: F811
):
    publish(BUSINESS_BASIC)
    publish(BUSINESS_STANDARD)
    page = browser_page
    page.set_viewport_size(PHONE)
    problems: list[str] = []
    url = live_server.url

    page.goto(f"{url}/store/catalog/")
    fits(page, "01-sign-in", shots, problems)
    page.fill("input[name=username]", reseller_user.username)
    page.fill("input[name=password]", "correct-horse-battery-staple")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/store/catalog/$"))
    fits(page, "02-catalog", shots, problems)

    basic = page.locator("article.offer", has_text="Microsoft 365 Business Basic")
    basic.locator("input[name=quantity]").fill("3")
    basic.get_by_role("button", name="Add to cart").click()
    page.wait_for_selector(".messages li.success")
    page.goto(f"{url}/store/cart/")
    fits(page, "03-cart", shots, problems)

    page.goto(f"{url}/store/checkout/")
    fits(page, "04-checkout-customer", shots, problems)
    page.check("input[value=new]")
    page.click("button:has-text('Continue')")
    page.wait_for_selector("input[name=company_name]")
    fits(page, "05-checkout-details", shots, problems)
    page.fill("input[name=company_name]", "Adventure Works Cycles")
    page.fill("input[name=domain_prefix]", "adventureworksphone")
    page.wait_for_selector("#domain-check-result.ok")
    for name, value in [
        ("contact_first_name", "Ana"), ("contact_last_name", "Ruiz"), ("contact_email", "ana@adventure-works.test"),
        ("contact_phone", "+1 206 555 0133"), ("address_line1", "1 Microsoft Way"), ("city", "Redmond"),
        ("state", "WA"), ("postal_code", "98052"), ("country", "US"),
    ]:
        page.fill(f"input[name={name}]", value)
    page.click("button:has-text('Continue')")
    page.wait_for_selector("text=Microsoft Customer Agreement")
    fits(page, "06-checkout-agreement", shots, problems)
    page.check("input[name=accept]")
    page.click("button:has-text('Continue')")
    page.wait_for_selector("text=Review and place the order")
    fits(page, "07-checkout-review", shots, problems)
    page.click("button:has-text('Place order')")
    page.wait_for_url(re.compile(r".*/store/orders/\d+/$"))
    fits(page, "08-order-placed", shots, problems)

    order = Order.objects.get()
    for _ in range(6):
        order.refresh_from_db()
        if order.status == "completed":
            break
        pc_sim.control.advance(minutes=30)
        provisioning_services.operations_enqueue_due(now=timezone.now() + timedelta(hours=2))
    assert order.status == "completed", order.failure_reason
    page.reload()
    fits(page, "09-order-completed", shots, problems)
    page.goto(f"{url}/store/orders/")
    fits(page, "10-orders", shots, problems)
    page.goto(f"{url}/store/")
    fits(page, "11-customers", shots, problems)
    page.goto(f"{url}/store/workspace/")
    fits(page, "12-workspace-list", shots, problems)
    page.goto(f"{url}/store/workspace/customers/{order.customer_id}/")
    fits(page, "13-workspace-panel", shots, problems)
    subscription = Subscription.objects.filter(customer=order.customer).first()
    assert subscription is not None
    page.goto(f"{url}/store/workspace/subscriptions/{subscription.pk}/")
    fits(page, "14-subscription", shots, problems)
    page.goto(f"{url}/store/workspace/renewals/")
    fits(page, "15-renewals", shots, problems)
    assert not problems, "\n".join(problems)
