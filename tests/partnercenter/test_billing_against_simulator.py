"""Microsoft's bill through our client against the simulator over HTTPS: invoices (Partner Center v1) and the
new-commerce reconciliation exports on Microsoft Graph (202 + Location, operation polling with Retry-After,
manifest, gzip JSON Lines blobs), with the failures a caller must answer (failed operation, expired blob)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from partnercenter import (
    BadRequestError,
    ExportExpiredError,
    ExportOperationFailedError,
    PartnerCenterClient,
    clouds,
)
from partnercenter.billing_types import Invoice, ReconLineItem

pytest.importorskip("partnercenter.simulator.testing", reason="simulator not available")

from partnercenter.simulator.testing import PartnerInfo, SimulatorHandle

FIXTURES = Path(__file__).parent / "fixtures" / "billing"
BASIC = "CFQ7TTC0LH18:0001:CFQ7TTC0K971"


class RecordingSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sim(pc_sim: SimulatorHandle) -> SimulatorHandle:
    pc_sim.control.configure(order_provisioning_seconds=0)
    return pc_sim


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


def make_client(sim: SimulatorHandle, partner: PartnerInfo, sleep: RecordingSleep) -> PartnerCenterClient:
    cloud = clouds.custom(api_base_url=sim.base_url, authority_host=sim.login_url)
    return PartnerCenterClient.for_cloud(
        cloud, tenant_id=partner.tenant_id, client_id=partner.client_id, client_secret=partner.client_secret,
        refresh_token=partner.refresh_token, ca_bundle=sim.ca_bundle, sleep=sleep,
    )


@pytest.fixture
def client(sim: SimulatorHandle, sleep: RecordingSleep) -> Iterator[PartnerCenterClient]:
    with make_client(sim, sim.partners.direct, sleep) as c:
        yield c


def latest_invoice(client: PartnerCenterClient) -> Invoice:
    invoices = client.invoices.list()
    assert invoices, "the default seed includes the last closed billing period"
    return invoices[0]


def test_invoices_list_get_and_summaries(client: PartnerCenterClient) -> None:
    invoices = client.invoices.list()
    latest = invoices[0]

    assert all(i.id.startswith("G") and len(i.id) == 10 for i in invoices)
    dates = [i.invoice_date for i in invoices if i.invoice_date is not None]
    assert len(dates) == len(invoices) and dates == sorted(dates, reverse=True)
    assert latest.billing_period_start is not None and latest.billing_period_start.day == 1
    assert latest.invoice_date is not None and latest.invoice_date.tzinfo is not None
    by_id = client.invoices.get(latest.id)
    assert by_id.total_charges == latest.total_charges
    assert by_id.pdf_download_link == f"/invoices/{latest.id}/documents/statement"
    assert client.invoices.statement_pdf(latest.id).startswith(b"%PDF")
    summaries = client.invoices.summaries()
    assert [s.currency_code for s in summaries] == ["USD"]
    assert summaries[0].balance_amount == sum((i.total_charges or Decimal(0) for i in invoices), Decimal(0))


def test_billed_export_polls_until_ready_and_its_lines_add_up_to_the_invoice(
    client: PartnerCenterClient, sim: SimulatorHandle, sleep: RecordingSleep
) -> None:
    sim.control.configure(billing_export_polls=2, billing_retry_after_seconds=3)
    invoice = latest_invoice(client)

    operation_url = client.reconciliation.export_billed(invoice.id)
    manifest = client.reconciliation.wait(operation_url)
    lines = list(client.reconciliation.iter_line_items(manifest))

    assert sleep.calls == [3.0, 3.0]  # two `running` answers, each honoured with its Retry-After
    assert manifest.blob_count == len(manifest.blobs) >= 1
    assert f"InvoiceId={invoice.id}" in manifest.root_directory
    assert lines and {line.invoice_number for line in lines} == {invoice.id}
    assert sum((line.total_for_customer or Decimal(0) for line in lines), Decimal(0)) == invoice.total_charges
    first = lines[0]
    assert isinstance(first.unit_price, Decimal)
    assert first.order_date is not None and first.order_date.tzinfo is not None
    assert first.charge_type in {"new", "renew", "cycleCharge", "addQuantity", "removeQuantity", "cancelImmediate"}
    assert first.partner_id == sim.partners.direct.tenant_id
    posted = [r for r in sim.control.requests(method="POST") if r["path"].endswith("/billed/export")]
    assert json.loads(posted[-1]["body"]) == {"invoiceId": invoice.id, "attributeSet": "full"}
    assert "client-request-id" in posted[-1]["headers"]


def test_lines_are_paged_over_several_blobs(client: PartnerCenterClient, sim: SimulatorHandle) -> None:
    invoice = latest_invoice(client)
    everything = list(client.reconciliation.billed_line_items(invoice.id))
    sim.control.configure(billing_blob_items=1)

    manifest = client.reconciliation.wait(client.reconciliation.export_billed(invoice.id))
    paged = [list(client.reconciliation.iter_blob(manifest, blob)) for blob in manifest.blobs]

    assert manifest.blob_count == len(everything) >= 2
    assert all(len(blob_lines) == 1 for blob_lines in paged)
    assert [line for blob_lines in paged for line in blob_lines] == everything


def test_failed_operation_is_a_typed_error(client: PartnerCenterClient, sim: SimulatorHandle) -> None:
    invoice = latest_invoice(client)
    sim.control.billing_fault("operation_failed")

    with pytest.raises(ExportOperationFailedError) as failed:
        list(client.reconciliation.billed_line_items(invoice.id))
    assert failed.value.error_code == "5000"

    with pytest.raises(ExportOperationFailedError, match="D02005YFHI"):
        list(client.reconciliation.billed_line_items("D02005YFHI"))  # legacy invoices are v1 only


def test_expired_blob_is_answered_with_a_new_export(client: PartnerCenterClient, sim: SimulatorHandle) -> None:
    invoice = latest_invoice(client)
    manifest = client.reconciliation.wait(client.reconciliation.export_billed(invoice.id))
    sim.control.advance(hours=13)  # the directory SAS is valid for 12 hours

    with pytest.raises(ExportExpiredError):
        list(client.reconciliation.iter_line_items(manifest))

    fresh = client.reconciliation.wait(client.reconciliation.export_billed(invoice.id))
    assert fresh.id != manifest.id
    assert list(client.reconciliation.iter_line_items(fresh))


def test_refused_blob_then_retry_reads_everything(client: PartnerCenterClient, sim: SimulatorHandle) -> None:
    invoice = latest_invoice(client)
    sim.control.billing_fault("blob_expired")

    with pytest.raises(ExportExpiredError):
        list(client.reconciliation.billed_line_items(invoice.id))
    lines = list(client.reconciliation.billed_line_items(invoice.id))

    assert sum((line.total_for_customer or Decimal(0) for line in lines), Decimal(0)) == invoice.total_charges


def test_slow_blob_still_streams_every_line(client: PartnerCenterClient, sim: SimulatorHandle) -> None:
    invoice = latest_invoice(client)
    expected = list(client.reconciliation.billed_line_items(invoice.id))
    sim.control.billing_fault("slow_blob", seconds=0.4)

    assert list(client.reconciliation.billed_line_items(invoice.id)) == expected


def test_unbilled_export_shows_todays_purchase_and_planted_drift(
    client: PartnerCenterClient, sim: SimulatorHandle
) -> None:
    customer = sim.control.seeded["customer_mca"]
    cart = client.carts.create(customer_id=customer, request_id=str(uuid.uuid4()), line_items=[_line()])
    order = client.carts.checkout(customer_id=customer, cart_id=cart.id, request_id=str(uuid.uuid4())).orders[0]
    sim.control.complete_orders()
    subscription_id = order.line_items[0].subscription_id
    planted = sim.control.plant_drift("unknown_charge", customerId=customer, quantity=4)

    lines = list(client.reconciliation.unbilled_line_items(currency_code="USD"))

    bought = [line for line in lines if line.subscription_id == subscription_id]
    assert [(line.charge_type, line.quantity) for line in bought] == [("new", Decimal(7))]
    assert bought[0].invoice_number is None and bought[0].billing_frequency is None  # blank while unbilled
    assert bought[0].subtotal == (bought[0].effective_unit_price or Decimal(0)) * 7
    assert planted[0]["subscriptionId"] in {line.subscription_id for line in lines}


def test_basic_attribute_set_has_fewer_attributes(client: PartnerCenterClient) -> None:
    invoice = latest_invoice(client)
    basic = list(client.reconciliation.billed_line_items(invoice.id, attribute_set="basic"))

    assert basic and basic[0].customer_name is not None and basic[0].customer_domain_name is None
    assert basic[0].total_for_customer is not None


def test_export_without_invoice_id_is_a_bad_request(client: PartnerCenterClient) -> None:
    with pytest.raises(BadRequestError):
        client.reconciliation.export_billed("")


def _line() -> Any:
    from partnercenter import CartLineItemRequest

    return CartLineItemRequest(catalog_item_id=BASIC, quantity=7, billing_cycle="monthly", term_duration="P1M")


# -- Microsoft's published samples ----------------------------------------------------------------------------
def _sample(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def test_parses_microsofts_operation_and_manifest_samples() -> None:
    from partnercenter import _parse

    succeeded = _parse.export_operation(_sample("graph-billing-operation-succeeded"))
    failed = _parse.export_operation(_sample("graph-billing-operation-failed"))
    manifest = _parse.export_manifest(_sample("graph-billing-manifest"))

    assert succeeded.status == "succeeded" and succeeded.done
    assert succeeded.manifest_url == (
        "https://graph.microsoft.com/v1.0/reports/partners/billing/manifests/8fe347d7-1e0f-4bd6-9091-4672691f32db")
    assert succeeded.created is not None and succeeded.created.utcoffset() is not None  # no zone sent: UTC
    assert (failed.status, failed.error_code, failed.error_message) == ("failed", "5000", "No data available")
    assert manifest.blob_count == 1 and manifest.data_format == "compressedJSON"
    url = manifest.blob_url(manifest.blobs[0])
    assert url.startswith(manifest.root_directory + "/part-00049-")
    assert "?skoid=" in url and "&sr=d&sp=rl&" in url


def test_inline_manifest_and_completed_status_are_accepted() -> None:
    from partnercenter import _parse

    data = dict(_sample("graph-billing-operation-succeeded"))
    del data["resourceLocation@odata.navigationLink"]
    data["resourceLocation"] = _sample("graph-billing-manifest")
    data["status"] = "completed"

    operation = _parse.export_operation(data)

    assert operation.status == "succeeded"
    assert operation.manifest is not None and operation.manifest.id == "6fe687d7-1e0f-4bd6-9091-4672691f64bc"


def test_request_bodies_match_microsofts_samples(client: PartnerCenterClient, sim: SimulatorHandle) -> None:
    client.reconciliation.export_unbilled(currency_code="USD", billing_period="current")
    posted = [r for r in sim.control.requests(method="POST") if r["path"].endswith("/unbilled/export")]

    assert json.loads(posted[-1]["body"]) == _sample("graph-unbilled-reconciliation-export-request")
    assert set(_sample("graph-billed-reconciliation-export-request")) == {"invoiceId", "attributeSet"}


def test_recon_line_keys_in_file_casing_parse_the_same() -> None:
    from partnercenter import _parse

    camel: dict[str, Any] = {"invoiceNumber": "G000024135", "totalForCustomer": Decimal("112.80"),
                             "pcToBCExchangeRate": 1, "productQualifiers": '["Trial"]', "chargeType": "convert",
                             "newColumn": "x", "unitPrice": "10.08", "orderDate": "2021-06-20T00:00:00Z"}
    pascal = {"InvoiceNumber": "G000024135", "Total": "112.80", "PCToBCExchangeRate": "1",
              "ProductQualifiers": ["Trial"], "ChargeType": "convert", "newColumn": "x", "UnitPrice": 10.08,
              "OrderDate": "2021-06-20T00:00:00"}

    a: ReconLineItem = _parse.recon_line_item(camel)
    b: ReconLineItem = _parse.recon_line_item(pascal)

    assert a == b
    assert a.total_for_customer == Decimal("112.80") and a.unit_price == Decimal("10.08")
    assert a.product_qualifiers == ("Trial",) and a.extra == {"newColumn": "x"}


def test_throttled_operation_poll_is_retried_by_the_shared_transport(
    client: PartnerCenterClient, sim: SimulatorHandle, sleep: RecordingSleep
) -> None:
    invoice = latest_invoice(client)
    sim.control.inject_fault("429", path="/v1.0/reports/partners/billing/operations/*", retryAfter=2)

    lines = list(client.reconciliation.billed_line_items(invoice.id))

    assert lines and 2.0 in sleep.calls


def test_gone_operation_link_is_an_expired_export(client: PartnerCenterClient, sim: SimulatorHandle) -> None:
    sim.control.configure(billing_link_hours=1)
    operation_url = client.reconciliation.export_billed(latest_invoice(client).id)
    sim.control.advance(hours=2)

    with pytest.raises(ExportExpiredError) as expired:
        client.reconciliation.wait(operation_url)
    assert expired.value.http_status == 410
