"""Hardening: Partner Center's error reads the same wherever it is reported (bss.partner_center.pc_error_message):
a reconciliation check that Partner Center refuses shows its description, then its code, HTTP status and
correlation id, like a provisioning operation or an invoice import does."""

from __future__ import annotations

import pytest

from reconciliation.choices import CustomerCheckStatus, RunScope
from reconciliation.services import runs

pytestmark = pytest.mark.django_db


def test_a_failed_reconciliation_check_reports_partner_center_s_error_in_the_one_wording(
    world, pc_sim, django_capture_on_commit_callbacks
):
    pc_sim.control.inject_fault(
        "error", method="GET", path=f"/v1/customers/{world.tenant.pc_customer_id}/subscriptions", count=5,
        status=400, code=800002, description="Invalid request input: simulated",
    )

    with django_capture_on_commit_callbacks(execute=True):
        run = runs.reconciliation_run_start(actor=None, scope=RunScope.CUSTOMER, customer=world.customer)

    check = run.checks.get()
    assert check.status == CustomerCheckStatus.FAILED
    assert check.error.startswith("Invalid request input: simulated (Partner Center code 800002, HTTP 400"), check.error
