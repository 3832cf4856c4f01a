"""Microsoft's bill, end to end against the simulator: import every invoice, match it with our invoices; then
plant each kind of drift on Microsoft's side and find exactly it."""

from __future__ import annotations

import pytest

from reconciliation.money.choices import ImportStatus, Outcome
from reconciliation.money.models import ChargeMatch, MicrosoftChargeLine
from reconciliation.money.services.matching import match_run
from tests.money.conftest import import_all, period_of

pytestmark = pytest.mark.django_db


def findings(instance, year, month):
    return list(ChargeMatch.objects.filter(instance=instance, year=year, month=month)
                .exclude(outcome=Outcome.MATCHED))


def test_every_closed_period_imports_and_matches_without_a_variance(sim, books):
    instance = books.estate.instance
    lines = sim.control.billing_lines()
    billed = [line for line in lines if line["invoiceNumber"]]
    books.bill_all(billed)

    invoices = import_all(instance)

    assert {i.invoice_id for i in invoices} == {line["invoiceNumber"] for line in billed}
    assert all(i.status == ImportStatus.IMPORTED for i in invoices)
    assert MicrosoftChargeLine.objects.current().count() == len(billed)
    for year, month in {period_of(line) for line in billed}:
        run = match_run(instance=instance, year=year, month=month)
        assert findings(instance, year, month) == []
        assert run.counts["findings"] == 0
    assert ChargeMatch.objects.filter(outcome=Outcome.MATCHED).count() == len(billed)
