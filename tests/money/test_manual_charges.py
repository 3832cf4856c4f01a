"""'Bill it' as billing sees it: a charge added by hand to a party's next invoice stays on it when the invoice run
rewrites that draft from the ledger, and counts in its totals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.models import Invoice
from billing.services.manual_charges import manual_charge_add
from billing.services.runs import invoice_run_create, invoice_run_execute
from tests.billing.conftest import issuer, provider  # noqa: F401 - fixtures re-used here
from tests.billing.scenario import at, buy, direct_customer

pytestmark = pytest.mark.django_db


def test_a_manual_charge_survives_the_run_that_rewrites_its_draft_invoice(provider, issuer):  # noqa: F811
    customer = direct_customer(provider, name="Fabrikam SARL")
    buy(customer, at(2025, 6, 18), 10, price="10.08", cost="8.40")
    charge = manual_charge_add(customer=customer, description="Charged by Microsoft, not invoiced",
                               amount=Decimal("50.00"), cost_amount=Decimal("50.00"), currency="EUR",
                               now=at(2025, 6, 25))

    invoice_run_execute(run_id=invoice_run_create(year=2025, month=6).pk)  # a preview rewrites the draft

    invoice = Invoice.objects.get(customer=customer, year=2025, month=6)
    assert sorted(line.amount for line in invoice.lines.all()) == [Decimal("50.00"), Decimal("100.80")]
    assert invoice.lines.filter(pk=charge.pk).exists()
    assert invoice.subtotal == Decimal("150.80") and invoice.tax_total == Decimal("30.16")


def test_a_manual_charge_alone_keeps_its_draft_invoice(provider, issuer):  # noqa: F811
    customer = direct_customer(provider)
    charge = manual_charge_add(customer=customer, description="Charged by Microsoft, not invoiced",
                               amount=Decimal("12.00"), currency="EUR", now=at(2025, 6, 25))

    invoice_run_execute(run_id=invoice_run_create(year=2025, month=6).pk)

    assert Invoice.objects.get(pk=charge.invoice_id).subtotal == Decimal("12.00")
