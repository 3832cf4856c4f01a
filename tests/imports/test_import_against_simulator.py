"""The import tool end to end against the HTTPS Partner Center simulator, with a real database and eager Celery."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Max

from bss.choices import RelationshipStatus, ResellerKind
from bss.models import AuditEvent, Customer, LicenseLedgerEntry, MicrosoftTenant, Reseller, Subscription
from reconciliation.imports.choices import Classification, Outcome, ResellerAction, RunStatus
from reconciliation.imports.models import ImportItem, ImportRun
from reconciliation.imports.services.resellers import import_reseller_map
from reconciliation.imports.services.runs import (
    import_items_select,
    import_preview_retry,
    import_preview_start,
    import_run_resume,
    import_run_start,
)
from tests.factories.bss import (
    CustomerFactory,
    MarketplaceFactory,
    MicrosoftTenantFactory,
    PartnerCenterInstanceFactory,
    ResellerFactory,
    SubscriptionFactory,
)
from tests.imports.conftest import M365_E3, Estate, Seeder

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def _on_commit(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (the background jobs) as the test's transaction would commit them."""
    global _capture
    _capture = django_capture_on_commit_callbacks
    yield
    _capture = None


_capture: Any = None


def act(service, **kwargs):
    with _capture(execute=True):
        return service(**kwargs)


def preview(estate: Estate, actor, page_size: int = 500) -> ImportRun:
    run = act(import_preview_start, actor=actor, instance=estate.instance, page_size=page_size)
    run.refresh_from_db()
    return run


def run_import(run: ImportRun, actor) -> ImportRun:
    act(import_run_start, actor=actor, run=run)
    run.refresh_from_db()
    return run


def full_run(estate: Estate, actor, page_size: int = 500) -> ImportRun:
    run = preview(estate, actor, page_size)
    assert run.status == RunStatus.READY, run.error
    return run_import(run, actor)


def bss_counts() -> tuple[int, int, int, int]:
    return (
        Customer.objects.count(),
        MicrosoftTenant.objects.count(),
        Subscription.objects.count(),
        Reseller.objects.count(),
    )


def pc_customers(seeder: Seeder) -> dict[str, object]:
    return {c.id: c for c in seeder.client.customers.list()}


