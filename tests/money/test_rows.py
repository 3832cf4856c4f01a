"""The import's fast path (one JSON line straight to a COPY row) stores what the client's typed line stores: the same
columns, fingerprint and attributes, whatever the casing, aliases, number and date forms Microsoft sends."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from partnercenter._parse import recon_line_item
from partnercenter.errors import ResponseValidationError
from reconciliation.money.models import MicrosoftInvoice
from reconciliation.money.services.lines import COLUMNS, line_values
from reconciliation.money.services.rows import copy_line, copy_prefix

LINE: dict[str, Any] = {
    "partnerId": "3b33e682-00c3-41ee-9dd2-a548adf56438", "customerId": "7E000000-0000-0000-0000-00000000000A",
    "customerName": "Contoso\tLtd \\ Co\nLine", "customerDomainName": "contoso.onmicrosoft.com",
    "customerCountry": "US", "invoiceNumber": "G000000001", "mpnId": "4390934", "resellerMpnId": "",
    "orderId": "ord-1", "orderDate": "2026-10-03T07:00:00Z", "productId": "CFQ7TTC0LH18", "skuId": "0001",
    "availabilityId": "CFQ7TTC0K5DJ", "skuName": "Microsoft 365 Business Basic", "productName": "M365 BB",
    "chargeType": "new", "unitPrice": 6.0, "quantity": 3, "subtotal": 17.42, "taxTotal": 0,
    "totalForCustomer": 17.42, "currency": "usd", "priceAdjustmentDescription": "[\"15.0% promotion discount\"]",
    "publisherName": "Microsoft Corporation", "publisherId": "", "subscriptionDescription": "M365 BB",
    "subscriptionId": "B5000000-0000-0000-0000-000000000001", "chargeStartDate": "2026-10-03T00:00:00Z",
    "chargeEndDate": "2026-10-31T00:00:00Z", "termAndBillingCycle": "One-Year commitment for monthly billing",
    "effectiveUnitPrice": 5.806452, "unitType": "Licenses", "alternateId": "ord-1", "billableQuantity": 3,
    "billingFrequency": "Monthly", "pricingCurrency": "USD", "pcToBCExchangeRate": 1,
    "pcToBCExchangeRateDate": "2026-10-01T00:00:00Z", "meterDescription": "", "reservationOrderId": "",
    "creditReasonCode": "", "subscriptionStartDate": "2026-01-01T00:00:00Z",
    "subscriptionEndDate": "2026-12-31T00:00:00Z", "referenceId": "4E000000-AAAA-0000-0000-000000000001",
    "productQualifiers": "[]", "promotionId": "39NFJQT1Q5KL:0001",
}


def _pascal(line: dict[str, Any]) -> dict[str, Any]:
    renamed = {"totalForCustomer": "Total", "pcToBCExchangeRate": "PCToBCExchangeRate",
               "pcToBCExchangeRateDate": "PCToBCExchangeRateDate"}
    return {renamed.get(k, k[0].upper() + k[1:]): v for k, v in line.items()}


VARIANTS = {
    "camel": LINE,
    "pascal file columns": _pascal(LINE),
    "refund": {**LINE, "chargeType": "cancelImmediate", "subtotal": -17.42, "totalForCustomer": -17.42,
               "effectiveUnitPrice": -5.806452},
    "numbers as text, 7-digit fractions and offsets": {
        **LINE, "unitPrice": "6.000", "quantity": "3", "billableQuantity": "", "subtotal": " 17.4200 ",
        "orderDate": "2026-10-03T07:00:00.1234567Z", "chargeStartDate": "2026-10-03T01:00:00+02:00",
        "chargeEndDate": "2026-10-31", "pcToBCExchangeRate": "1.0837", "pcToBCExchangeRateDate": "bad date"},
    "missing attributes, new ones and aliases": {
        "CustomerId": "c1", "SubscriptionId": "s1", "ChargeType": "cycleCharge", "Subtotal": 0, "total": 1.5,
        "tier2MpnId": "123", "newColumn": 2.25, "nested": {"a": [1.5, "x"]}, "priceAdjustmentDescription": ["a"]},
    "zero billable quantity": {**LINE, "billableQuantity": 0, "quantity": 2},
}



def _read(text: str) -> dict[str, str | None]:
    assert text.endswith("\n") and text.count("\n") == 1
    fields = text[:-1].split("\t")
    assert len(fields) == len(COLUMNS)
    unescape = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}

    def one(field: str) -> str | None:
        if field == "\\N":
            return None
        out, i = [], 0
        while i < len(field):
            pair = field[i:i + 2]
            if pair in unescape:
                out.append(unescape[pair])
                i += 2
            else:
                out.append(field[i])
                i += 1
        return "".join(out)

    return {name: one(field) for name, field in zip(COLUMNS, fields, strict=True)}


def _same(name: str, ours: str | None, typed: Any) -> bool:
    if typed is None:
        return ours is None
    if ours is None:
        return False
    if isinstance(typed, Decimal):
        return Decimal(ours) == typed
    if isinstance(typed, dt.datetime):
        return dt.datetime.fromisoformat(ours) == typed
    if isinstance(typed, dt.date):
        return ours == typed.isoformat()
    if name == "attributes":
        return json.loads(ours) == json.loads(json.dumps(typed))
    return ours == str(typed)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_line_becomes_the_row_the_typed_path_writes(variant):
    data = VARIANTS[variant]
    invoice = MicrosoftInvoice(pk=11, instance_id=3, year=2026, month=10)
    typed = line_values(invoice, 4, 7, recon_line_item(json.loads(json.dumps(data), parse_float=Decimal)))
    ours = _read(copy_line(copy_prefix(11, 4, 3, 2026, 10), 7, json.dumps(data).encode()))
    different = {name: (ours[name], value) for name, value in zip(COLUMNS, typed, strict=True)
                 if not _same(name, ours[name], value)}
    assert different == {}


def test_the_fingerprint_ignores_the_money_and_follows_the_charge():
    prefix = copy_prefix(1, 1, 1, 2026, 10)

    def fingerprint(line: dict[str, Any]) -> str | None:
        return _read(copy_line(prefix, 1, json.dumps(line)))["fingerprint"]

    assert fingerprint({**LINE, "subtotal": 99.99}) == fingerprint(LINE)
    assert fingerprint({**LINE, "referenceId": "other"}) != fingerprint(LINE)
    assert fingerprint({**LINE, "subtotal": -17.42}) != fingerprint(LINE)


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]"])
def test_a_line_that_is_not_a_json_object_is_refused(raw):
    with pytest.raises(ResponseValidationError):
        copy_line(copy_prefix(1, 1, 1, 2026, 10), 1, raw)
