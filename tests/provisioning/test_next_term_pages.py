"""Changes at renewal through the pages: the storefront subscription page (reseller) and the back office, the
refusal shown on the form, and the renewal planner (exactly the subscriptions due, price at renewal, reminders,
CSV export, bulk "set change at renewal")."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from bss.models import NextTermInstruction, Subscription
from storefront.workspace.models import RenewalReminder
from tests.factories.bss import (
    CustomerFactory,
    MicrosoftTenantFactory,
    StaffUserFactory,
    SubscriptionFactory,
)
from tests.factories.catalog import PriceFactory, ProductFactory, SkuFactory
from tests.provisioning.conftest import line

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(place):
    order = place(lines=[line(quantity=10)])
    return Subscription.objects.get(tenant=order.tenant)


@pytest.fixture
def staff(db):
    return StaffUserFactory(is_superuser=True)


def _download(client, url):
    response = client.get(url)
    return b"".join(response.streaming_content).decode("utf-8-sig").splitlines()


def _pc(pc_sim, sub):
    return pc_sim.app.state.partner(pc_sim.partners.direct.tenant_id).subscriptions[sub.pc_subscription_id]


def test_reseller_schedules_a_change_at_renewal_from_the_subscription_page(
    client, reseller_user, subscription, pc_sim, django_capture_on_commit_callbacks
):
    client.force_login(reseller_user)
    page = client.get(f"/store/workspace/subscriptions/{subscription.pk}/").content.decode()
    assert "Renewal" in page and f"after {subscription.commitment_end_date:%Y-%m-%d}" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/store/workspace/subscriptions/{subscription.pk}/renewal/", {"quantity": "7"})
    assert response.status_code == 302
    assert _pc(pc_sim, subscription).scheduled_next_term_instructions["quantity"] == 7
    page = client.get(f"/store/workspace/subscriptions/{subscription.pk}/").content.decode()
    assert "7 licences" in page and "held by Partner Center" in page


def test_refusal_is_shown_on_the_form(client, reseller_user, subscription):
    Subscription.objects.filter(pk=subscription.pk).update(auto_renew=False)
    client.force_login(reseller_user)
    response = client.post(f"/store/workspace/subscriptions/{subscription.pk}/renewal/", {"quantity": "7"})
    assert response.status_code == 400
    assert "Turn auto-renew on to schedule changes at renewal" in response.content.decode()
    assert not NextTermInstruction.objects.filter(subscription=subscription).exists()


def test_back_office_sets_and_clears_a_change_at_renewal(
    client, staff, subscription, pc_sim, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    assert "Schedule a change at renewal" in client.get(
        f"/backoffice/subscriptions/{subscription.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/backoffice/renewals/subscriptions/{subscription.pk}/",
                    {"quantity": "8", "billing_cycle": "annual"})
    held = _pc(pc_sim, subscription).scheduled_next_term_instructions
    assert held["quantity"] == 8 and held["product"]["billingCycle"] == "annual"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/backoffice/renewals/subscriptions/{subscription.pk}/", {"clear": "1"})
    assert _pc(pc_sim, subscription).scheduled_next_term_instructions is None
    assert not NextTermInstruction.objects.filter(subscription=subscription).exists()


def test_planner_lists_exactly_the_subscriptions_due_with_price_at_renewal(client, staff):
    today = timezone.localdate()
    tenant = MicrosoftTenantFactory(customer=CustomerFactory(company_name="Contoso"))
    due = SubscriptionFactory(tenant=tenant, name="Due in 10 days", commitment_end_date=today + dt.timedelta(days=10),
                              pc_product_id="CFQ7TTC0LH18", pc_sku_id="0001", quantity=12)
    SubscriptionFactory(tenant=tenant, name="Due in 59 days", commitment_end_date=today + dt.timedelta(days=59))
    SubscriptionFactory(tenant=tenant, name="Due in 61 days", commitment_end_date=today + dt.timedelta(days=61))
    SubscriptionFactory(tenant=tenant, name="Ends, no renewal", commitment_end_date=today + dt.timedelta(days=5),
                        auto_renew=False)
    SubscriptionFactory(tenant=tenant, name="Cancelled", commitment_end_date=today + dt.timedelta(days=5),
                        status="deleted")
    SubscriptionFactory(tenant=tenant, name="Ended yesterday", commitment_end_date=today - dt.timedelta(days=1))
    marketplace = tenant.customer.marketplace
    sku = SkuFactory(product=ProductFactory(instance=marketplace.instance, market=marketplace.market,
                                            product_id="CFQ7TTC0LH18"), sku_id="0001")
    PriceFactory(sku=sku, unit_price=Decimal("7.00"), erp_price=Decimal("8.40"), currency=marketplace.currency,
                 effective_start=timezone.now() - dt.timedelta(days=1))
    assert due.commitment_end_date is not None
    NextTermInstruction.objects.create(subscription=due, quantity=9, term_end=due.commitment_end_date)
    RenewalReminder.objects.create(subscription=due, term_end=due.commitment_end_date, recipients="a@example.com")

    client.force_login(staff)
    response = client.get("/backoffice/renewals/")
    page = response.content.decode()
    listed = {name for name in ("Due in 10 days", "Due in 59 days", "Due in 61 days", "Ends, no renewal",
                                "Cancelled", "Ended yesterday") if name in page}
    assert listed == {"Due in 10 days", "Due in 59 days"}
    assert "9 licences" in page and f"{timezone.now():%Y-%m-%d}" in page  # the instruction and the reminder
    assert "8.4000 " in page or "8.40 " in page  # the price list's sale price at renewal

    csv = _download(client, "/backoffice/renewals/?days=60&format=csv")
    assert csv[0].startswith("Renews on,Days left,Customer") and len(csv) == 3
    assert ",Due in 10 days," in csv[1] and ",9 licences," in csv[1]
    assert len(_download(client, "/backoffice/renewals/?days=90&format=csv")) == 4


def test_planner_bulk_sets_changes_at_renewal_and_lists_refusals(
    client, staff, place, pc_sim, django_capture_on_commit_callbacks
):
    first = Subscription.objects.get(tenant=place(lines=[line(quantity=10)]).tenant)
    second = Subscription.objects.get(tenant=place(lines=[line(quantity=4)]).tenant)
    Subscription.objects.filter(pk=second.pk).update(status="suspended")
    client.force_login(staff)
    page = client.get("/backoffice/renewals/?days=366").content.decode()
    assert first.name in page and f'name="quantity_{first.pk}"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/backoffice/renewals/bulk/", {
            "subscription": [first.pk, second.pk], f"quantity_{first.pk}": "6", f"quantity_{second.pk}": "2",
            "term_duration": "", "billing_cycle": "", "query": "days=366",
        }, follow=True)
    page = response.content.decode()
    assert "for 1 subscription" in page and "only on an active subscription" in page
    assert _pc(pc_sim, first).scheduled_next_term_instructions["quantity"] == 6
    assert not NextTermInstruction.objects.filter(subscription=second).exists()


def test_reseller_planner_shows_only_its_own_customers(client, reseller_user, subscription, place):
    other = SubscriptionFactory(name="Another reseller's plan",
                                commitment_end_date=timezone.localdate() + dt.timedelta(days=20))
    client.force_login(reseller_user)
    page = client.get("/store/workspace/renewals/planner/?days=366").content.decode()
    assert f'data-subscription="{subscription.pk}"' in page and other.name not in page
    csv = client.get("/store/workspace/renewals/planner/?days=366&format=csv").content.decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("Renews on,") and len(csv.splitlines()) == 2


def test_adopting_a_new_billing_cycle_records_a_billing_plan_change(staff):
    from bss.choices import LedgerEventKind
    from reconciliation.services.actions import subscription_adopt_partner_center_values

    sub = SubscriptionFactory(billing_cycle="monthly", commitment_end_date=timezone.localdate() + dt.timedelta(days=90))
    subscription_adopt_partner_center_values(actor=staff, subscription=sub, values={"billing_cycle": "annual"},
                                             reason="test")
    entry = sub.ledger.get()
    assert entry.kind == LedgerEventKind.BILLING_PLAN_CHANGE and entry.billing_cycle == "annual"
    subscription_adopt_partner_center_values(actor=staff, subscription=sub, values={"billing_cycle": "annual"},
                                             reason="again")
    assert sub.ledger.count() == 1


def test_planner_prices_the_renewal_after_the_promotion(staff):
    from billing.selectors_renewals import renewal_plan_for_user

    today = timezone.localdate()
    tenant = MicrosoftTenantFactory()
    common = {"tenant": tenant, "pc_product_id": "CFQ7TTC0LH18", "pc_sku_id": "0001", "promotion_id": "39NFJQT1Q5KV",
              "promotion_unit_price": Decimal("4.50"), "regular_unit_price": Decimal("6.00")}
    ending = SubscriptionFactory(name="Promotion ends first", commitment_end_date=today + dt.timedelta(days=30),
                                 promotion_ends_on=today + dt.timedelta(days=10), **common)
    lasting = SubscriptionFactory(name="Promotion lasts", commitment_end_date=today + dt.timedelta(days=30),
                                  promotion_ends_on=today + dt.timedelta(days=400), **common)
    marketplace = tenant.customer.marketplace
    sku = SkuFactory(product=ProductFactory(instance=marketplace.instance, market=marketplace.market,
                                            product_id="CFQ7TTC0LH18"), sku_id="0001")
    PriceFactory(sku=sku, unit_price=Decimal("7.00"), erp_price=Decimal("8.40"), currency=marketplace.currency,
                 effective_start=timezone.now() - dt.timedelta(days=1))

    rows = {r.subscription.pk: r for r in renewal_plan_for_user(user=staff, days=60)}

    assert rows[ending.pk].price_now == Decimal("4.50")
    at_renewal = rows[ending.pk].price_at_renewal
    assert at_renewal is not None and at_renewal > Decimal("7.00")  # the price list's sale price, not 4.50
    assert rows[ending.pk].amount_at_renewal == at_renewal * ending.quantity
    assert "the renewal is at the price list's price" in rows[ending.pk].promotion_note
    assert rows[lasting.pk].price_at_renewal == Decimal("4.50") and "still applies" in rows[lasting.pk].promotion_note
