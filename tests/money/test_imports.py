"""Importing Microsoft's bill from the simulator: once per invoice whatever happens twice, tasks that never wait for
Microsoft's export (they record where to look and are retried), the open month on demand, expired links and failed
exports."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from reconciliation.money.choices import ImportStatus, InvoiceKind, Outcome
from reconciliation.money.models import ChargeMatch, MicrosoftChargeLine, MicrosoftInvoice
from reconciliation.money.services.imports import (
    imports_due,
    invoice_import_step,
    invoice_reimport,
    invoices_sync,
    unbilled_import_start,
    unbilled_request,
)
from reconciliation.money.services.matching import match_run
from reconciliation.money.tasks import money_import_instance_task, money_imports_sweep_task
from tests.money.conftest import import_all, import_until_done

pytestmark = pytest.mark.django_db


def _latest(instance) -> MicrosoftInvoice:
    return MicrosoftInvoice.objects.filter(instance=instance, kind=InvoiceKind.BILLED).order_by("-year", "-month")[0]


def test_the_same_invoice_imported_twice_is_stored_once(sim, instance):
    import_all(instance)
    invoice = _latest(instance)
    lines_before = list(MicrosoftChargeLine.objects.current().filter(invoice=invoice)
                        .values_list("fingerprint", "subtotal"))

    assert invoices_sync(instance=instance) == []  # listing again adds no invoice
    import_until_done(invoice_reimport(invoice=invoice))

    invoice.refresh_from_db()
    assert MicrosoftInvoice.objects.filter(instance=instance, invoice_id=invoice.invoice_id).count() == 1
    assert invoice.status == ImportStatus.IMPORTED and invoice.generation == 2
    assert MicrosoftChargeLine.objects.filter(invoice=invoice).count() == len(lines_before)  # old generation gone
    assert list(MicrosoftChargeLine.objects.current().filter(invoice=invoice)
                .values_list("fingerprint", "subtotal")) == lines_before
    assert invoice.lines_total == invoice.total  # Σ Total of the lines = Microsoft's invoice total
    assert invoice_import_step(invoice_id=invoice.pk).retry_in is None  # imported: nothing more to do


def test_a_step_never_waits_for_the_export_it_records_where_to_look_again(sim, instance):
    sim.control.configure(billing_export_polls=5, billing_retry_after_seconds=120)
    invoice = invoices_sync(instance=instance)[0]

    started = time.monotonic()
    step = invoice_import_step(invoice_id=invoice.pk)

    assert time.monotonic() - started < 10
    assert step.retry_in == 120
    step.invoice.refresh_from_db()
    assert step.invoice.status == ImportStatus.EXPORTING and "/operations/" in step.invoice.operation_url
    assert step.invoice.pk not in imports_due()  # not before Retry-After
    operation = step.invoice.operation_url
    for _ in range(5):
        step = invoice_import_step(invoice_id=invoice.pk)
        assert step.invoice.operation_url in (operation, "")  # the same export, not a new one each time
    assert step.invoice.status == ImportStatus.IMPORTED


def test_the_tasks_import_every_invoice_retrying_a_running_export(sim, instance):
    sim.control.configure(billing_export_polls=2)
    pending = money_import_instance_task.delay(instance.pk).get()  # eager in tests: retries run inline

    assert pending and all(i.status == ImportStatus.IMPORTED for i in MicrosoftInvoice.objects.filter(pk__in=pending))
    assert money_imports_sweep_task.delay().get() == 0  # nothing left due


def test_the_open_month_is_imported_on_demand_and_matches_our_draft(sim, books):
    instance = books.estate.instance
    [open_line] = [line for line in sim.control.billing_lines() if not line["invoiceNumber"]]
    books.bill(open_line)

    unbilled = import_until_done(unbilled_request(instance=instance, currency="USD"))

    assert (unbilled.kind, unbilled.status, unbilled.line_count) == (InvoiceKind.UNBILLED, ImportStatus.IMPORTED, 1)
    run = match_run(instance=instance, year=unbilled.year, month=unbilled.month)
    assert run.counts == {"matched": 1, "findings": 0, "new": 0}
    again = import_until_done(unbilled_request(instance=instance, currency="USD"))
    assert again.pk == unbilled.pk and MicrosoftChargeLine.objects.filter(invoice=again).count() == 1


def test_an_expired_blob_link_means_a_new_export_and_the_lines_once(sim, instance):
    invoice = invoices_sync(instance=instance)[0]
    sim.control.billing_fault("blob_expired", count=1)

    done = import_until_done(invoice)

    assert done.status == ImportStatus.IMPORTED
    assert MicrosoftChargeLine.objects.filter(invoice=done).count() == done.line_count > 0


def test_a_failed_export_is_recorded_with_microsofts_reason(sim, instance):
    invoice = invoices_sync(instance=instance)[0]
    sim.control.billing_fault("operation_failed", count=1, message="No data available")

    failed = import_until_done(invoice)

    assert failed.status == ImportStatus.FAILED and "5000" in failed.error
    assert invoice_reimport(invoice=failed).status == ImportStatus.PENDING
    assert import_until_done(failed).status == ImportStatus.IMPORTED


def test_a_reimported_invoice_keeps_what_was_settled(sim, books):
    instance = books.estate.instance
    lines = [line for line in sim.control.billing_lines() if line["invoiceNumber"]]
    books.bill_all(lines[1:])
    import_all(instance)
    first = lines[0]
    year, month = int(first["period"][:4]), int(first["period"][4:])
    match_run(instance=instance, year=year, month=month)
    leak = ChargeMatch.objects.get(instance=instance, outcome=Outcome.LEAKAGE)
    ChargeMatch.objects.filter(pk=leak.pk).update(resolution="accepted", reason="known")

    invoice = MicrosoftInvoice.objects.get(instance=instance, invoice_id=first["invoiceNumber"])
    import_until_done(invoice_reimport(invoice=invoice))
    run = match_run(instance=instance, year=year, month=month)

    assert run.counts["new"] == 0 and run.counts["findings"] == 0
    assert ChargeMatch.objects.get(pk=leak.pk).microsoft_amount == Decimal(str(first["subtotal"]))


def test_the_sweep_is_in_the_beat_schedule():
    from config.celery import app

    entry = app.conf.beat_schedule["money.imports_sweep"]
    assert entry["task"] == money_imports_sweep_task.name


def test_a_step_leaves_an_invoice_another_worker_is_streaming_alone(sim, instance):
    invoice = invoices_sync(instance=instance)[0]
    MicrosoftInvoice.objects.filter(pk=invoice.pk).update(status=ImportStatus.IMPORTING)
    requests_before = len(sim.control.requests())

    step = invoice_import_step(invoice_id=invoice.pk)

    assert step.invoice.status == ImportStatus.IMPORTING and step.retry_in is None
    assert len(sim.control.requests()) == requests_before  # no export started
    assert MicrosoftChargeLine.objects.filter(invoice=invoice).count() == 0


def test_the_open_month_on_demand_is_imported_by_the_worker_after_commit(sim, instance,
                                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = unbilled_import_start(instance=instance)

    row.refresh_from_db()
    assert (row.kind, row.status, row.currency) == (InvoiceKind.UNBILLED, ImportStatus.IMPORTED, "USD")
    assert MicrosoftChargeLine.objects.current().filter(invoice=row).count() == row.line_count == 1
