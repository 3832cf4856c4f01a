"""The comparison of one customer's BSS and Partner Center subscriptions: pure functions, no database."""

import dataclasses
import datetime as dt

import pytest

from partnercenter.types import Subscription as PcSubscription
from reconciliation import comparators as c

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
OLD = NOW - dt.timedelta(days=30)
PC_ID = "3d9a7b1c-0e2f-4a6b-c8d0-1e2f3a4b5c6d"


def ours(**changes):
    base = c.BssSubscription(
        id=1,
        pc_subscription_id=PC_ID,
        name="Business Basic",
        quantity=12,
        status="active",
        auto_renew=True,
        billing_cycle="annual",
        term_duration="P1Y",
        pc_offer_id="CFQ7TTC0LH18:0001:CFQ7TTC0K971",
        pc_product_id="CFQ7TTC0LH18",
        pc_sku_id="0001",
        commitment_end_date=dt.date(2026, 3, 3),
        created_at=OLD,
        updated_at=OLD,
    )
    return dataclasses.replace(base, **changes)


def theirs(**changes):
    base = PcSubscription(
        id=PC_ID.upper(),  # Partner Center ids compare case-insensitively
        offer_id="CFQ7TTC0LH18:0001:CFQ7TTC0K971",
        friendly_name="Business Basic - HQ",
        product_id="CFQ7TTC0LH18",
        sku_id="0001",
        availability_id="CFQ7TTC0K971",
        quantity=12,
        status="active",
        auto_renew_enabled=True,
        billing_cycle="annual",
        term_duration="P1Y",
        creation_date=OLD,
        commitment_end_date=dt.datetime(2026, 3, 3, tzinfo=dt.UTC),
    )
    return dataclasses.replace(base, **changes)


def test_clean_pair_has_no_difference():
    assert c.compare_customer([ours()], [theirs()], now=NOW) == []


def test_empty_on_both_sides_is_clean():
    assert c.compare_customer([], [], now=NOW) == []


@pytest.mark.parametrize(
    ("_case", "bss_change", "pc_change", "kind", "bss_values", "pc_values"),
    [
        ("quantity", {"quantity": 10}, {}, c.QUANTITY, {"quantity": 10}, {"quantity": 12}),
        ("status", {}, {"status": "suspended"}, c.STATUS, {"status": "active"}, {"status": "suspended"}),
        ("auto_renew", {}, {"auto_renew_enabled": False}, c.AUTO_RENEW, {"auto_renew": True}, {"auto_renew": False}),
        ("term", {"term_duration": "P1M"}, {}, c.TERM, {"term_duration": "P1M"}, {"term_duration": "P1Y"}),
        (
            "cycle",
            {},
            {"billing_cycle": "Monthly"},
            c.BILLING_CYCLE,
            {"billing_cycle": "annual"},
            {"billing_cycle": "monthly"},
        ),
        (
            "end_date",
            {"commitment_end_date": dt.date(2026, 3, 4)},
            {},
            c.COMMITMENT_END_DATE,
            {"commitment_end_date": "2026-03-04"},
            {"commitment_end_date": "2026-03-03"},
        ),
        (
            "end_date_unknown_to_us",
            {"commitment_end_date": None},
            {},
            c.COMMITMENT_END_DATE,
            {"commitment_end_date": None},
            {"commitment_end_date": "2026-03-03"},
        ),
    ],
)
def test_each_field_difference_is_one_finding(_case, bss_change, pc_change, kind, bss_values, pc_values):
    (diff,) = c.compare_customer([ours(**bss_change)], [theirs(**pc_change)], now=NOW)
    assert (diff.kind, dict(diff.bss_values), dict(diff.pc_values)) == (kind, bss_values, pc_values)
    assert (diff.bss_subscription_id, diff.pc_subscription_id, diff.pending) == (1, PC_ID.upper(), False)


def test_sku_difference_ignores_the_availability_and_reads_ids_from_the_offer_id():
    same_sku_new_availability = theirs(offer_id="CFQ7TTC0LH18:0001:NEWAVAIL", availability_id="NEWAVAIL")
    assert c.compare_customer([ours(pc_product_id="", pc_sku_id="")], [same_sku_new_availability], now=NOW) == []

    (diff,) = c.compare_customer([ours()], [theirs(product_id="CFQ7TTC0LFLX", offer_id="CFQ7TTC0LFLX:0001:X")], now=NOW)
    assert diff.kind == c.SKU
    assert diff.bss_values == {
        "pc_offer_id": "CFQ7TTC0LH18:0001:CFQ7TTC0K971",
        "pc_product_id": "CFQ7TTC0LH18",
        "pc_sku_id": "0001",
    }
    assert diff.pc_values == {
        "pc_offer_id": "CFQ7TTC0LFLX:0001:X",
        "pc_product_id": "CFQ7TTC0LFLX",
        "pc_sku_id": "0001",
    }


