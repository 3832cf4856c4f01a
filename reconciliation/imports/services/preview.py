"""The preview of an import run: page through the instance's customers and classify each against the BSS.

`import_preview_build` reads all customers of the instance (continuation tokens) and each customer's
subscriptions, classifies it (new / already linked / conflict) and, for an indirect provider, finds the indirect
reseller it belongs to. One commit per page; a retried preview reads again from the first page and updates
the rows it stored.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from bss.choices import CspModel
from bss.models import Customer, MicrosoftTenant, PartnerCenterInstance, Subscription
from bss.partner_center import get_client, pc_error_message
from partnercenter import errors as pc_errors
from partnercenter.types import Customer as PcCustomer
from partnercenter.types import Subscription as PcSubscription
from reconciliation.imports import selectors
from reconciliation.imports.choices import Classification, RunStatus
from reconciliation.imports.mapping import reseller_partner_id_for, subscription_summary
from reconciliation.imports.models import ImportItem, ImportRun
from reconciliation.imports.services.resellers import ResellerInfo, indirect_resellers, resellers_store
from reconciliation.imports.services.runs import import_run_fail, run_lock, run_transition


def _classify_page(
    instance: PartnerCenterInstance, customers: list[PcCustomer]
) -> dict[str, tuple[str, str, Customer | None, bool]]:
    """(classification, note, linked customer, tenant already on this instance) per Partner Center customer id of
    one page: 3 queries."""
    ids = [c.id for c in customers]
    domains = {(c.domain or "").lower() for c in customers if c.domain}
    here = {
        t.pc_customer_id: t
        for t in MicrosoftTenant.objects.select_related("customer").filter(instance=instance, pc_customer_id__in=ids)
    }
    elsewhere: dict[str, MicrosoftTenant] = {}
    for t in (
        MicrosoftTenant.objects.select_related("customer", "instance")
        .filter(pc_customer_id__in=ids)
        .exclude(instance=instance)
        .order_by("pk")
    ):
        elsewhere.setdefault(t.pc_customer_id or "", t)
    by_domain = {
        t.default_domain: t
        for t in MicrosoftTenant.objects.select_related("customer").filter(
            instance=instance, default_domain__in=domains
        )
    }
    result: dict[str, tuple[str, str, Customer | None, bool]] = {}
    for c in customers:
        domain = (c.domain or "").lower()
        if c.id in here:
            t = here[c.id]
            result[c.id] = (Classification.LINKED, f"already linked to BSS customer {t.customer}", t.customer, True)
        elif domain and domain in by_domain:
            t = by_domain[domain]
            state = f"tenant id {t.pc_customer_id}" if t.pc_customer_id else "no Partner Center id yet (pending order?)"
            result[c.id] = (
                Classification.CONFLICT,
                f"BSS customer {t.customer} already has domain {domain} on this instance with {state}; resolve by hand",
                t.customer,
                False,
            )
        elif not domain:
            result[c.id] = (Classification.CONFLICT, "Partner Center gives no domain for this customer", None, False)
        elif c.id in elsewhere:
            t = elsewhere[c.id]
            result[c.id] = (
                Classification.LINKED,
                f"BSS customer {t.customer} has this tenant in {t.instance}; it will be linked to this instance",
                t.customer,
                False,
            )
        else:
            result[c.id] = (Classification.NEW, "", None, False)
    return result


def import_preview_build(*, run_id: int) -> None:
    """Page through the instance's customers and store one preview item per customer (commit per page)."""
    run = ImportRun.objects.select_related("instance").get(pk=run_id)
    if run.status != RunStatus.PREVIEWING:
        return
    instance = run.instance
    indirect = instance.csp_model == CspModel.INDIRECT_PROVIDER
    ImportRun.objects.filter(pk=run.pk).update(stage="Connecting to Partner Center", pages_read=0, customers_found=0)
    try:
        client = get_client(instance)
        reseller_infos, warnings = indirect_resellers(client, run) if indirect else ({}, [])
        mpn_by_tenant = {info.tenant_id.lower(): mpn for mpn, info in reseller_infos.items() if info.tenant_id}
        position = 0
        pages = 0
        for page in client.customers.list_pages(page_size=run.page_size):
            customers = list(page.items)
            subs_by_customer = {c.id: client.subscriptions.list(customer_id=c.id) for c in customers}
            pages += 1
            position = _store_preview_page(
                run=run,
                customers=customers,
                subs_by_customer=subs_by_customer,
                start=position,
                indirect=indirect,
                reseller_infos=reseller_infos,
                mpn_by_tenant=mpn_by_tenant,
                pages=pages,
            )
    except pc_errors.PartnerCenterError as exc:
        import_run_fail(
            run_id=run.pk, message=f"Partner Center failed while building the preview: {pc_error_message(exc)}"
        )
        return
    with transaction.atomic():
        locked = run_lock(run.pk)
        if locked.status != RunStatus.PREVIEWING:
            return
        # Rows of customers that disappeared from Partner Center since a failed attempt are dropped.
        locked.items.filter(position__gte=position).delete()
        run_transition(locked, RunStatus.READY)
        locked.warnings = warnings
        locked.preview_finished_at = timezone.now()
        locked.customers_found = position
        locked.customers_selected = selectors.run_selected_count(run=locked)
        locked.stage = f"Preview ready: {position} customers in {pages} pages"
        locked.save(
            update_fields=[
                "status",
                "warnings",
                "preview_finished_at",
                "customers_found",
                "customers_selected",
                "stage",
            ]
        )


