"""Pure mapping from Partner Center's vocabulary to the BSS's."""

import datetime as dt

import pytest

from partnercenter.types import Subscription as PcSubscription
from reconciliation.imports.mapping import (
    map_billing_cycle,
    map_status,
    map_term,
    reseller_partner_id_for,
    subscription_summary,
    subscription_values,
)


def pc_sub(**fields) -> PcSubscription:
    base = {
        "id": "sub-1",
        "offer_id": "CFQ7TTC0LH18:0001:CFQ7TTC0K971",
        "offer_name": "Microsoft 365 Business Basic",
        "friendly_name": "BB - HQ",
        "product_id": "CFQ7TTC0LH18",
        "sku_id": "0001",
        "quantity": 12,
        "status": "active",
        "auto_renew_enabled": True,
        "billing_cycle": "annual",
        "term_duration": "P1Y",
        "effective_start_date": dt.datetime(2025, 3, 4, tzinfo=dt.UTC),
        "commitment_end_date": dt.datetime(2026, 3, 3, tzinfo=dt.UTC),
        "cancellation_allowed_until_date": dt.datetime(2025, 3, 11, 10, 17, tzinfo=dt.UTC),
        "order_id": "a6f2c8d1e4b7",
        "partner_id": "5123456",
    }
    return PcSubscription(**{**base, **fields})


@pytest.mark.parametrize(
    ("pc", "bss"),
    [
        ("active", "active"),
        ("Suspended", "suspended"),
        ("expired", "expired"),
        ("disabled", "disabled"),
        ("pending", "pending"),
    ],
)
def test_statuses_the_bss_keeps(pc, bss):
    assert map_status(pc) == (bss, "")


@pytest.mark.parametrize("pc", ["deleted", "none", "", None, "frozen"])
def test_statuses_skipped_with_a_reason(pc):
    status, reason = map_status(pc)
    assert status is None and reason


def test_billing_cycles_and_terms():
    assert [map_billing_cycle(c) for c in ("monthly", "Annual", "triennial", "one_time", "none", None)] == [
        "monthly",
        "annual",
        "triennial",
        "one_time",
        "none",
        "none",
    ]
    assert map_billing_cycle("biennial") is None
    assert [map_term(t) for t in ("P1M", "p1y", "P3Y", "", None)] == ["P1M", "P1Y", "P3Y", "", ""]
    assert map_term("P5Y") is None


def test_subscription_values_carry_every_field():
    values = subscription_values(pc_sub()).values
    assert values is not None
    assert values.pc_subscription_id == "sub-1"
    assert (values.name, values.quantity, values.status, values.billing_cycle, values.term_duration) == (
        "BB - HQ",
        12,
        "active",
        "annual",
        "P1Y",
    )
    assert values.auto_renew is True
    assert values.commitment_end_date == dt.date(2026, 3, 3)
    assert values.cancellation_allowed_until == dt.datetime(2025, 3, 11, 10, 17, tzinfo=dt.UTC)
    assert (values.pc_offer_id, values.pc_product_id, values.pc_sku_id, values.pc_order_id, values.pc_partner_id) == (
        "CFQ7TTC0LH18:0001:CFQ7TTC0K971",
        "CFQ7TTC0LH18",
        "0001",
        "a6f2c8d1e4b7",
        "5123456",
    )


def test_legacy_and_usage_subscriptions():
    azure = subscription_values(
        pc_sub(
            term_duration=None,
            billing_cycle="monthly",
            friendly_name=None,
            offer_name="Azure plan",
            quantity=None,
            auto_renew_enabled=None,
            commitment_end_date=None,
        )
    ).values
    assert azure is not None
    assert (azure.name, azure.term_duration, azure.quantity, azure.auto_renew, azure.commitment_end_date) == (
        "Azure plan",
        "",
        0,
        False,
        None,
    )


def test_skips_explain_themselves():
    assert "deleted" in subscription_values(pc_sub(status="deleted")).skip_reason
    assert "biennial" in subscription_values(pc_sub(billing_cycle="biennial")).skip_reason
    assert "P5Y" in subscription_values(pc_sub(term_duration="P5Y")).skip_reason
    summary = subscription_summary(pc_sub(status="deleted"))
    assert summary["status"] == "deleted" and summary["skip_reason"]


def test_reseller_from_associated_partner_wins():
    pid, note = reseller_partner_id_for(
        subscription_partner_ids=["5234567", "5234567"],
        associated_partner_id="7D2E-TAILSPIN",
        mpn_by_tenant={"7d2e-tailspin": "5123456"},
    )
    assert pid == "5123456" and "5234567" in note


def test_reseller_from_subscriptions_majority_ignoring_provider():
    pid, note = reseller_partner_id_for(
        subscription_partner_ids=["", None, "4712002", "5123456", "5345678", "5123456"],
        associated_partner_id=None,
        mpn_by_tenant={},
        provider_partner_id="4712002",
    )
    assert pid == "5123456" and "5345678" in note


def test_no_reseller_means_the_provider():
    assert reseller_partner_id_for(
        subscription_partner_ids=["", "4712002"],
        associated_partner_id="",
        mpn_by_tenant={},
        provider_partner_id="4712002",
    ) == ("", "")
    # An associated reseller we cannot resolve (no App+User) falls back to the subscriptions.
    assert (
        reseller_partner_id_for(
            subscription_partner_ids=["5123456"],
            associated_partner_id="unknown-tenant-guid",
            mpn_by_tenant={},
        )[0]
        == "5123456"
    )