def test_several_differences_of_one_pair_are_separate_findings():
    diffs = c.compare_customer([ours(quantity=3, auto_renew=False)], [theirs(status="suspended")], now=NOW)
    assert sorted(d.kind for d in diffs) == [c.AUTO_RENEW, c.QUANTITY, c.STATUS]


def test_fields_partner_center_does_not_report_are_not_compared():
    bare = PcSubscription(id=PC_ID)
    assert c.compare_customer([ours()], [bare], now=NOW) == []


def test_missing_in_partner_center():
    (diff,) = c.compare_customer([ours(pc_subscription_id="00000000-0000-0000-0000-000000000001")], [], now=NOW)
    assert diff.kind == c.MISSING_IN_PARTNER_CENTER and not diff.pending
    assert diff.bss_values["quantity"] == 12 and diff.pc_values == {}


def test_bss_subscription_without_partner_center_id_is_missing_once_the_delay_has_passed():
    (old,) = c.compare_customer([ours(pc_subscription_id=None)], [], now=NOW)
    assert (old.kind, old.pending, old.pc_subscription_id) == (c.MISSING_IN_PARTNER_CENTER, False, "")
    (recent,) = c.compare_customer([ours(pc_subscription_id=None, created_at=NOW, updated_at=NOW)], [], now=NOW)
    assert (recent.kind, recent.pending) == (c.MISSING_IN_PARTNER_CENTER, True)


def test_cancelled_bss_subscription_absent_from_partner_center_is_clean():
    assert c.compare_customer([ours(status="deleted")], [], now=NOW) == []


def test_missing_in_bss_carries_partner_center_values_and_deleted_ones_are_ignored():
    (diff,) = c.compare_customer([], [theirs(), theirs(id="other", status="deleted")], now=NOW)
    assert diff.kind == c.MISSING_IN_BSS and diff.bss_subscription_id is None
    assert diff.pc_values["quantity"] == 12 and diff.pc_values["pc_product_id"] == "CFQ7TTC0LH18"
    assert diff.pc_values["commitment_end_date"] == "2026-03-03"


def test_unknown_subscription_suggests_the_one_unlinked_bss_subscription_of_the_same_sku():
    unlinked = ours(id=7, pc_subscription_id=None, created_at=OLD)
    diffs = c.compare_customer([unlinked], [theirs()], now=NOW)
    by_kind = {d.kind: d for d in diffs}
    assert by_kind[c.MISSING_IN_BSS].suggested_link_id == 7
    assert by_kind[c.MISSING_IN_PARTNER_CENTER].bss_subscription_id == 7


@pytest.mark.parametrize(
    ("_case", "bss_change", "pc_change"),
    [
        ("bss_changed_10_minutes_ago", {"updated_at": NOW - dt.timedelta(minutes=10)}, {}),
        ("pc_created_5_minutes_ago", {}, {"creation_date": NOW - dt.timedelta(minutes=5)}),
        ("pc_clock_ahead", {}, {"creation_date": NOW + dt.timedelta(hours=1)}),
    ],
)
def test_recent_changes_are_pending_not_findings(_case, bss_change, pc_change):
    (diff,) = c.compare_customer([ours(quantity=13, **bss_change)], [theirs(**pc_change)], now=NOW)
    assert (diff.kind, diff.pending) == (c.QUANTITY, True)


def test_new_partner_center_subscription_inside_the_listing_delay_is_pending():
    (diff,) = c.compare_customer([], [theirs(creation_date=NOW - dt.timedelta(minutes=14))], now=NOW)
    assert (diff.kind, diff.pending) == (c.MISSING_IN_BSS, True)


def test_differences_older_than_the_window_are_not_pending():
    (diff,) = c.compare_customer([ours(quantity=13, updated_at=NOW - dt.timedelta(minutes=16))], [theirs()], now=NOW)
    assert diff.pending is False


def test_orphan_lists_the_live_bss_subscriptions():
    diff = c.orphan_difference([ours(), ours(id=2, status="deleted")], reason="HTTP 403 (code 20002)")
    assert diff.kind == c.ORPHAN
    assert diff.bss_values == {"subscriptions": [{"id": 1, "name": "Business Basic", "status": "active"}]}


def test_bss_side_is_what_a_finding_records():
    snapshot = ours()
    assert c.bss_side(snapshot, c.QUANTITY) == {"quantity": 12}
    assert c.bss_side(snapshot, c.COMMITMENT_END_DATE) == {"commitment_end_date": "2026-03-03"}


def test_pc_details_are_json_ready():
    details = c.pc_details(theirs())
    assert details["commitmentEndDate"] == "2026-03-03T00:00:00+00:00" and details["quantity"] == 12