def _store_preview_page(
    *,
    run: ImportRun,
    customers: list[PcCustomer],
    subs_by_customer: dict[str, list[PcSubscription]],
    start: int,
    indirect: bool,
    reseller_infos: dict[str, ResellerInfo],
    mpn_by_tenant: dict[str, str],
    pages: int,
) -> int:
    instance = run.instance
    with transaction.atomic():
        classes = _classify_page(instance, customers)
        all_sub_ids = [s.id for subs in subs_by_customer.values() for s in subs]
        in_bss = set(
            Subscription.objects.filter(pc_subscription_id__in=all_sub_ids).values_list("pc_subscription_id", flat=True)
        )
        items: list[ImportItem] = []
        partner_ids: set[str] = set()
        position = start
        for c in customers:
            subs = subs_by_customer.get(c.id, [])
            classification, note, linked, tenant_linked = classes[c.id]
            summaries = [{**subscription_summary(s), "in_bss": s.id in in_bss} for s in subs]
            reseller_pid = ""
            if indirect:
                reseller_pid, reseller_note = reseller_partner_id_for(
                    subscription_partner_ids=[s.partner_id for s in subs],
                    associated_partner_id=c.associated_partner_id,
                    mpn_by_tenant=mpn_by_tenant,
                    provider_partner_id=instance.partner_id,
                )
                note = "; ".join(n for n in (note, reseller_note) if n)
                if reseller_pid:
                    partner_ids.add(reseller_pid)
            new_subs = any(not s["in_bss"] and not s["skip_reason"] for s in summaries)
            # Selected by default: whatever would add something to the BSS.
            selected = classification == Classification.NEW or (
                classification == Classification.LINKED and (new_subs or not tenant_linked)
            )
            items.append(
                ImportItem(
                    run=run,
                    position=position,
                    pc_customer_id=c.id,
                    domain=(c.domain or "")[:255],
                    company_name=(c.company_name or c.domain or c.id)[:200],
                    reseller_partner_id=reseller_pid,
                    classification=classification,
                    note=note[:500],
                    linked_customer=linked,
                    tenant_linked=tenant_linked,
                    subscriptions=summaries,
                    selected=selected,
                )
            )
            position += 1
        ImportItem.objects.bulk_create(
            items,
            update_conflicts=True,
            unique_fields=["run", "pc_customer_id"],
            update_fields=[
                "position",
                "domain",
                "company_name",
                "reseller_partner_id",
                "classification",
                "note",
                "linked_customer",
                "tenant_linked",
                "subscriptions",
                "selected",
            ],
        )
        resellers_store(run, partner_ids, reseller_infos)
        ImportRun.objects.filter(pk=run.pk).update(
            pages_read=pages, customers_found=position, stage=f"Reading customers: page {pages}, {position} so far"
        )
    return position