def test_direct_partner_paged_preview_and_import(sim, direct, direct_seeder, importer):
    seeded = sim.control.seeded
    # An expired subscription: monthly term, auto-renew off, a month and a bit later.
    fabrikam = direct_seeder.customer("Fabrikam Bikes", "fabrikambikes.onmicrosoft.com", country="GB")
    expired = direct_seeder.buy(fabrikam, item=M365_E3, quantity=4, term="P1M", billing="monthly", name="E3 monthly")
    direct_seeder.auto_renew_off(fabrikam, expired)
    sim.control.advance(days=35)
    kept = direct_seeder.buy(fabrikam, quantity=7, name="BB Fabrikam")
    cancelled = direct_seeder.buy(fabrikam, quantity=2, name="BB cancelled")
    direct_seeder.cancel(fabrikam, cancelled)
    suspended = direct_seeder.buy(fabrikam, quantity=5, name="BB suspended")
    direct_seeder.suspend(fabrikam, suspended)
    direct_seeder.customer("Woodgrove Bank", "woodgrovebank.onmicrosoft.com")
    pc = pc_customers(direct_seeder)
    assert len(pc) == 5

    run = preview(direct, importer, page_size=2)

    assert run.status == RunStatus.READY
    assert run.pages_read == 3 and run.customers_found == 5
    items = {i.pc_customer_id: i for i in run.items.all()}
    assert set(items) == set(pc)
    assert {i.classification for i in items.values()} == {Classification.NEW}
    assert all(i.selected for i in items.values())
    fab_item = items[fabrikam]
    assert fab_item.domain == "fabrikambikes.onmicrosoft.com" and fab_item.company_name == "Fabrikam Bikes"
    statuses = {s["id"]: s["status"] for s in fab_item.subscriptions}
    assert statuses == {expired: "expired", kept: "active", cancelled: "deleted", suspended: "suspended"}
    assert [s["skip_reason"] != "" for s in fab_item.subscriptions if s["id"] == cancelled] == [True]
    assert Customer.objects.count() == 0  # the preview changes nothing

    run = run_import(run, importer)

    assert run.status == RunStatus.COMPLETED, run.error
    assert (run.created_count, run.linked_count, run.skipped_count, run.failed_count) == (5, 0, 0, 0)
    assert run.customers_done == 5
    tenant = MicrosoftTenant.objects.select_related("customer").get(instance=direct.instance, pc_customer_id=fabrikam)
    customer = tenant.customer
    assert tenant.default_domain == "fabrikambikes.onmicrosoft.com"
    assert tenant.relationship_status == RelationshipStatus.ACTIVE
    assert customer.company_name == "Fabrikam Bikes" and customer.country == "GB"
    assert customer.reseller == direct.provider and customer.marketplace == direct.marketplace
    subs = {s.pc_subscription_id: s for s in customer.subscriptions.all()}
    assert set(subs) == {expired, kept, suspended}  # cancelled (deleted) is not imported
    assert subs[expired].status == "expired" and subs[expired].auto_renew is False
    assert subs[suspended].status == "suspended"
    live = direct_seeder.client.subscriptions.get(customer_id=fabrikam, subscription_id=kept)
    bb = subs[kept]
    assert (bb.name, bb.quantity, bb.status, bb.billing_cycle, bb.term_duration, bb.auto_renew) == (
        "BB Fabrikam",
        7,
        "active",
        "annual",
        "P1Y",
        True,
    )
    assert bb.commitment_end_date == live.commitment_end_date.date()
    assert bb.cancellation_allowed_until == live.cancellation_allowed_until_date
    assert bb.pc_offer_id == live.offer_id and bb.pc_order_id == live.order_id and bb.tenant == tenant
    assert LicenseLedgerEntry.objects.get(subscription=bb).quantity_after == 7
    # Seeded Northwind: Azure plan (no term) and the rest of its estate come in too.
    northwind = MicrosoftTenant.objects.get(pc_customer_id=seeded["customer_mca"]).customer
    azure = northwind.subscriptions.get(pc_subscription_id=seeded["sub_azure_plan"])
    assert azure.term_duration == "" and azure.billing_cycle == "monthly"
    assert sorted(azure.azure_entitlements.values_list("friendly_name", flat=True)) == ["Development", "Production"]
    # Every creation is audited, by the admin who ran the import.
    assert AuditEvent.objects.filter(action="customer.create", actor=importer).count() == 5
    assert AuditEvent.objects.filter(action="tenant.create").count() == 5
    assert AuditEvent.objects.filter(action="subscription.import").count() == Subscription.objects.count()
    # The report says why the cancelled subscription was left out.
    skipped = run.rows.get(pc_id=cancelled)
    assert skipped.outcome == Outcome.SKIPPED and "deleted" in skipped.reason
    # Imported subscriptions are visible in the customer's workspace (permission-scoped selector).
    from bss.selectors import subscription_list_for_user
    from tests.factories.bss import CustomerUserFactory

    user = CustomerUserFactory(customer=customer)
    assert set(subscription_list_for_user(user=user).values_list("pc_subscription_id", flat=True)) == set(subs)


def test_second_run_imports_nothing_new(sim, direct, direct_seeder, importer):
    first = full_run(direct, importer, page_size=2)
    assert first.status == RunStatus.COMPLETED and first.created_count == 3
    counts = bss_counts()
    audit = AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0  # pks are not counts on PostgreSQL

    second = preview(direct, importer, page_size=2)
    assert {i.classification for i in second.items.all()} == {Classification.LINKED}
    assert second.customers_selected == 0
    second = run_import(second, importer)

    assert second.status == RunStatus.COMPLETED
    assert bss_counts() == counts
    assert (second.created_count, second.linked_count, second.failed_count, second.subscriptions_created) == (
        0,
        0,
        0,
        0,
    )
    assert second.skipped_count == 3
    assert set(second.rows.values_list("reason", flat=True)) == {"already in the BSS: nothing new"}
    # Only the run's own bookkeeping is audited, no BSS record.
    assert not AuditEvent.objects.filter(pk__gt=audit).exclude(action__startswith="import_run.").exists()

    # A subscription bought since then is all a third run brings in.
    adatum = sim.control.seeded["customer_no_mca"]
    sim.control.direct_sign_mca(direct.partner.tenant_id, adatum)
    new_sub = direct_seeder.buy(adatum, quantity=2)
    third = full_run(direct, importer)
    assert third.linked_count == 1 and third.subscriptions_created == 1 and third.created_count == 0
    assert Subscription.objects.filter(pc_subscription_id=new_sub).count() == 1
    assert bss_counts()[2] == counts[2] + 1


