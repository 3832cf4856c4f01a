"""Billing Azure usage in arrears: one invoice line per Azure subscription and meter category on the next
invoice, at Microsoft's cost plus the markup of the customer (or else its reseller), or the list price less a
discount (Microsoft's usage rounding and FX), to the cent; billed once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import InvoiceLine
from reconciliation.usage.choices import PricingMethod, UsageImportKind
from reconciliation.usage.models import UsageCharge
from reconciliation.usage.services.charges import list_amount, usage_bill_month
from tests.factories.billing import IssuerFactory
from tests.factories.bss import CustomerFactory, ProviderFactory
from tests.factories.usage import UsageImportFactory, UsageLineFactory, UsagePricingFactory

pytestmark = pytest.mark.django_db


def billed_month(customer, lines: list[tuple[str, str, str, str, str]], *, rate: str = "1", currency: str = "USD"):
    """Billed usage of June 2025: (entitlement, category, quantity, unit price, billing total) per line."""
    imported = UsageImportFactory(kind=UsageImportKind.BILLED, import_id="G000000123", currency=currency,
                                  instance=customer.marketplace.instance)
    for day, (entitlement, category, quantity, price, total) in enumerate(lines, start=1):
        UsageLineFactory(usage_import=imported, customer=customer, usage_date=dt.date(2025, 6, day),
                         entitlement_id=entitlement, entitlement_name=entitlement.title(), meter_category=category,
                         quantity=Decimal(quantity), unit_price=Decimal(price), billing_total=Decimal(total),
                         exchange_rate=Decimal(rate), currency=currency)
    return imported


def direct_customer():
    provider = ProviderFactory()
    IssuerFactory(reseller=provider)
    return CustomerFactory(reseller=provider, marketplace__owner=provider)


def test_usage_lines_per_subscription_and_category_with_markup_to_the_cent():
    customer = direct_customer()
    UsagePricingFactory(customer=customer, method=PricingMethod.MARKUP, percent=Decimal("12.5"))
    imported = billed_month(customer, [
        ("production", "Virtual Machines", "24", "0.096", "1.95"),
        ("production", "Virtual Machines", "24", "0.096", "1.95"),
        ("production", "Storage", "1000", "0.0208", "17.68"),
        ("development", "Virtual Machines", "10.5", "0.096", "0.85"),
    ])

    charges = usage_bill_month(instance_id=imported.instance_id, year=2025, month=6)

    got = {(c.entitlement_id, c.meter_category): (c.cost, c.amount) for c in charges}
    assert got == {
        ("production", "Virtual Machines"): (Decimal("3.90"), Decimal("4.39")),  # 3.90 x 1.125 = 4.3875
        ("production", "Storage"): (Decimal("17.68"), Decimal("19.89")),  # 19.89
        ("development", "Virtual Machines"): (Decimal("0.85"), Decimal("0.96")),  # 0.95625
    }
    lines = InvoiceLine.objects.filter(end_customer=customer, charge_type="usage").order_by("description")
    assert [(line.description, line.amount, line.cost_amount) for line in lines] == [
        ("Azure usage 2025-06: Development - Virtual Machines", Decimal("0.96"), Decimal("0.85")),
        ("Azure usage 2025-06: Production - Storage", Decimal("19.89"), Decimal("17.68")),
        ("Azure usage 2025-06: Production - Virtual Machines", Decimal("4.39"), Decimal("3.90")),
    ]
    assert all(line.charge_start == dt.date(2025, 6, 1) and line.charge_end == dt.date(2025, 6, 30)
               for line in lines)
    assert len({line.invoice_id for line in lines}) == 1

    assert usage_bill_month(instance_id=imported.instance_id, year=2025, month=6) == []  # billed once
    assert InvoiceLine.objects.filter(end_customer=customer, charge_type="usage").count() == 3
    assert UsageCharge.objects.filter(customer=customer).count() == 3


def test_the_reseller_rule_applies_when_the_customer_has_none_and_no_rule_bills_cost():
    customer = direct_customer()
    imported = billed_month(customer, [("production", "Bandwidth", "100", "0.087", "8.70")])
    usage_bill_month(instance_id=imported.instance_id, year=2025, month=6)
    assert InvoiceLine.objects.get(end_customer=customer).amount == Decimal("8.70")

    other = direct_customer()
    UsagePricingFactory(customer=None, reseller=other.reseller, percent=Decimal(20))
    imported = billed_month(other, [("production", "Bandwidth", "100", "0.087", "8.70")])
    usage_bill_month(instance_id=imported.instance_id, year=2025, month=6)
    assert InvoiceLine.objects.get(end_customer=other).amount == Decimal("10.44")


def test_discount_off_list_uses_microsofts_usage_rounding_and_fx():
    customer = direct_customer()
    UsagePricingFactory(customer=customer, method=PricingMethod.DISCOUNT, percent=Decimal(5))
    # List: ROUNDDOWN(ROUNDDOWN(0.096 x 24.77, 2) x 0.92153, 2) = ROUNDDOWN(2.37 x 0.92153, 2) = 2.18
    assert list_amount(Decimal("0.096"), Decimal("24.77"), Decimal("0.92153")) == Decimal("2.18")
    imported = billed_month(customer, [
        ("production", "Virtual Machines", "24.77", "0.096", "1.85"),
        ("production", "Virtual Machines", "100", "0.096", "7.52"),  # 9.60 x 0.92153 = 8.846... -> 8.84
    ], rate="0.92153", currency="EUR")
    customer.marketplace.currency = "EUR"
    customer.marketplace.save()
    usage_bill_month(instance_id=imported.instance_id, year=2025, month=6)
    line = InvoiceLine.objects.get(end_customer=customer)
    assert line.cost_amount == Decimal("9.37")
    assert line.amount == Decimal("10.47")  # (2.18 + 8.84) x 0.95 = 10.469 -> 10.47


def test_the_check_shows_billed_usage_against_what_we_billed(client):
    from django.contrib.auth.models import Permission

    from bss.models import User
    from reconciliation.usage.selectors import usage_billing_check
    from tests.factories.bss import StaffUserFactory

    customer = direct_customer()
    imported = billed_month(customer, [("production", "Storage", "1000", "0.0208", "17.68")])
    UsageLineFactory(usage_import=imported, customer=None, customer_name="Stranger Ltd",
                     customer_tenant_id="99999999-9999-4999-8999-999999999999", usage_date=dt.date(2025, 6, 2),
                     billing_total=Decimal("5.00"))
    before = {(r.customer_name, r.status) for r in usage_billing_check(2025, 6)}
    assert before == {(customer.company_name, "not_billed"),
                      ("Stranger Ltd (99999999-9999-4999-8999-999999999999)", "unknown_tenant")}

    usage_bill_month(instance_id=imported.instance_id, year=2025, month=6)
    after = usage_billing_check(2025, 6)
    assert [r.status for r in after] == ["unknown_tenant", "billed"]
    assert after[1].microsoft_cost == after[1].billed_cost == Decimal("17.68")

    staff = StaffUserFactory()
    staff.user_permissions.add(Permission.objects.get(codename="view_usageimport"))
    client.force_login(User.objects.get(pk=staff.pk))
    page = client.get("/backoffice/usage/check/?month=2025-06").content.decode()
    assert "1 group to look at" in page and "Tenant not in the BSS" in page and "17.68" in page
