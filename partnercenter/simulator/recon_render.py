"""Microsoft's billing JSON: invoices and invoice summaries (Partner Center v1, billing sheet §1) and the
new-commerce reconciliation line items of the Graph exports (sheet §2.6), in either key casing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .ledger import CENT, FREQUENCY_TEXT, TERM_TEXT, Invoice, LedgerRow, invoice_total, subtotal

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "AUD": "$", "CAD": "$"}

# API name -> reconciliation file column (PascalCase); only ``totalForCustomer`` is renamed, not re-cased.
FILE_COLUMNS = {
    "totalForCustomer": "Total",
    "pcToBCExchangeRate": "PCToBCExchangeRate",
    "pcToBCExchangeRateDate": "PCToBCExchangeRateDate",
}

FULL_ATTRIBUTES = (
    "partnerId", "customerId", "customerName", "customerDomainName", "customerCountry", "invoiceNumber", "mpnId",
    "resellerMpnId", "orderId", "orderDate", "productId", "skuId", "availabilityId", "skuName", "productName",
    "chargeType", "unitPrice", "quantity", "subtotal", "taxTotal", "totalForCustomer", "currency",
    "priceAdjustmentDescription", "publisherName", "publisherId", "subscriptionDescription", "subscriptionId",
    "chargeStartDate", "chargeEndDate", "termAndBillingCycle", "effectiveUnitPrice", "unitType", "alternateId",
    "billableQuantity", "billingFrequency", "pricingCurrency", "pcToBCExchangeRate", "pcToBCExchangeRateDate",
    "meterDescription", "reservationOrderId", "creditReasonCode", "subscriptionStartDate", "subscriptionEndDate",
    "referenceId", "productQualifiers", "promotionId",
)
# Which columns the ``basic`` attribute set keeps is not documented for invoice recon (sheet §9): the
# simulator keeps the ids, the dates and the money.
BASIC_ATTRIBUTES = (
    "partnerId", "customerId", "customerName", "invoiceNumber", "orderId", "orderDate", "productId", "skuId",
    "availabilityId", "chargeType", "unitPrice", "quantity", "subtotal", "taxTotal", "totalForCustomer",
    "currency", "subscriptionId", "chargeStartDate", "chargeEndDate", "effectiveUnitPrice", "billableQuantity",
    "billingFrequency", "referenceId", "promotionId",
)


def _day(value: dt.date) -> str:
    return f"{value.isoformat()}T00:00:00Z"


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _num(value: Decimal) -> float | int:
    """A JSON number; integers stay integers."""
    return int(value) if value == value.to_integral_value() and abs(value) < 10**15 else float(value)


def row_values(row: LedgerRow, *, mode: str, tax_rate: Decimal) -> dict[str, Any]:
    sub = row.sub
    eup = row.effective_unit_price
    fx = Decimal(1)
    amount = subtotal(eup, Decimal(row.quantity), fx, mode)
    tax = (amount * tax_rate).quantize(CENT, ROUND_HALF_UP)
    adjustments = []
    if sub.promotion_id:
        # Microsoft's style: "15.0% Partner earned credit for services managed"
        adjustments.append(f"{(sub.discount * 100).quantize(Decimal('0.1'))}% promotion discount")
    plan = FREQUENCY_TEXT.get(sub.billing_plan, "")
    return {
        "partnerId": sub.partner_tenant_id, "customerId": sub.customer_id, "customerName": sub.customer_name,
        "customerDomainName": sub.customer_domain, "customerCountry": sub.customer_country,
        "invoiceNumber": row.invoice_number, "mpnId": sub.partner_mpn_id, "resellerMpnId": sub.reseller_mpn_id,
        "orderId": sub.order_id, "orderDate": _stamp(row.order_date), "productId": sub.product_id,
        "skuId": sub.sku_id, "availabilityId": sub.availability_id, "skuName": sub.sku_name,
        "productName": sub.product_name, "chargeType": row.charge_type, "unitPrice": _num(row.unit_price),
        "quantity": row.quantity, "subtotal": _num(amount), "taxTotal": _num(tax),
        "totalForCustomer": _num(amount + tax), "currency": sub.currency,
        "priceAdjustmentDescription": json.dumps(adjustments), "publisherName": sub.publisher_name,
        "publisherId": "", "subscriptionDescription": sub.product_name, "subscriptionId": sub.subscription_id,
        "chargeStartDate": _day(row.charge_start), "chargeEndDate": _day(row.charge_end),
        "termAndBillingCycle": f"{TERM_TEXT.get(sub.term, sub.term)} commitment for {plan.lower()} billing",
        "effectiveUnitPrice": _num(eup), "unitType": "Licenses", "alternateId": sub.order_id[:12],
        # Blank for one-time purchases and for unbilled lines (billing sheet §2.6).
        "billableQuantity": row.quantity, "billingFrequency": plan if row.invoice_number else "",
        "pricingCurrency": sub.currency, "pcToBCExchangeRate": 1,
        "pcToBCExchangeRateDate": _day(row.order_date.date().replace(day=1)), "meterDescription": "",
        "reservationOrderId": "", "creditReasonCode": "", "subscriptionStartDate": _day(sub.term_start),
        "subscriptionEndDate": _day(sub.term_end), "referenceId": row.reference_id,
        "productQualifiers": json.dumps(list(row.qualifiers)), "promotionId": sub.promotion_id,
    }


def line_item(row: LedgerRow, *, mode: str, tax_rate: Decimal, attribute_set: str = "full",
              casing: str = "camel") -> dict[str, Any]:
    values = row_values(row, mode=mode, tax_rate=tax_rate)
    names = BASIC_ATTRIBUTES if attribute_set == "basic" else FULL_ATTRIBUTES
    if casing == "pascal":
        return {FILE_COLUMNS.get(n, n[0].upper() + n[1:]): values[n] for n in names}
    return {n: values[n] for n in names}


def invoice_json(invoice: Invoice, rows: Iterable[LedgerRow], *, mode: str, tax_rate: Decimal,
                 by_id: bool = False) -> dict[str, Any]:
    _, total = invoice_total(rows, mode, tax_rate)
    body: dict[str, Any] = {
        "id": invoice.id,
        "invoiceDate": _stamp(invoice.invoice_date),
        "billingPeriodStartDate": _day(invoice.period_start),
        "billingPeriodEndDate": _day(invoice.period_end),
        "totalCharges": _num(total),
        "paidAmount": _num(-invoice.paid_amount),
        "currencyCode": invoice.currency,
        "currencySymbol": CURRENCY_SYMBOLS.get(invoice.currency, invoice.currency),
        "invoiceDetails": [{
            "invoiceLineItemType": "billing_line_items",
            "billingProvider": "one_time",
            "links": {"self": {"uri": f"/invoices/OneTime-{invoice.id}/lineitems/OneTime/BillingLineItems",
                               "method": "GET", "headers": []}},
            "attributes": {"objectType": "InvoiceDetail"},
        }],
        "amendments": [],
        "documentType": invoice.document_type,
        "invoiceType": invoice.invoice_type,
        "status": "active",
        "taxReceipts": [],
        "attributes": {"objectType": "Invoice"},
    }
    if by_id:
        body["pdfDownloadLink"] = f"/invoices/{invoice.id}/documents/statement"
    return body


def summary_json(currency: str, invoices: list[tuple[Invoice, Decimal]]) -> dict[str, Any]:
    """One currency's summary: balance = unpaid totals."""
    balance = sum((total - inv.paid_amount for inv, total in invoices), Decimal(0))
    first = min(inv.invoice_date for inv, _ in invoices)
    latest = max(inv.invoice_date for inv, _ in invoices)
    summary = {
        "balanceAmount": _num(balance), "currencyCode": currency,
        "currencySymbol": CURRENCY_SYMBOLS.get(currency, currency), "accountingDate": _stamp(latest),
        "firstInvoiceCreationDate": _stamp(first), "lastPaymentDate": None, "lastPaymentAmount": 0,
        "latestInvoiceDate": _stamp(latest),
    }
    return {**summary, "details": [{"invoiceType": "Recurring", "summary": dict(summary)}],
            "attributes": {"objectType": "InvoiceSummary"}}