def test_existing_bss_customer_is_linked_without_changing_its_data(sim, direct, importer):
    seeded = sim.control.seeded
    northwind_id = seeded["customer_mca"]
    # Northwind is already in the BSS on this instance, with one subscription whose quantity differs.
    mine = CustomerFactory(
        reseller=ResellerFactory(parent=direct.provider),
        marketplace=direct.marketplace,
        company_name="Northwind (our name)",
    )
    tenant = MicrosoftTenantFactory(
        customer=mine,
        instance=direct.instance,
        pc_customer_id=northwind_id,
        default_domain="northwindtraders.onmicrosoft.com",
    )
    existing = SubscriptionFactory(
        tenant=tenant, customer=mine, pc_subscription_id=seeded["sub_business_basic_new"], quantity=99, name="Our BB"
    )
    # Adatum is a BSS customer through another instance: it gets linked to this one.
    other_instance = PartnerCenterInstanceFactory()
    adatum = CustomerFactory(marketplace=MarketplaceFactory(instance=other_instance), company_name="Adatum (ours)")
    MicrosoftTenantFactory(
        customer=adatum,
        instance=other_instance,
        pc_customer_id=seeded["customer_no_mca"],
        default_domain="adatumcorp.onmicrosoft.com",
    )

    run = preview(direct, importer)
    items = {i.pc_customer_id: i for i in run.items.all()}
    assert items[northwind_id].classification == Classification.LINKED
    assert items[northwind_id].linked_customer == mine and items[northwind_id].selected
    assert items[seeded["customer_no_mca"]].classification == Classification.LINKED
    run = run_import(run, importer)

    assert run.status == RunStatus.COMPLETED
    assert (run.created_count, run.linked_count) == (1, 2)
    mine.refresh_from_db()
    existing.refresh_from_db()
    assert mine.company_name == "Northwind (our name)"
    assert (existing.quantity, existing.name) == (99, "Our BB")
    assert Customer.objects.filter(tenants__pc_customer_id=northwind_id).distinct().count() == 1
    assert mine.subscriptions.count() == 4  # ours + the three others Partner Center has
    adatum_here = MicrosoftTenant.objects.get(instance=direct.instance, pc_customer_id=seeded["customer_no_mca"])
    assert adatum_here.customer == adatum
    adatum.refresh_from_db()
    assert adatum.company_name == "Adatum (ours)"


def test_domain_conflict_is_reported_and_not_imported(sim, direct, importer):
    pending = CustomerFactory(marketplace=direct.marketplace, reseller=ResellerFactory(parent=direct.provider))
    MicrosoftTenantFactory(
        customer=pending,
        instance=direct.instance,
        pc_customer_id=None,
        default_domain="adatumcorp.onmicrosoft.com",
        relationship_status=RelationshipStatus.PENDING_CREATION,
    )
    run = preview(direct, importer)
    item = run.items.get(domain="adatumcorp.onmicrosoft.com")
    assert item.classification == Classification.CONFLICT and not item.selected
    assert "pending" in item.note
    import_items_select(actor=importer, run=run, selected=True)  # "select all" leaves conflicts out
    item.refresh_from_db()
    assert not item.selected
    run = run_import(run, importer)
    item.refresh_from_db()
    assert item.outcome == Outcome.SKIPPED and item.reason.startswith("conflict")
    assert run.created_count == 2 and run.skipped_count == 1
    assert MicrosoftTenant.objects.filter(default_domain="adatumcorp.onmicrosoft.com").count() == 1


