"""Cancel, reduce and suspend on the workspace's subscription page ask first, saying what will happen (the refund
while the cancellation window is open, billing that continues while suspended), on a page of their own that works
without JavaScript (a POST form with a confirm field); nothing reaches Partner Center until it is confirmed.

A real browser (Debian's Chromium, Playwright, live server), with JavaScript turned off; and test-client checks of
the consequences (no refund after the window)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from bss.choices import SubscriptionStatus
from bss.models import LicenseLedgerEntry
from provisioning.choices import OperationKind
from provisioning.models import ProvisioningOperation
from tests.factories.bss import CustomerFactory, MicrosoftTenantFactory, SubscriptionFactory
from tests.storefront.test_browser import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
def subscription(marketplace, reseller):
    customer = CustomerFactory(reseller=reseller, marketplace=marketplace, company_name="Tailspin Toys")
    tenant = MicrosoftTenantFactory(customer=customer, instance=marketplace.instance)
    sub = SubscriptionFactory(
        tenant=tenant, customer=customer, name="Microsoft 365 Business Basic", quantity=10,
        status=SubscriptionStatus.ACTIVE, billing_cycle="monthly", term_duration="P1Y",
        pc_product_id="CFQ7TTC0LH18", pc_sku_id="0001",
        cancellation_allowed_until=timezone.now() + timedelta(days=3),
    )
    LicenseLedgerEntry.objects.create(subscription=sub, quantity_before=0, quantity_after=10, reason="order",
                                      unit_price=Decimal("6.00"), currency="USD")
    return sub


def _ops(sub, kind=None):
    ops = ProvisioningOperation.objects.filter(subscription=sub)
    return ops.filter(kind=kind) if kind else ops


@pytest.mark.django_db
def test_cancel_after_the_window_says_no_refund(reseller_client, subscription):
    subscription.cancellation_allowed_until = timezone.now() - timedelta(days=1)
    subscription.save(update_fields=["cancellation_allowed_until"])

    page = reseller_client.post(reverse("workspace:subscription_action", args=[subscription.pk, "cancel"]))

    assert page.status_code == 200
    assert "No refund: the 7-day cancellation window is over" in page.content.decode()
    assert not _ops(subscription).exists()


@pytest.mark.django_db
def test_a_decrease_below_what_may_be_removed_is_refused_without_a_confirmation(reseller_client, subscription):
    LicenseLedgerEntry.objects.filter(subscription=subscription).update(
        created_at=timezone.now() - timedelta(days=30), effective_at=timezone.now() - timedelta(days=30)
    )

    response = reseller_client.post(reverse("workspace:subscription_action", args=[subscription.pk, "quantity"]),
                                    {"quantity": 2}, follow=True)

    assert "Only licences added in the last 7 days" in response.content.decode()
    assert not _ops(subscription).exists()


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium")
def test_cancel_suspend_and_reduce_ask_first_without_javascript(
    transactional_db, live_server, pc_sim, reseller_user, subscription, monkeypatch
):
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(java_script_enabled=False)
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            detail = f"{live_server.url}{reverse('workspace:subscription', args=[subscription.pk])}"
            page.goto(detail)
            page.fill("input[name=username]", reseller_user.username)
            page.fill("input[name=password]", "correct-horse-battery-staple")
            page.click("button[type=submit]")
            page.wait_for_url(re.compile(r".*/subscriptions/\d+/$"))

            # Cancel: the consequence first, nothing sent yet; "No" keeps it.
            page.click("button:has-text('Cancel subscription')")
            text = page.inner_text("[data-confirmation=cancel]")
            assert "All 10 licences are removed" in text and "at most 60.00 USD" in text
            assert not _ops(subscription).exists()
            page.click("text=No, keep it as it is")
            page.wait_for_url(re.compile(r".*/subscriptions/\d+/$"))

            # Suspend: billing continues.
            page.click("button:has-text('Suspend subscription')")
            assert "Billing continues while suspended" in page.inner_text("[data-confirmation=suspend]")
            assert not _ops(subscription).exists()
            page.goto(detail)

            # Reduce from 10 to 7: three licences, the refund for them; confirmed, it goes to Partner Center.
            page.fill("input[name=quantity]", "7")
            page.click("button:has-text('Change quantity')")
            text = page.inner_text("[data-confirmation=quantity]")
            assert "3 licences removed" in text and "at most 18.00 USD" in text
            assert not _ops(subscription).exists()
            page.click("button:has-text('Yes, remove 3 licences')")
            page.wait_for_url(re.compile(r".*/subscriptions/\d+/$"))
            op = _ops(subscription).get()
            assert op.payload.get("quantity") == 7
        finally:
            context.close()
            browser.close()


@pytest.mark.django_db
def test_a_confirmed_cancel_goes_to_partner_center(reseller_client, subscription, django_capture_on_commit_callbacks):
    url = reverse("workspace:subscription_action", args=[subscription.pk, "cancel"])

    with django_capture_on_commit_callbacks(execute=False):
        response = reseller_client.post(url, {"confirm": "yes"})

    assert response.status_code == 302
    assert _ops(subscription, OperationKind.CANCEL).count() == 1
