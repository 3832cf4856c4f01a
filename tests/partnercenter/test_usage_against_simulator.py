"""Azure plan daily-rated usage through our client against the simulator over HTTPS: the unbilled usage of the
current and the last period (the default seed's Azure plan has both), the billed usage of an invoice, the
determinism of the simulated usage, the usage rounding rule, a planted spike, and the failures of the export flow."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import ROUND_DOWN, Decimal

import pytest

from partnercenter import ExportExpiredError, ExportOperationFailedError, PartnerCenterClient, clouds
from partnercenter.usage_types import UsageLineItem

pytest.importorskip("partnercenter.simulator.testing", reason="simulator not available")

from partnercenter.simulator.testing import SimulatorHandle


@pytest.fixture
def client(pc_sim: SimulatorHandle) -> Iterator[PartnerCenterClient]:
    partner = pc_sim.partners.direct
    cloud = clouds.custom(api_base_url=pc_sim.base_url, authority_host=pc_sim.login_url)
    with PartnerCenterClient.for_cloud(
        cloud, tenant_id=partner.tenant_id, client_id=partner.client_id, client_secret=partner.client_secret,
        refresh_token=partner.refresh_token, ca_bundle=pc_sim.ca_bundle, sleep=lambda s: None,
    ) as c:
        yield c


def _now(pc_sim: SimulatorHandle) -> dt.datetime:
    return dt.datetime.fromisoformat(pc_sim.control.now().replace("Z", "+00:00"))


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def test_unbilled_usage_of_the_seeded_azure_plan(pc_sim: SimulatorHandle, client: PartnerCenterClient) -> None:
    azure_plan = pc_sim.control.seeded["sub_azure_plan"]
    today = _now(pc_sim).date()
    current = list(client.usage.unbilled_line_items(currency_code="USD", billing_period="current"))
    last = list(client.usage.unbilled_line_items(currency_code="USD", billing_period="last"))

    assert last, "the seeded Azure plan has usage for the last period"
    if today.day > 1:
        assert current, "and for the current period so far"
    for line in current:
        assert line.usage_date is not None and line.usage_date.date() < today
        assert (line.usage_date.year, line.usage_date.month) == (today.year, today.month)
    for line in current + last:
        assert isinstance(line, UsageLineItem)
        assert line.subscription_id == azure_plan
        assert line.entitlement_id and line.meter_category and line.meter_id and line.meter_region
        assert line.quantity is not None and line.quantity > 0
        assert line.billing_currency == "USD" and line.pc_to_bc_exchange_rate == 1
        # Microsoft's usage rounding: ROUNDDOWN(ROUNDDOWN(EUP x qty, 2) x FX, 2)
        assert line.effective_unit_price is not None and line.pricing_pre_tax_total is not None
        assert line.pricing_pre_tax_total == _cents(line.effective_unit_price * line.quantity)
        assert line.billing_pre_tax_total == _cents(line.pricing_pre_tax_total * 1)
        assert line.partner_earned_credit_percentage in (0, 15)
        if line.partner_earned_credit_percentage == 15:
            assert line.effective_unit_price == (line.unit_price or 0) * Decimal("0.85")
    days = {line.usage_date.date() for line in last if line.usage_date}
    first_of_last = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    assert min(days) == first_of_last and len(days) == (today.replace(day=1) - first_of_last).days
    entitlements = {line.entitlement_id for line in last}
    assert len(entitlements) == 2, "Production and Development"
    assert len({line.meter_category for line in last}) >= 2


def test_usage_is_deterministic_and_in_the_billing_currency(client: PartnerCenterClient) -> None:
    first = [(x.entitlement_id, x.meter_id, x.usage_date, x.quantity, x.billing_pre_tax_total)
             for x in client.usage.unbilled_line_items(currency_code="USD", billing_period="last")]
    again = [(x.entitlement_id, x.meter_id, x.usage_date, x.quantity, x.billing_pre_tax_total)
             for x in client.usage.unbilled_line_items(currency_code="USD", billing_period="last")]
    assert first == again
    euro = list(client.usage.unbilled_line_items(currency_code="EUR", billing_period="last"))
    assert [(x.entitlement_id, x.meter_id, x.usage_date, x.quantity) for x in euro] == [r[:4] for r in first]
    for line in euro:
        assert line.billing_currency == "EUR" and line.pricing_currency == "USD"
        rate = line.pc_to_bc_exchange_rate
        assert rate is not None and rate != 1
        assert line.billing_pre_tax_total == _cents((line.pricing_pre_tax_total or Decimal(0)) * rate)


def test_billed_usage_of_an_invoice_equals_the_unbilled_usage_of_its_month(
        pc_sim: SimulatorHandle, client: PartnerCenterClient) -> None:
    today = _now(pc_sim).date()
    last_period = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    invoice = next(i for i in client.invoices.list()
                   if i.billing_period_start and i.billing_period_start.date() == last_period
                   and i.currency_code == "USD")
    billed = list(client.usage.billed_line_items(invoice.id))
    unbilled = list(client.usage.unbilled_line_items(currency_code="USD", billing_period="last"))

    assert billed and all(x.invoice_number == invoice.id for x in billed)
    assert sum(x.billing_pre_tax_total or 0 for x in billed) == sum(x.billing_pre_tax_total or 0 for x in unbilled)
    assert len(billed) == len(unbilled)


def test_basic_attribute_set_leaves_the_full_only_columns_out(client: PartnerCenterClient) -> None:
    basic = next(iter(client.usage.unbilled_line_items(currency_code="USD", billing_period="last",
                                                       attribute_set="basic")))
    assert basic.meter_category is None and basic.entitlement_id and basic.billing_pre_tax_total is not None


def test_a_spike_multiplies_one_day(pc_sim: SimulatorHandle, client: PartnerCenterClient) -> None:
    before = list(client.usage.unbilled_line_items(currency_code="USD", billing_period="last"))
    entitlement = before[0].entitlement_id
    assert entitlement
    day = before[0].usage_date.date().isoformat() if before[0].usage_date else ""
    pc_sim.control.usage_spike(entitlement, day=day, factor=10)
    after = list(client.usage.unbilled_line_items(currency_code="USD", billing_period="last"))

    def per_day(lines: list[UsageLineItem]) -> dict[tuple[str, str], Decimal]:
        sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for x in lines:
            if x.entitlement_id == entitlement and x.usage_date:
                sums[(x.usage_date.date().isoformat(), x.meter_id or "")] += x.quantity or 0
        return sums

    b, a = per_day(before), per_day(after)
    for key, quantity in b.items():
        if key[0] == day:
            assert abs(a[key] - quantity * 10) < Decimal("0.00001")
        else:
            assert a[key] == quantity


def test_export_failures_surface(pc_sim: SimulatorHandle, client: PartnerCenterClient) -> None:
    pc_sim.control.billing_fault("operation_failed")
    with pytest.raises(ExportOperationFailedError):
        list(client.usage.unbilled_line_items(currency_code="USD", billing_period="last"))
    pc_sim.control.billing_fault("blob_expired")
    with pytest.raises(ExportExpiredError):
        list(client.usage.unbilled_line_items(currency_code="USD", billing_period="last"))
    with pytest.raises(ExportOperationFailedError):
        list(client.usage.billed_line_items("G000000000"))