def test_indirect_provider_with_several_resellers(sim, indirect, indirect_seeder, importer):
    partners = sim.partners
    # Tailspin (5123456) is already a BSS reseller with its own marketplace on this instance.
    tailspin = ResellerFactory(
        name="Tailspin (BSS)", parent=indirect.provider, partner_id="5123456", kind=ResellerKind.TENANT
    )
    tailspin_store = MarketplaceFactory(owner=tailspin, instance=indirect.instance)
    # Wingtip (5234567) is unknown to the BSS: created as a light reseller.
    wingtip_customer = indirect_seeder.customer(
        "Wingtip Client", "wingtipclient.onmicrosoft.com", reseller=partners.reseller_wingtip
    )
    # A third reseller, unknown too, that the admin maps by hand to an existing BSS reseller.
    sim.control.add_reseller(
        indirect.partner.tenant_id,
        tenantId="7d2e1f0a-4c8b-4d3e-8a71-2b3c4d5e6f13",
        name="Lucerne Systems",
        mpnId="5345678",
    )
    lucerne_customer = indirect_seeder.customer("Lucerne Client", "lucerneclient.onmicrosoft.com", reseller="5345678")
    lucerne_sub = indirect_seeder.buy(lucerne_customer, quantity=6, reseller_mpn="5345678")
    by_hand = ResellerFactory(name="Lucerne (by hand)", parent=indirect.provider, partner_id="")
    # Another Tailspin customer whose subscription names Tailspin as partner of record (no associated id).
    tailspin_customer = indirect_seeder.customer("Tailspin Client 2", "tailspinclient2.onmicrosoft.com")
    indirect_seeder.buy(tailspin_customer, quantity=8, reseller_mpn="5123456")

    run = preview(indirect, importer, page_size=2)
    assert run.status == RunStatus.READY and run.customers_found == 4 and run.pages_read == 2
    items = {i.pc_customer_id: i for i in run.items.all()}
    assert items[sim.control.seeded["indirect_customer"]].reseller_partner_id == "5123456"
    assert items[tailspin_customer].reseller_partner_id == "5123456"
    assert items[wingtip_customer].reseller_partner_id == "5234567"
    assert items[lucerne_customer].reseller_partner_id == "5345678"
    resellers = {r.partner_id: r for r in run.resellers.all()}
    assert resellers["5123456"].action == ResellerAction.MATCHED and resellers["5123456"].reseller == tailspin
    assert resellers["5234567"].action == ResellerAction.CREATE and resellers["5234567"].pc_name == "Wingtip Partners"
    assert resellers["5345678"].action == ResellerAction.CREATE

    import_reseller_map(actor=importer, run=run, partner_id="5345678", reseller=by_hand)
    run = run_import(run, importer)

    assert run.status == RunStatus.COMPLETED, run.error
    assert run.created_count == 4 and run.resellers_created == 1
    relecloud = MicrosoftTenant.objects.get(pc_customer_id=sim.control.seeded["indirect_customer"]).customer
    assert relecloud.reseller == tailspin and relecloud.marketplace == tailspin_store
    assert relecloud.subscriptions.get().pc_partner_id == "5123456"
    wingtip = Reseller.objects.get(partner_id="5234567")
    assert (wingtip.kind, wingtip.parent, wingtip.name, wingtip.country) == (
        ResellerKind.LIGHT,
        indirect.provider,
        "Wingtip Partners",
        "GB",
    )
    wingtip_bss = MicrosoftTenant.objects.get(pc_customer_id=wingtip_customer).customer
    assert wingtip_bss.reseller == wingtip and wingtip_bss.marketplace == indirect.marketplace
    lucerne_bss = MicrosoftTenant.objects.get(pc_customer_id=lucerne_customer).customer
    assert lucerne_bss.reseller == by_hand
    by_hand.refresh_from_db()
    assert by_hand.partner_id == ""  # mapping by hand does not rewrite the BSS reseller
    assert lucerne_bss.subscriptions.get().pc_subscription_id == lucerne_sub
    assert MicrosoftTenant.objects.get(pc_customer_id=tailspin_customer).customer.reseller == tailspin
    assert AuditEvent.objects.filter(action="reseller.create", object_id=str(wingtip.pk)).exists()

    # Re-run: nothing new, the reseller is matched now.
    counts = bss_counts()
    again = preview(indirect, importer)
    assert {r.partner_id: r.action for r in again.resellers.all()}["5234567"] == ResellerAction.MATCHED
    again = run_import(again, importer)
    assert again.status == RunStatus.COMPLETED and bss_counts() == counts


