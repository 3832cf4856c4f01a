"""Microsoft's bill in the simulator: its own proration gives the billing sheet's §3.3 worked examples
(Microsoft 365 Business Standard, EUR 10.08 per seat and month), a month of API events becomes an invoice and
its recon lines when the clock crosses the period, and the Graph exports serve them as gzip JSON Lines."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from decimal import Decimal
from typing import Any

import pytest

from partnercenter.simulator.ledger import (
    BilledSubscription,
    InvoiceNumbers,
    Ledger,
    LedgerRow,
    charge_cycle,
    subtotal,
)
from partnercenter.simulator.recon_render import FULL_ATTRIBUTES, line_item
from partnercenter.simulator.testing import SimulatorHandle

from .helpers import Api

TENANT = "5c1f0e9a-3b7d-4e2a-9f60-1a2b3c4d5e01"
PRICE = Decimal("10.08")


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


def subscription(sid: str, start: str, *, term: str = "P1M", plan: str = "monthly", price: Decimal = PRICE,
                 quantity: int = 10, trial: bool = False) -> BilledSubscription:
    begin = dt.date.fromisoformat(start)
    months = {"P1M": 1, "P1Y": 12, "P3Y": 36}[term]
    end = charge_cycle(begin, months, 0).end
    return BilledSubscription(
        partner_tenant_id=TENANT, partner_mpn_id="4712001", subscription_id=sid, customer_id="c1",
        customer_name="Northwind", customer_domain="northwind.onmicrosoft.com", customer_country="DE",
        order_id="o-" + sid, product_id="CFQ7TTC0LDPB", sku_id="0001", availability_id="CFQ7TTC0K4M6",
        product_name="Microsoft 365 Business Standard", sku_name="Microsoft 365 Business Standard",
        publisher_name="Microsoft Corporation", term=term, billing_plan=plan, unit_price=price, currency="EUR",
        term_start=begin, term_end=end, quantity=quantity, trial=trial,
    )


def amounts(rows: list[LedgerRow], mode: str = "documented") -> list[Decimal]:
    return [subtotal(r.effective_unit_price, Decimal(r.quantity), Decimal(1), mode) for r in rows]


def test_new_purchase_charges_the_first_cycle() -> None:
    ledger = Ledger()
    [row] = ledger.purchase(subscription("s1", "2021-06-18"), at("2021-06-18"))

    assert (row.charge_type, row.charge_start, row.charge_end) == ("new", dt.date(2021, 6, 18), dt.date(2021, 7, 17))
    assert amounts([row]) == [Decimal("100.80")]


def test_prepaid_annual_charges_the_whole_term() -> None:
    ledger = Ledger()
    [row] = ledger.purchase(subscription("s1", "2021-06-18", term="P1Y", plan="annual", price=Decimal("120.96")),
                            at("2021-06-18"))

    assert (row.charge_start, row.charge_end) == (dt.date(2021, 6, 18), dt.date(2022, 6, 17))
    assert amounts([row]) == [Decimal("1209.60")]


def test_seat_changes_refund_and_charge_the_rest_of_the_cycle_in_both_rounding_variants() -> None:
    ledger = Ledger()
    ledger.purchase(subscription("s1", "2021-06-18"), at("2021-06-18"))

    added = ledger.change_quantity("s1", at("2021-06-20"), 12)
    removed = ledger.change_quantity("s1", at("2021-06-20", 11), 8)

    assert [r.charge_type for r in added + removed] == ["addQuantity"] * 2 + ["removeQuantity"] * 2
    assert [r.effective_unit_price for r in added] == [Decimal("-9.408"), Decimal("9.408")]  # 10.08 / 30 x 28
    assert [r.quantity for r in added + removed] == [10, 12, 12, 8]
    assert added[0].reference_id == added[1].reference_id != removed[0].reference_id
    assert added[0].charge_end == dt.date(2021, 7, 17)
    # The documented formula truncates the unit price first; Microsoft's seat-change tables truncate the line.
    assert amounts(added + removed) == [Decimal("-94.00"), Decimal("112.80"), Decimal("-112.80"), Decimal("75.20")]
    assert amounts(added + removed, "line") == [Decimal("-94.08"), Decimal("112.89"), Decimal("-112.89"),
                                                Decimal("75.26")]


def test_cancellation_refunds_the_unused_days() -> None:
    ledger = Ledger()
    ledger.purchase(subscription("s1", "2021-07-15"), at("2021-07-15"))

    [row] = ledger.cancel("s1", at("2021-07-17"))

    assert row.charge_type == "cancelImmediate" and row.billing_days == 29 and row.cycle_days == 31
    assert amounts([row]) == [Decimal("-94.20")]


@pytest.mark.parametrize(("seats", "refund", "charge"), [
    (300, Decimal("-2316.00"), Decimal("1476.00")),
    (100, Decimal("-772.00"), Decimal("492.00")),
])
def test_upgrade_converts_source_and_target_under_one_reference(seats: int, refund: Decimal,
                                                                charge: Decimal) -> None:
    ledger = Ledger()
    ledger.purchase(subscription("s1", "2021-06-18", quantity=300), at("2021-06-18"))
    target = subscription("e1", "2021-06-25", price=Decimal("6.43"), quantity=seats)

    rows = ledger.convert("s1", target, at("2021-06-25"), seats)

    assert [r.charge_type for r in rows] == ["convert", "convert"]
    assert rows[0].reference_id == rows[1].reference_id
    assert [r.sub.subscription_id for r in rows] == ["s1", "e1"]
    assert amounts(rows) == [refund, charge]


def test_renewal_and_cycle_charges_at_the_full_price() -> None:
    ledger = Ledger()
    ledger.purchase(subscription("monthly", "2021-06-18"), at("2021-06-18"))
    ledger.purchase(subscription("annual-term", "2021-06-18", term="P1Y", plan="monthly"), at("2021-06-18"))

    [renewal] = ledger.renew("monthly", dt.date(2021, 7, 18), dt.date(2021, 8, 17), quantity=10, term="P1M",
                             billing_plan="monthly", unit_price=None)
    ledger.close_through(TENANT, at("2021-08-01", 0), delay_days=0, invoice_number=InvoiceNumbers())
    july = [r for r in ledger.lines if r.period == "202107"]

    assert (renewal.charge_type, renewal.charge_start, renewal.charge_end) == (
        "renew", dt.date(2021, 7, 18), dt.date(2021, 8, 17))
    cycle = [r for r in july if r.charge_type == "cycleCharge"]
    assert [(r.sub.subscription_id, r.charge_start, r.charge_end) for r in cycle] == [
        ("annual-term", dt.date(2021, 7, 18), dt.date(2021, 8, 17))]
    assert amounts([renewal, *cycle]) == [Decimal("100.80"), Decimal("100.80")]


def test_trial_lines_are_free_and_qualified() -> None:
    ledger = Ledger()
    [row] = ledger.purchase(subscription("t1", "2021-06-25", price=Decimal(0), quantity=25, trial=True),
                            at("2021-06-25"))
    rendered = line_item(row, mode="documented", tax_rate=Decimal(0))

    assert rendered["subtotal"] == 0 and rendered["productQualifiers"] == '["Trial"]'


def test_closing_a_period_issues_one_invoice_per_currency_with_every_attribute() -> None:
    ledger = Ledger()
    ledger.purchase(subscription("s1", "2021-06-18"), at("2021-06-18"))
    ledger.change_quantity("s1", at("2021-06-20"), 12)

    assert ledger.close_through(TENANT, at("2021-06-30", 23), delay_days=0, invoice_number=InvoiceNumbers()) == []
    [invoice] = ledger.close_through(TENANT, at("2021-07-01", 0), delay_days=0, invoice_number=InvoiceNumbers())
    later = ledger.purchase(subscription("s2", "2021-06-30"), at("2021-06-30"))  # dated in a closed period

    rows = ledger.billed(invoice.id)
    assert invoice.id.startswith("G") and invoice.period == "202106" and invoice.currency == "EUR"
    assert len(rows) == 3 and later[0].period == "202107"
    rendered = [line_item(r, mode="documented", tax_rate=Decimal("0.19")) for r in rows]
    assert set(rendered[0]) == set(FULL_ATTRIBUTES) and len(FULL_ATTRIBUTES) == 46
    assert [r["subtotal"] for r in rendered] == [100.8, -94, 112.8]
    assert [r["taxTotal"] for r in rendered] == [19.15, -17.86, 21.43]
    assert all(Decimal(str(r["totalForCustomer"])) == Decimal(str(r["subtotal"])) + Decimal(str(r["taxTotal"]))
               for r in rendered)


# -- over HTTPS: a month of events -----------------------------------------------------------------------------
@pytest.fixture
def empty_sim(pc_sim: SimulatorHandle) -> SimulatorHandle:
    pc_sim.control.reset(data="empty")
    pc_sim.control.configure(order_provisioning_seconds=0)
    return pc_sim


def _buy(api: Api, customer: str, quantity: int) -> dict[str, Any]:
    return api.buy_subscription(customer, quantity=quantity, term="P1M", cycle="monthly")


def test_a_month_of_api_events_becomes_an_invoice_with_the_worked_example_amounts(empty_sim: SimulatorHandle) -> None:
    sim = empty_sim
    sim.control.configure(billing_rounding="line")
    year = dt.datetime.now(dt.UTC).year + 1
    sim.control.set_clock(f"{year}-06-18T10:00:00Z")
    api = Api(sim, sim.partners.direct.tenant_id)
    customer = api.new_customer_with_mca("billingmonth")
    sub = _buy(api, customer, 10)
    # Microsoft charges EUR 10.08 here (a planted price): the sheet's example, whatever the catalog says.
    sim.control.plant_drift("price", subscriptionId=sub["id"], unitPrice="10.08")
    path = f"/customers/{customer}/subscriptions/{sub['id']}"
    sim.control.advance(days=2)
    grown = api.patch(path, json={**api.get(path).json(), "quantity": 12})
    assert grown.status_code == 200, grown.text
    shrunk = api.patch(path, json={**api.get(path).json(), "quantity": 8})
    assert shrunk.status_code == 200, shrunk.text

    sim.control.advance(days=12)  # 2 July: June is invoiced
    invoices = api.get("/invoices").json()["items"]
    lines = [line for line in sim.control.billing_lines() if line["period"] == f"{year}06"]

    assert [i["billingPeriodStartDate"][:10] for i in invoices] == [f"{year}-06-01"]
    assert [(line["chargeType"], line["quantity"], line["subtotal"]) for line in lines] == [
        ("new", 10, 100.8),
        ("addQuantity", 10, -94.08), ("addQuantity", 12, 112.89),
        ("removeQuantity", 12, -112.89), ("removeQuantity", 8, 75.26),
    ]
    assert {line["invoiceNumber"] for line in lines} == {invoices[0]["id"]}
    assert invoices[0]["totalCharges"] == pytest.approx(float(sum(Decimal(str(line["totalForCustomer"]))
                                                                  for line in lines)))
    assert lines[1]["referenceId"] == lines[2]["referenceId"]


def test_cancel_two_days_after_purchase_refunds_94_20(empty_sim: SimulatorHandle) -> None:
    sim = empty_sim
    year = dt.datetime.now(dt.UTC).year + 1
    sim.control.set_clock(f"{year}-07-15T09:00:00Z")
    api = Api(sim, sim.partners.direct.tenant_id)
    customer = api.new_customer_with_mca("cancelmonth")
    sub = _buy(api, customer, 10)
    sim.control.plant_drift("price", subscriptionId=sub["id"], unitPrice="10.08")
    sim.control.advance(days=2)
    path = f"/customers/{customer}/subscriptions/{sub['id']}"

    cancelled = api.patch(path, json={**api.get(path).json(), "status": "deleted"})

    assert cancelled.status_code == 200, cancelled.text
    lines = [(line["chargeType"], line["subtotal"]) for line in sim.control.billing_lines()]
    assert lines == [("new", 100.8), ("cancelImmediate", -94.2)]


def test_default_seed_has_the_last_closed_period_and_exports_it(pc_sim: SimulatorHandle) -> None:
    session = pc_sim.session()
    graph = pc_sim.control.token(pc_sim.partners.direct.tenant_id, audience="https://graph.microsoft.com")
    pc_token = pc_sim.control.token(pc_sim.partners.direct.tenant_id)
    invoices = session.get(f"{pc_sim.base_url}/v1/invoices", headers={"Authorization": f"Bearer {pc_token}"},
                           timeout=10).json()["items"]
    today = dt.datetime.now(dt.UTC).date()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    headers = {"Authorization": f"Bearer {graph}"}
    root = f"{pc_sim.base_url}/v1.0/reports/partners/billing"

    assert invoices[0]["billingPeriodStartDate"].startswith(last_month)
    wrong_audience = session.post(f"{root}/reconciliation/billed/export", json={"invoiceId": invoices[0]["id"]},
                                  headers={"Authorization": f"Bearer {pc_token}"}, timeout=10)
    assert wrong_audience.status_code == 401 and "error" in wrong_audience.json()
    started = session.post(f"{root}/reconciliation/billed/export", json={"invoiceId": invoices[0]["id"]},
                           headers=headers, timeout=10)
    assert started.status_code == 202 and started.content == b""
    operation = session.get(started.headers["Location"], headers=headers, timeout=10)
    assert operation.json()["status"] == "running" and operation.headers["Retry-After"] == "1"
    done = session.get(started.headers["Location"], headers=headers, timeout=10).json()
    assert done["@odata.type"] == "#microsoft.graph.partners.billing.exportSuccessOperation"
    manifest = session.get(done["resourceLocation@odata.navigationLink"], headers=headers, timeout=10).json()
    assert "/PartnerTenantId=" in manifest["rootDirectory"] and "sr=d&sp=rl" in manifest["sasToken"]
    blob = manifest["blobs"][0]["name"]
    unsigned = session.get(f"{manifest['rootDirectory']}/{blob}", timeout=10)
    assert unsigned.status_code == 403
    signed = session.get(f"{manifest['rootDirectory']}/{blob}?{manifest['sasToken']}", timeout=10)
    rows = [json.loads(line) for line in gzip.decompress(signed.content).splitlines()]
    assert rows and {r["invoiceNumber"] for r in rows} == {invoices[0]["id"]}
    pc_sim.control.configure(billing_key_casing="pascal")
    assert {r["InvoiceNumber"] for r in _export_rows(pc_sim, invoices[0]["id"], headers)} == {invoices[0]["id"]}


def _export_rows(sim: SimulatorHandle, invoice_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    return _exported(sim, headers, "billed", {"invoiceId": invoice_id})


def _unbilled_rows(sim: SimulatorHandle, headers: dict[str, str], period: str) -> list[dict[str, Any]]:
    return _exported(sim, headers, "unbilled", {"currencyCode": "USD", "billingPeriod": period, "attributeSet": "full"})


def _exported(sim: SimulatorHandle, headers: dict[str, str], kind: str, body: dict[str, str]) -> list[dict[str, Any]]:
    """Export, poll twice (running, then succeeded), read the manifest and every blob (plain requests)."""
    session = sim.session()
    root = f"{sim.base_url}/v1.0/reports/partners/billing"
    location = session.post(f"{root}/reconciliation/{kind}/export", json=body, headers=headers,
                            timeout=10).headers["Location"]
    session.get(location, headers=headers, timeout=10)
    done = session.get(location, headers=headers, timeout=10).json()
    manifest = session.get(done["resourceLocation@odata.navigationLink"], headers=headers, timeout=10).json()
    out: list[dict[str, Any]] = []
    for blob in manifest["blobs"]:
        data = session.get(f"{manifest['rootDirectory']}/{blob['name']}?{manifest['sasToken']}", timeout=10).content
        out += [json.loads(line) for line in gzip.decompress(data).splitlines()]
    return out


def test_export_refuses_missing_parameters_and_fails_unknown_invoices(pc_sim: SimulatorHandle) -> None:
    session = pc_sim.session()
    headers = {"Authorization": "Bearer " + pc_sim.control.token(pc_sim.partners.direct.tenant_id,
                                                                 audience="https://graph.microsoft.com")}
    root = f"{pc_sim.base_url}/beta/reports/partners/billing/reconciliation"

    missing = session.post(f"{root}/unbilled/export", json={"currencyCode": "USD"}, headers=headers, timeout=10)
    bad_set = session.post(f"{root}/billed/export", json={"invoiceId": "G1", "attributeSet": "all"},
                           headers=headers, timeout=10)
    unknown = session.post(f"{root}/billed/export", json={"invoiceId": "G000000001"}, headers=headers, timeout=10)
    pc_sim.control.configure(billing_export_polls=0)
    failed = session.get(unknown.headers["Location"], headers=headers, timeout=10).json()

    assert missing.status_code == bad_set.status_code == 400
    assert missing.json()["error"]["code"] == "BadRequest"
    assert failed["status"] == "failed" and failed["error"]["code"] == "5000"
    assert failed["@odata.type"] == "#microsoft.graph.partners.billing.failedOperation"


def test_invoice_waits_for_the_delay_and_last_period_stays_unbilled_until_then(empty_sim: SimulatorHandle) -> None:
    sim = empty_sim
    sim.control.configure(billing_invoice_delay_days=6)
    year = dt.datetime.now(dt.UTC).year + 1
    sim.control.set_clock(f"{year}-06-18T10:00:00Z")
    api = Api(sim, sim.partners.direct.tenant_id)
    sub = _buy(api, api.new_customer_with_mca("delayedbill"), 3)
    headers = {"Authorization": "Bearer " + sim.control.token(sim.partners.direct.tenant_id,
                                                              audience="https://graph.microsoft.com")}

    sim.control.advance(days=15)  # 3 July: June is over but not invoiced yet
    early = api.get("/invoices").json()["items"]
    unbilled = _unbilled_rows(sim, headers, "last")
    sim.control.advance(days=5)  # 8 July
    late = api.get("/invoices").json()["items"]

    assert early == []
    assert [(r["subscriptionId"], r["chargeType"], r["invoiceNumber"], r["billingFrequency"]) for r in unbilled] == [
        (sub["id"], "new", "", "")]
    assert [i["billingPeriodStartDate"][:10] for i in late] == [f"{year}-06-01"]
    assert late[0]["invoiceDate"].startswith(f"{year}-07-07")
    assert _unbilled_rows(sim, headers, "last") == []



def test_planted_promotion_and_price_change_the_open_lines(pc_sim: SimulatorHandle) -> None:
    sub_id = pc_sim.control.seeded["sub_business_basic_new"]  # bought today: its `new` line is still open
    before = [line for line in pc_sim.control.billing_lines() if line["subscriptionId"] == sub_id]

    promoted = pc_sim.control.plant_drift("promotion", subscriptionId=sub_id, promotionId="39NFJQT1PGVJ:0045:X",
                                          discountPercent=20)
    repriced = pc_sim.control.plant_drift("price", subscriptionId=sub_id, unitPrice="50")

    assert [line["chargeType"] for line in before] == ["new"] and before[0]["invoiceNumber"] == ""
    assert promoted[0]["promotionId"] == "39NFJQT1PGVJ:0045:X"
    assert promoted[0]["priceAdjustmentDescription"] == '["20.0% promotion discount"]'
    assert promoted[0]["effectiveUnitPrice"] == pytest.approx(before[0]["unitPrice"] * 0.8)
    assert repriced[0]["unitPrice"] == 50 and repriced[0]["effectiveUnitPrice"] == 40
    assert repriced[0]["subtotal"] == 40 * before[0]["quantity"]
