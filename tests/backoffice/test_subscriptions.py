"""Back office subscriptions: every filter of the list, search, the subscription page, gating."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.backoffice.conftest import staff_with
from tests.factories.bss import (
    LicenseLedgerEntryFactory,
    MicrosoftTenantFactory,
    OrderLineFactory,
    PartnerCenterInstanceFactory,
    ResellerFactory,
    StaffUserFactory,
    SubscriptionFactory,
)
from tests.factories.catalog import ProductFactory
from tests.factories.provisioning import ProvisioningOperationFactory

pytestmark = pytest.mark.django_db


def _names(response) -> set[str]:
    return {s.name for s in response.context["page"]}


@pytest.fixture
def subscriptions():
    today = timezone.localdate()
    instance = PartnerCenterInstanceFactory(name="EU account")
    reseller = ResellerFactory(name="Tailspin")
    dynamics = SubscriptionFactory(
        name="Dynamics 365 Sales", pc_product_id="DYN1", status="suspended", term_duration="P1M",
        billing_cycle="monthly", commitment_end_date=today + dt.timedelta(days=20),
        tenant=MicrosoftTenantFactory(instance=instance, customer__reseller=reseller),
    )
    ProductFactory(instance=instance, product_id="DYN1", family="Dynamics 365")
    m365 = SubscriptionFactory(name="Microsoft 365 E3", pc_product_id="M365E3", term_duration="P1Y",
                               billing_cycle="annual", commitment_end_date=today + dt.timedelta(days=200))
    ProductFactory(instance=m365.tenant.instance, product_id="M365E3", family="Microsoft 365")
    azure = SubscriptionFactory(name="Azure plan", term_duration="", billing_cycle="none", pc_order_id="pc-o-9")
    return {"dynamics": dynamics, "m365": m365, "azure": azure, "instance": instance, "reseller": reseller}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"Dynamics 365 Sales", "Microsoft 365 E3", "Azure plan"}),
        ({"status": "suspended"}, {"Dynamics 365 Sales"}),
        ({"term": "P1Y"}, {"Microsoft 365 E3"}),
        ({"term": "none"}, {"Azure plan"}),
        ({"cycle": "annual"}, {"Microsoft 365 E3"}),
        ({"renewal": "30"}, {"Dynamics 365 Sales"}),
        ({"renewal": "365"}, {"Dynamics 365 Sales", "Microsoft 365 E3"}),
        ({"family": "Dynamics 365"}, {"Dynamics 365 Sales"}),
        ({"family": "Other"}, {"Azure plan"}),
        ({"q": "e3"}, {"Microsoft 365 E3"}),
        ({"q": "pc-o-9"}, {"Azure plan"}),
    ],
)
def test_filters_and_search(client, subscriptions, query, expected):
    client.force_login(staff_with("bss.view_subscription"))
    assert _names(client.get(reverse("backoffice:subscription_list"), query)) == expected


def test_filters_by_instance_reseller_and_customer(client, subscriptions):
    client.force_login(staff_with("bss.view_subscription"))
    url = reverse("backoffice:subscription_list")
    assert _names(client.get(url, {"instance": subscriptions["instance"].pk})) == {"Dynamics 365 Sales"}
    assert _names(client.get(url, {"reseller": subscriptions["reseller"].pk})) == {"Dynamics 365 Sales"}
    assert _names(client.get(url, {"customer": subscriptions["azure"].customer_id})) == {"Azure plan"}


def test_subscription_page_shows_ids_terms_ledger_and_operations(client):
    line = OrderLineFactory(unit_price=Decimal("10.5000"))
    sub = SubscriptionFactory(tenant=line.order.tenant, order_line=line, pc_subscription_id="sub-abc",
                              pc_order_id="pc-order-1", quantity=12, commitment_end_date=dt.date(2027, 3, 31))
    LicenseLedgerEntryFactory(subscription=sub, quantity_before=10, quantity_after=12, reason="seat increase",
                              unit_price=Decimal("10.5000"), currency="USD")
    ProvisioningOperationFactory(order=line.order, subscription=sub, kind="change_quantity",
                                 last_error_message="quantity limit")
    client.force_login(staff_with("bss.view_subscription"))
    page = client.get(reverse("backoffice:subscription_detail", args=[sub.pk])).content.decode()
    for text in ("sub-abc", "pc-order-1", "2027-03-31", "10 → 12", "seat increase", "Change quantity",
                 "quantity limit", reverse("backoffice:order_detail", args=[line.order_id])):
        assert text in page, text


def test_staff_without_the_permission_get_404(client):
    sub = SubscriptionFactory()
    client.force_login(StaffUserFactory())
    assert client.get(reverse("backoffice:subscription_list")).status_code == 404
    assert client.get(reverse("backoffice:subscription_detail", args=[sub.pk])).status_code == 404
    assert client.get(reverse("backoffice:subscription_list"), {"format": "csv"}).status_code == 404


def test_excel_export_keeps_the_filters_and_escapes_formulas(client, subscriptions):
    from io import BytesIO

    from openpyxl import load_workbook

    subscriptions["azure"].name = "@SUM(A1)"
    subscriptions["azure"].save()
    client.force_login(staff_with("bss.view_subscription"))
    response = client.get(reverse("backoffice:subscription_list"), {"term": "none", "format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Subscription" and len(rows) == 2
    assert rows[1][0] == "'@SUM(A1)" and rows[1][2] == "pc-o-9" and rows[1][8] == "Other"
