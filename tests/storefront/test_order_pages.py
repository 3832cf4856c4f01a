"""Order history and the order page: filters, live status fallbacks, and self-hosted assets only."""

import re

import pytest
from django.urls import reverse

from bss.choices import OrderStatus
from tests.factories.bss import CustomerFactory
from tests.storefront.test_access import make_order

pytestmark = pytest.mark.django_db


def test_order_history_filters_by_status_and_search(reseller_client, marketplace, reseller):
    waiting = make_order(CustomerFactory(reseller=reseller, marketplace=marketplace, company_name="Adatum"))
    done = make_order(CustomerFactory(reseller=reseller, marketplace=marketplace, company_name="Contoso"),
                      status=OrderStatus.COMPLETED)
    url = reverse("storefront:order_list")

    assert list(reseller_client.get(url, {"status": "completed"}).context["orders"]) == [done]
    assert list(reseller_client.get(url, {"q": "adat"}).context["orders"]) == [waiting]
    assert list(reseller_client.get(url, {"q": str(done.number)[:8]}).context["orders"]) == [done]


@pytest.mark.parametrize(("status", "live"), [(OrderStatus.AWAITING_RELATIONSHIP, True),
                                              (OrderStatus.COMPLETED, False), (OrderStatus.FAILED, False)])
def test_order_page_polls_while_the_order_is_open_and_falls_back_to_a_refresh_without_javascript(
    status, live, reseller_client, marketplace, reseller
):
    order = make_order(CustomerFactory(reseller=reseller, marketplace=marketplace), status=status)

    html = reseller_client.get(reverse("storefront:order_detail", args=[order.pk])).content.decode()

    assert f'data-status-url="{reverse("storefront:order_status", args=[order.pk])}"' in html
    assert ('<noscript><meta http-equiv="refresh" content="5"></noscript>' in html) is live


@pytest.mark.parametrize("name", ["storefront:catalog", "storefront:cart", "storefront:order_list"])
def test_pages_load_only_self_hosted_assets(name, reseller_client, marketplace):
    html = reseller_client.get(reverse(name)).content.decode()

    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert "/static/storefront/storefront.js" in assets and "/static/css/app.css" in assets
    assert all(a.startswith("/static/") for a in assets)
