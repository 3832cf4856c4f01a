"""Dashboard: figures link to their filtered lists; the charts are inline SVG (no script, no style attribute)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from bss.models import Order
from bss.selectors_backoffice import monthly_recurring_revenue
from tests.backoffice.conftest import staff_with
from tests.factories.bss import OrderFactory, OrderLineFactory, SubscriptionFactory
from tests.factories.catalog import ProductFactory

pytestmark = pytest.mark.django_db


def test_figures_link_to_filtered_lists_and_charts_are_svg(client):
    failed = OrderFactory(status="failed")
    Order.objects.filter(pk=failed.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    sub = SubscriptionFactory(pc_product_id="P1", quantity=9)
    ProductFactory(instance=sub.tenant.instance, product_id="P1", family="Microsoft 365")
    client.force_login(staff_with("bss.view_order", "bss.view_subscription"))
    html = client.get(reverse("backoffice:dashboard")).content.decode()
    assert 'href="/backoffice/orders/?status=failed"' in html
    assert 'href="/backoffice/subscriptions/?status=active"' in html
    assert 'href="/backoffice/subscriptions/?renewal=30"' in html
    assert html.count("<svg") >= 2 and "<script" not in html and "style=" not in html
    day = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    assert f'href="/backoffice/orders/?from={day}&amp;to={day}"' in html
    assert 'href="/backoffice/subscriptions/?family=Microsoft+365&amp;status=active"' in html
    assert "Microsoft 365: 9 active seats" in html


def test_monthly_recurring_revenue_spreads_annual_prices_and_leaves_out_one_time():
    staff = staff_with("bss.view_subscription")
    now = timezone.now()
    monthly = OrderLineFactory(unit_price=Decimal("6.0000"), billing_cycle="monthly")
    SubscriptionFactory(tenant=monthly.order.tenant, order_line=monthly, quantity=10, billing_cycle="monthly",
                        effective_start_date=now - dt.timedelta(days=400))
    annual = OrderLineFactory(unit_price=Decimal("120.0000"), billing_cycle="annual")
    SubscriptionFactory(tenant=annual.order.tenant, order_line=annual, quantity=2, billing_cycle="annual",
                        effective_start_date=now)
    once = OrderLineFactory(unit_price=Decimal("999.0000"), billing_cycle="one_time")
    SubscriptionFactory(tenant=once.order.tenant, order_line=once, quantity=1, billing_cycle="one_time")
    series = monthly_recurring_revenue(user=staff, months=12)["USD"]
    assert len(series) == 12
    assert series[-1][1] == Decimal("80.00")  # 10 x 6 + 2 x 120 / 12
    assert series[0][1] == Decimal("60.00")  # a year ago only the monthly one had started


def test_figures_and_charts_follow_the_permissions(client):
    OrderFactory(status="failed")
    SubscriptionFactory()
    client.force_login(staff_with("bss.view_subscription"))
    html = client.get(reverse("backoffice:dashboard")).content.decode()
    assert "Orders per day" not in html and "/backoffice/orders/?status=failed" not in html
    assert "Active seats per product family" in html and "/backoffice/subscriptions/?status=active" in html