def test_partner_center_failing_mid_import_then_resume(sim, direct, direct_seeder, importer):
    extra = [direct_seeder.customer(f"Client {n}", f"client{n}x.onmicrosoft.com") for n in range(3)]
    for cid in extra:
        direct_seeder.buy(cid, quantity=2)
    run = preview(direct, importer, page_size=2)
    ordered = list(run.items.order_by("position").values_list("pc_customer_id", flat=True))
    victim = ordered[3]
    sim.control.inject_fault("5xx", method="GET", path=f"/v1/customers/{victim}/subscriptions", count=1, status=503)

    run = run_import(run, importer)

    assert run.status == RunStatus.IMPORT_FAILED
    assert "503" in run.error and victim in run.error
    assert run.customers_done == 3 and run.created_count == 3
    assert MicrosoftTenant.objects.count() == 3
    assert not ImportItem.objects.get(run=run, pc_customer_id=victim).outcome
    tenants, subs = MicrosoftTenant.objects.count(), Subscription.objects.count()

    act(import_run_resume, actor=importer, run=run)
    run.refresh_from_db()

    assert run.status == RunStatus.COMPLETED, run.error
    assert run.created_count == 6 and run.failed_count == 0 and run.customers_done == 6
    assert MicrosoftTenant.objects.count() == 6 > tenants and Subscription.objects.count() > subs
    assert Customer.objects.count() == 6
    assert len(set(Subscription.objects.values_list("pc_subscription_id", flat=True))) == Subscription.objects.count()
    assert run.rows.filter(object_type="customer").count() == 6


def test_partner_center_failing_during_preview_is_retryable(sim, direct, importer):
    sim.control.inject_fault("5xx", method="GET", path="/v1/customers", count=1, status=500)
    run = preview(direct, importer)
    assert run.status == RunStatus.PREVIEW_FAILED and "500" in run.error
    act(import_preview_retry, actor=importer, run=run)
    run.refresh_from_db()
    assert run.status == RunStatus.READY and run.customers_found == 3


def test_customer_level_error_fails_that_customer_only(sim, direct, importer):
    run = preview(direct, importer)
    victim = run.items.order_by("position").first().pc_customer_id
    sim.control.inject_fault(
        "error",
        method="GET",
        path=f"/v1/customers/{victim}/subscriptions",
        count=1,
        status=404,
        code=800037,
        description="Customer relationship not found",
    )
    run = run_import(run, importer)
    assert run.status == RunStatus.COMPLETED
    assert (run.created_count, run.failed_count) == (2, 1)
    failed = run.items.get(pc_customer_id=victim)
    assert failed.outcome == Outcome.FAILED and "404" in failed.reason
    # A new run picks the failed customer up.
    again = full_run(direct, importer)
    assert again.created_count == 1 and MicrosoftTenant.objects.count() == 3


def test_one_active_run_per_instance(sim, direct, importer):
    ImportRun.objects.create(instance=direct.instance, status=RunStatus.IMPORTING)
    from bss.exceptions import ApplicationError

    with pytest.raises(ApplicationError, match="already running"):
        import_preview_start(actor=importer, instance=direct.instance)


def test_import_needs_a_provider_marketplace(sim, direct, importer):
    run = preview(direct, importer)
    direct.marketplace.is_active = False
    direct.marketplace.save(update_fields=["is_active"])
    from bss.exceptions import ApplicationError

    with pytest.raises(ApplicationError, match="no provider marketplace"):
        import_run_start(actor=importer, run=run)
    run.refresh_from_db()
    assert run.status == RunStatus.READY


def test_imported_subscriptions_reconcile_cleanly(sim, direct, direct_seeder, importer):
    from reconciliation.choices import RunScope
    from reconciliation.models import Finding, ReconciliationRun
    from reconciliation.services.runs import reconciliation_run_start

    fabrikam = direct_seeder.customer("Fabrikam Bikes", "fabrikambikes.onmicrosoft.com")
    expiring = direct_seeder.buy(fabrikam, item=M365_E3, quantity=4, term="P1M", billing="monthly")
    direct_seeder.auto_renew_off(fabrikam, expiring)
    sim.control.advance(days=35)
    direct_seeder.suspend(fabrikam, direct_seeder.buy(fabrikam, quantity=5))
    direct_seeder.cancel(fabrikam, direct_seeder.buy(fabrikam, quantity=2))
    run = full_run(direct, importer, page_size=2)
    assert run.status == RunStatus.COMPLETED and run.subscriptions_created >= 6

    recon = act(reconciliation_run_start, actor=importer, scope=RunScope.INSTANCE, instance=direct.instance)
    recon = ReconciliationRun.objects.get(pk=recon.pk)
    assert recon.customers_total == 4
    assert list(Finding.objects.filter(run=recon).values_list("kind", "summary")) == []
