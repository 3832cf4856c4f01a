"""Microsoft's bill against the simulator: the seeded customer's subscriptions in the BSS and in Partner Center
(tests/reconciliation's estate), our invoices billing what Microsoft bills, and helpers to import and match."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from billing.models import Invoice, InvoiceLine, Issuer
from bss.models import Customer, Subscription
from reconciliation.money.choices import ImportStatus
from reconciliation.money.models import MicrosoftInvoice
from reconciliation.money.services.imports import invoice_import_step, invoices_sync
from tests.factories.billing import InvoiceFactory, InvoiceLineFactory, IssuerFactory
from tests.reconciliation.conftest import Estate, estate, instance, sim  # noqa: F401 - fixtures re-used here

MARKUP = Decimal("1.20")


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


def _day(value: str) -> dt.date:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()


@dataclass
class Books:
    """Our side: the provider's issuer and one invoice per period for the customer."""

    estate: Estate
    issuer: Issuer

    @property
    def customer(self) -> Customer:
        return self.estate.tenant.customer

    def invoice(self, period: str) -> Invoice:
        year, month = int(period[:4]), int(period[4:])
        found = Invoice.objects.filter(issuer=self.issuer, customer=self.customer, year=year, month=month).first()
        return found or InvoiceFactory(issuer=self.issuer, customer=self.customer, year=year, month=month,
                                       currency="USD", party_country="US")

    def subscription(self, pc_subscription_id: str) -> Subscription | None:
        return Subscription.objects.filter(pc_subscription_id=pc_subscription_id.lower()).first()

    def bill(self, line: dict[str, Any], *, period: str | None = None, **overrides: Any) -> InvoiceLine | None:
        """Our invoice line for one of Microsoft's lines (as `/_sim/billing/lines` shows it): the same charge, our
        cost = Microsoft's subtotal, sold with a markup. None when the subscription is not in the BSS."""
        sub = self.subscription(line["subscriptionId"])
        if sub is None:
            return None
        cost = _money(line["subtotal"])
        values: dict[str, Any] = {
            "invoice": self.invoice(period or line["period"]), "end_customer": self.customer,
            "end_customer_name": self.customer.company_name, "subscription": sub,
            "pc_subscription_id": sub.pc_subscription_id, "description": line["skuName"],
            "charge_type": line["chargeType"], "quantity": int(_money(line["billableQuantity"])),
            "unit_price": _money(line["unitPrice"]) * MARKUP,
            "effective_unit_price": _money(line["effectiveUnitPrice"]) * MARKUP,
            "amount": (cost * MARKUP).quantize(Decimal("0.01")), "unit_cost": _money(line["unitPrice"]),
            "cost_amount": cost, "charge_start": _day(line["chargeStartDate"]),
            "charge_end": _day(line["chargeEndDate"]),
            "order_at": dt.datetime.fromisoformat(line["orderDate"].replace("Z", "+00:00")),
            "reference_id": f"ledger-{line['referenceId'][:8]}",
        }
        values.update(overrides)
        return InvoiceLineFactory(**values)

    def bill_all(self, lines: Iterable[dict[str, Any]]) -> list[InvoiceLine]:
        return [row for row in (self.bill(line) for line in lines) if row is not None]


@pytest.fixture
def books(estate) -> Books:  # noqa: F811 - the estate fixture above
    provider = estate.tenant.customer.reseller.parent
    return Books(estate=estate, issuer=IssuerFactory(reseller=provider, country="US"))


def import_all(pc_instance, *, max_steps: int = 10) -> list[MicrosoftInvoice]:
    """What the tasks do, step after step (each step returns at once; a not-ready export is looked at again)."""
    pending = invoices_sync(instance=pc_instance)
    for invoice in pending:
        import_until_done(invoice, max_steps=max_steps)
    return list(MicrosoftInvoice.objects.filter(instance=pc_instance))


def import_until_done(invoice: MicrosoftInvoice, *, max_steps: int = 10) -> MicrosoftInvoice:
    for _ in range(max_steps):
        result = invoice_import_step(invoice_id=invoice.pk)
        if result.retry_in is None:
            return result.invoice
    raise AssertionError(f"{invoice} not imported after {max_steps} steps")


def period_of(line: dict[str, Any]) -> tuple[int, int]:
    return int(line["period"][:4]), int(line["period"][4:])


__all__ = ["Books", "ImportStatus", "import_all", "import_until_done", "period_of"]
